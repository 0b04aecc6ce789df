"""Prefect tasks of one chapter after synthesis: master, chapter.flac, exports, AAC.

``master`` (assemble_chapter: stitch + master paragraph block by block) writes
``chapters/NN/timeline.json`` and ``master.json`` (the recipe, the mastered blocks, the
measurements and ``master_id``, which names the master's exact samples). Everything after it
is keyed by ``master_id``: ``chapter.flac`` (built from the stored blocks), the MP3 and the
AAC (block by block, so an edit re-encodes its paragraph), WAV and VTT. Outputs made from the
same ``master_id`` and options are kept (and touched, so they stay newer than master.json).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from lector.core.audio.assemble import (
    assemble_chapter,
    encode_chapter_blocks,
    master_blocks,
    read_master_doc,
    read_master_flac,
    write_chapter_flac,
    write_master_doc,
    write_master_flac,
)
from lector.core.audio.blockcodec import MP3_FRAME, write_adts, write_mp3
from lector.core.audio.cover import project_cover
from lector.core.audio.export import M4bChapter, encode_aac, export_mp3, export_vtt, export_wav
from lector.core.audio.flacsplice import retag
from lector.core.audio.io import atomic_path, atomic_write_bytes, read_json_object
from lector.core.audio.master import Recipe
from lector.core.audio.stitch import STITCH_VERSION, StitchedChapter, plan_blocks, write_timeline
from lector.core.audio.tags import TrackTags, flac_metadata
from lector.core.errors import AudioError
from lector.core.hashing import file_digest, remember_digest
from lector.core.membudget import MASTER_BUDGET, MemoryBudget, audio_bytes
from lector.core.metadata import book_metadata
from lector.core.model import Chapter
from lector.core.project import Project
from lector.core.render import RenderReport, describe_failures

from .manifest import ChapterOutput
from .runlog import chapter_run_name
from .tasks import _project, chapter_dir, chapter_stem, progress, render_store

AAC_KBPS = 64
CHAPTER_FORMATS = ("flac", "wav", "mp3", "vtt")
_FLAC_LOCK = threading.Lock()
_MASTER_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))  # chapters mastered at once


def mastering_slot() -> threading.BoundedSemaphore:
    """One per core. (Tasks reach module locks through a function: Dask pickles a task's function
    by value, and a lock in its globals cannot be pickled.)"""
    return _MASTER_SLOTS


def mastering_budget() -> MemoryBudget:
    """The process's memory budget for chapters being mastered (lector.core.membudget)."""
    return MASTER_BUDGET


def chapter_formats(project: Project) -> tuple[str, ...]:
    return tuple(f for f in project.config.output.formats if f in CHAPTER_FORMATS)


# -- stamps: "this output was made from exactly this identity" ---------------------------------------


def _stamp(folder: Path, name: str) -> Path:
    return folder / f".{name}.stamp.json"


def _up_to_date(out: Path, stamp: Path, identity: dict) -> bool:
    """``out`` was made from exactly ``identity`` and is intact: then it is touched (so it stays
    newer than master.json, see chapter_changed) instead of being made again."""
    data = read_json_object(stamp)
    if (
        data.get("identity") != identity
        or not out.is_file()
        or out.stat().st_size != data.get("size")
        or file_digest(out) != data.get("sha256")
    ):
        return False
    os.utime(out)
    remember_digest(out, data["sha256"])  # just checked; the touch changed only its times
    return True


def _stamp_output(out: Path, stamp: Path, identity: dict, extra: dict | None = None) -> None:
    data = {"identity": identity, "size": out.stat().st_size, "sha256": file_digest(out), **(extra or {})}
    atomic_write_bytes(stamp, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


# -- master -------------------------------------------------------------------------------------------


@task(name="master", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("master"))
def master_task(project_path: str, chapter: Chapter, reports: list[RenderReport]) -> ChapterOutput:
    """assemble_chapter(): stitch + master to the project's profile, paragraph block by block, reusing
    the blocks and the recipe of the last render (master.json) where they still hold. Writes
    timeline.json and master.json; kept as is when the chapter's blocks did not change."""
    project = _project(project_path)
    folder = chapter_dir(project, chapter.index)
    profile, sample_rate = project.config.output.profile, project.config.output.sample_rate
    results = [r for rep in reports for r in rep.results]
    plans, _ = plan_blocks(chapter, results, pauses=project.config.pauses, sample_rate=sample_rate)
    doc_path, stamp = folder / "master.json", _stamp(folder, "master")
    identity = {
        "blocks": [p.key for p in plans],
        "profile": profile,
        "index": chapter.index,
        "title": chapter.title,
        "version": STITCH_VERSION,
    }
    if (folder / "timeline.json").is_file() and _up_to_date(doc_path, stamp, identity):
        progress.info(
            "chapter %d unchanged: master kept",
            chapter.index,
            extra={"lector": {"event": "chapter", "chapter": chapter.index, "duration_s": None}},
        )
        return _output_from_dict(read_json_object(doc_path)["output"])
    previous = read_master_doc(folder)
    need = audio_bytes(sum(r.duration_s for r in results if r.ok) * 1.2, sample_rate)  # + pauses
    with mastering_slot(), mastering_budget().hold(need):  # a fresh master holds one copy of its chapter
        built = assemble_chapter(
            chapter,
            results,
            render_store(project),
            pauses=project.config.pauses,
            sample_rate=sample_rate,
            profile=profile,
            block_dir=project.build_dir / "blocks",
            previous=Recipe.from_dict(previous["recipe"]) if previous else None,
        )
    if built.missing:
        raise AudioError(
            f"chapter {chapter.index}: no audio for sentences {', '.join(built.missing)}:\n"
            + describe_failures(results, chapter.sentences),
            field="render",
            fix="fix the sentence or cast a voice that can speak it, then re-run `lector render`",
        )
    m = built.measurements
    write_timeline(
        folder / "timeline.json",
        chapter,
        StitchedChapter(
            chapter.index, chapter.title, np.zeros(0, np.float32), built.sample_rate, built.timeline
        ),
        results,
        duration_s=m.duration_s,
    )
    master_id = built.master_id
    if built.audio is not None:  # not block-encoded: the master is written here
        master_id = file_digest(write_master_flac(folder / "chapter.flac", built.audio, built.sample_rate))[
            :32
        ]
    output = ChapterOutput(
        index=chapter.index,
        title=chapter.title,
        duration_s=round(m.duration_s, 3),
        profile=profile,
        gain_db=round(built.gain_db, 3),
        measurements=tuple((k, round(float(v), 3)) for k, v in vars(m).items()),
        violations=tuple(built.violations),
        files=(),
        master_id=master_id,
        recipe_kept=built.recipe_kept,
    )
    write_master_doc(folder, built, master_id, {"output": output.to_dict()})
    _stamp_output(doc_path, stamp, identity)
    progress.info(
        "chapter %d mastered: %.1f s, %s (%d of %d blocks mastered%s)",
        chapter.index,
        m.duration_s,
        "inside " + profile if not built.violations else "FLAGGED: " + "; ".join(built.violations),
        built.remastered,
        max(len(built.blocks), 1),
        ", recipe kept" if built.recipe_kept else "",
        extra={"lector": {"event": "chapter", "chapter": chapter.index, "duration_s": m.duration_s}},
    )
    return output


def _output_from_dict(d: dict) -> ChapterOutput:
    return ChapterOutput(
        index=d["index"],
        title=d["title"],
        duration_s=d["duration_s"],
        profile=d["profile"],
        gain_db=d["gain_db"],
        measurements=tuple(d["measurements"].items()),
        violations=tuple(d["violations"]),
        files=(),
        master_id=d.get("master_id", ""),
        recipe_kept=bool(d.get("recipe_kept", False)),
    )


def _master(project: Project, chapter_index: int) -> tuple[Path, dict]:
    folder = chapter_dir(project, chapter_index)
    doc = read_master_doc(folder)
    if doc is None:
        raise AudioError(
            f"chapter {chapter_index} has no master yet",
            file=folder / "master.json",
            fix="run `lector render` (the master step writes it)",
        )
    return folder, doc


# -- chapter.flac and exports -----------------------------------------------------------------------


def chapter_tags(project: Project, chapter: Chapter, track_total: int = 0) -> TrackTags:
    """The tags of a chapter's delivery files: the book's metadata ([book] over the EPUB's), the
    chapter title, track n/N and the checked cover."""
    return TrackTags(
        book_metadata(project), chapter.title, chapter.index, track_total or None, project_cover(project)
    )


def ensure_chapter_flac(project: Project, chapter_index: int, tags: TrackTags | None = None) -> Path:
    """chapters/NN/chapter.flac of the current master (built from its stored blocks when missing or
    stale), with ``tags`` in it (None: whatever tags it has are fine)."""
    folder, doc = _master(project, chapter_index)
    out, stamp = folder / "chapter.flac", _stamp(folder, "flac")
    blocks = master_blocks(doc)
    with _FLAC_LOCK:
        known = read_json_object(stamp).get("identity") or {}
        wanted = known.get("tags") if tags is None else tags.identity()
        identity = {"master": doc["master_id"], "tags": wanted}
        if not blocks and (tags is None or _up_to_date(out, stamp, identity)):
            os.utime(out)  # written by master_task itself (kept newer than master.json)
        elif not blocks:
            retag(out, flac_metadata(tags))
            _stamp_output(out, stamp, identity)
        elif not _up_to_date(out, stamp, identity):
            metadata = flac_metadata(tags) if tags is not None else b""
            write_chapter_flac(out, project.build_dir / "blocks", blocks, doc["sample_rate"], metadata)
            _stamp_output(out, stamp, {"master": doc["master_id"], "tags": None if tags is None else wanted})
    return out


@task(
    name="chapter-flac",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name=chapter_run_name("chapter-flac"),
)
def chapter_flac_task(
    project_path: str, chapter: Chapter, mastered: ChapterOutput, track_total: int = 0
) -> str | None:
    """The chapter's 24-bit FLAC master (what QC and review read), tagged (Vorbis comments + cover
    PICTURE), and its hard link in masters/ when the project exports FLAC (returns that path
    relative to build/, else None)."""
    project = _project(project_path)
    source = ensure_chapter_flac(project, chapter.index, chapter_tags(project, chapter, track_total))
    if "flac" not in project.config.output.formats:
        return None
    out = project.build_dir / "masters" / f"{chapter_stem(chapter)}.flac"
    with atomic_path(out, suffix=".flac") as tmp:
        _link_or_copy(source, tmp)
    return out.relative_to(project.build_dir).as_posix()


def _link_or_copy(source: Path, tmp: Path) -> None:
    """A hard link where the file system allows it: chapter.flac is only ever replaced (a new
    inode), never changed in place, so the delivery copy cannot drift from it, and a long chapter's
    FLAC is not written twice after every edit."""
    tmp.unlink()
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)


EXPORT_FORMATS = ("wav", "mp3", "vtt")  # the FLAC comes with chapter_flac_task


@task(
    name="export",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name=chapter_run_name("export", fmt_param="fmt"),
)
def export_task(
    project_path: str, chapter: Chapter, fmt: str, mastered: ChapterOutput, track_total: int = 0
) -> str:
    """One delivery file for a chapter: masters/NN-slug.<fmt> (wav, mp3 or vtt); a WAV/MP3 made
    from the same master and options is kept."""
    project = _project(project_path)
    folder, doc = _master(project, chapter.index)
    out = project.build_dir / "masters" / f"{chapter_stem(chapter)}.{fmt}"
    rel = out.relative_to(project.build_dir).as_posix()
    if fmt == "vtt":
        export_vtt(json.loads((folder / "timeline.json").read_text(encoding="utf-8")), out)
        return rel
    tags = chapter_tags(project, chapter, track_total)
    identity = {
        "master": doc["master_id"],
        "fmt": fmt,
        "kbps": project.config.output.mp3_kbps,
        "tags": tags.identity() if fmt == "mp3" else None,
    }
    stamp = _stamp(folder, fmt)
    if _up_to_date(out, stamp, identity):
        return rel
    blocks = master_blocks(doc)
    if fmt == "mp3" and blocks:  # per paragraph block: an edit re-encodes its paragraph only
        frames, encoded = encode_chapter_blocks(
            project.build_dir / "blocks", blocks, "mp3", kbps=project.config.output.mp3_kbps
        )
        write_mp3(out, frames, tags, frame_count=sum(b.length for b in blocks) // MP3_FRAME)
        progress.info("chapter %d mp3: %d of %d blocks encoded", chapter.index, encoded, len(blocks))
    else:
        audio = read_master_flac(ensure_chapter_flac(project, chapter.index))
        if fmt == "wav":
            export_wav(audio, doc["sample_rate"], out)
        else:
            export_mp3(audio, doc["sample_rate"], out, kbps=project.config.output.mp3_kbps, tags=tags)
    _stamp_output(out, stamp, identity)
    return rel


def chapter_aac(project: Project, index: int) -> Path:
    """The chapter's AAC for the book, once per master: build/aac/<master id>-64k.aac."""
    folder, doc = _master(project, index)
    out = project.build_dir / "aac" / f"{doc['master_id']}-{AAC_KBPS}k.aac"
    if out.is_file():
        return out
    blocks = master_blocks(doc)
    if blocks:  # per paragraph block, like the MP3
        frames, _ = encode_chapter_blocks(project.build_dir / "blocks", blocks, "aac", kbps=AAC_KBPS)
        write_adts(out, frames)
    else:
        encode_aac(M4bChapter("", ensure_chapter_flac(project, index)), out, kbps=AAC_KBPS)
    return out


@task(name="aac", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("aac"))
def aac_task(project_path: str, chapter: Chapter, mastered: ChapterOutput) -> str:
    """The chapter's AAC for the M4B, encoded next to its MP3 export (not after the whole book)."""
    return str(chapter_aac(_project(project_path), chapter.index))


def chapter_changed(project: Project, chapter: Chapter, reports: list[RenderReport]) -> bool:
    """True when the chapter's (id, cache key) sequence differs from its last timeline.json, or
    when a later step did not finish after it (master.json, chapter.flac or exports missing or
    older: a run killed between the master and the exports)."""
    folder = chapter_dir(project, chapter.index)
    timeline, doc = folder / "timeline.json", folder / "master.json"
    stem = chapter_stem(chapter)
    outputs = [folder / "chapter.flac"] + [
        project.build_dir / "masters" / f"{stem}.{f}" for f in chapter_formats(project)
    ]
    if not all(p.is_file() for p in (timeline, doc, *outputs)):
        return True
    if doc.stat().st_mtime_ns < timeline.stat().st_mtime_ns or any(
        p.stat().st_mtime_ns < doc.stat().st_mtime_ns for p in outputs
    ):
        return True
    old = [(row["id"], row["cache_key"]) for row in json.loads(timeline.read_text("utf-8"))["sentences"]]
    keys = {r.sentence_id: r.cache_key for rep in reports for r in rep.results}
    return old != [(s.id, keys.get(s.id, "")) for s in chapter.sentences]
