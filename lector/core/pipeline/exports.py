"""A chapter's deliveries from its master: chapter.flac, masters/NN-slug.{flac,wav,mp3,vtt}, the AAC.

Each is keyed by the master's ``master_id`` (and its options): one made from the same master and
options is kept (and touched, so it stays newer than master.json).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import cast

from lector.core.audio.block_store import MasteredBlock
from lector.core.audio.blockcodec import MP3_FRAME, write_adts, write_mp3
from lector.core.audio.blockframes import codec_tag, drop_block_files, encode_chapter_blocks
from lector.core.audio.chapter_flac import splice_chapter_flac
from lector.core.audio.cover import project_cover
from lector.core.audio.export import Id3Tags, M4bChapter, encode_aac, export_mp3, export_vtt, export_wav
from lector.core.audio.flacsplice import retag
from lector.core.audio.master_flac import read_master_flac
from lector.core.audio.spliced import lay_out
from lector.core.audio.tags import TrackTags, flac_metadata
from lector.core.build import BuildDir
from lector.core.errors import AudioError
from lector.core.fsutil import atomic_path
from lector.core.ingest.metadata import book_metadata
from lector.core.model import Chapter
from lector.core.project import Project
from lector.core.render import RenderReport

from ._build import chapter_stem
from .master import load_master
from .stamps import spliced_file, stamp_output, stamped_identity, up_to_date

AAC_KBPS = 64
CHAPTER_FORMATS = ("flac", "wav", "mp3", "vtt")
EXPORT_FORMATS = ("wav", "mp3", "vtt")  # the FLAC comes with chapter_flac
progress = logging.getLogger("lector.progress")
_FLAC_LOCK = threading.Lock()


def chapter_formats(project: Project) -> tuple[str, ...]:
    return tuple(f for f in project.config.output.formats if f in CHAPTER_FORMATS)


def chapter_tags(project: Project, chapter: Chapter, track_total: int = 0) -> TrackTags:
    """The tags of a chapter's delivery files: the book's metadata ([book] over the EPUB's), the
    chapter title, track n/N and the checked cover."""
    return TrackTags(
        book_metadata(project), chapter.title, chapter.index, track_total or None, project_cover(project)
    )


def ensure_chapter_flac(project: Project, chapter_index: int, tags: TrackTags | None = None) -> Path:
    """chapters/NN/chapter.flac of the current master (built from its stored blocks when missing or
    stale), with ``tags`` in it (None: whatever tags it has are fine)."""
    bd = BuildDir.of(project)
    doc = load_master(bd, chapter_index)
    out, i = bd.chapter_flac(chapter_index), chapter_index
    with _FLAC_LOCK:
        wanted = stamped_identity(bd, i, "flac").get("tags") if tags is None else tags.identity()
        identity = {"master": doc.master_id, "tags": wanted}
        if not doc.blocks and (tags is None or up_to_date(bd, i, "flac", out, identity)):
            os.utime(out)  # written by the master step itself (kept newer than master.json)
        elif not doc.blocks:
            assert tags is not None
            retag(out, flac_metadata(tags))
            stamp_output(bd, i, "flac", out, identity)
        elif not up_to_date(bd, i, "flac", out, identity):
            metadata = flac_metadata(tags) if tags is not None else b""
            previous = spliced_file(bd, i, "flac", out)  # read before the splice replaces it
            spliced = splice_chapter_flac(
                out, bd.blocks_dir, doc.blocks, doc.sample_rate, metadata, previous=previous
            )
            identity = {"master": doc.master_id, "tags": None if tags is None else wanted}
            stamp_output(bd, i, "flac", out, identity, extra=spliced.to_extra() if spliced else None)
            if spliced is not None:  # chapter.flac holds the blocks' frames: one copy, not two
                drop_block_files(bd.blocks_dir, doc.blocks, "flac")
    return out


def chapter_flac(project: Project, chapter: Chapter, track_total: int = 0) -> str | None:
    """The chapter's 16-bit FLAC master (what QC and review read), tagged (Vorbis comments + cover
    PICTURE), and its hard link in masters/ when the project exports FLAC (returns that path
    relative to build/, else None)."""
    source = ensure_chapter_flac(project, chapter.index, chapter_tags(project, chapter, track_total))
    if "flac" not in project.config.output.formats:
        return None
    bd = BuildDir.of(project)
    out = bd.master_file(chapter_stem(chapter), "flac")
    with atomic_path(out, suffix=".flac") as tmp:
        _link_or_copy(source, tmp)
    return bd.rel(out)


def _link_or_copy(source: Path, tmp: Path) -> None:
    """A hard link where the file system allows it: chapter.flac is only ever replaced (a new
    inode), never changed in place, so the delivery copy cannot drift from it, and a long chapter's
    FLAC is not written twice after every edit."""
    tmp.unlink()
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)


def export_chapter(project: Project, chapter: Chapter, fmt: str, track_total: int = 0) -> str:
    """One delivery file for a chapter: masters/NN-slug.<fmt> (wav, mp3 or vtt); a WAV/MP3 made
    from the same master and options is kept. Returns its path relative to build/."""
    bd, i = BuildDir.of(project), chapter.index
    doc = load_master(bd, i)
    out = bd.master_file(chapter_stem(chapter), fmt)
    rel = bd.rel(out)
    if fmt == "vtt":
        timeline = bd.read_timeline(i)
        if timeline is None:
            raise AudioError(
                f"chapter {i} has no timeline", file=bd.timeline_path(i), fix="run `lector render`"
            )
        export_vtt(timeline.to_dict(), out)
        return rel
    kbps = project.config.output.mp3_kbps
    tags = chapter_tags(project, chapter, track_total)
    identity = {"master": doc.master_id, "fmt": fmt, "kbps": kbps}
    identity["tags"] = tags.identity() if fmt == "mp3" else None
    if up_to_date(bd, i, fmt, out, identity):
        return rel
    if fmt == "mp3" and doc.blocks:  # per paragraph block: an edit re-encodes its paragraph only
        _block_mp3(bd, i, out, blocks=doc.blocks, kbps=kbps, tags=tags, identity=identity)
        return rel
    audio = read_master_flac(ensure_chapter_flac(project, i))
    if fmt == "wav":
        export_wav(audio, doc.sample_rate, out)
    else:
        export_mp3(audio, doc.sample_rate, out, kbps=kbps, tags=tags)
    stamp_output(bd, i, fmt, out, identity)
    return rel


def _block_mp3(
    bd: BuildDir,
    i: int,
    out: Path,
    *,
    blocks: tuple[MasteredBlock, ...],
    kbps: int,
    tags: TrackTags,
    identity: dict[str, object],
) -> None:
    """The chapter MP3 from its blocks' frames: the unchanged blocks' frames come from the last MP3
    (its stamp's spans), only new blocks are encoded; then the blocks' own MP3 files go (the MP3
    holds their frames)."""
    frames, encoded = encode_chapter_blocks(
        bd.blocks_dir,
        blocks,
        "mp3",
        kbps=kbps,
        previous=spliced_file(bd, i, "mp3", out),
        source=lambda: spliced_file(bd, i, "flac", bd.chapter_flac(i)),
    )
    write_mp3(out, frames, cast("Id3Tags", tags), frame_count=sum(b.length for b in blocks) // MP3_FRAME)
    head = out.stat().st_size - sum(map(len, frames))
    spans = lay_out(
        out,
        head,
        ((b.id, len(f), b.start_sample) for b, f in zip(blocks, frames, strict=True)),
        codec_tag(kbps),
    )
    stamp_output(bd, i, "mp3", out, dict(identity), extra=spans.to_extra())
    drop_block_files(bd.blocks_dir, blocks, "mp3")
    progress.info("chapter %d mp3: %d of %d blocks encoded", i, encoded, len(blocks))


def chapter_aac(project: Project, index: int) -> Path:
    """The chapter's AAC for the book, once per master: build/aac/<master id>-64k.aac (removed again
    once the book's M4B holds it: export_book)."""
    bd = BuildDir.of(project)
    doc = load_master(bd, index)
    out = bd.aac_path(doc.master_id, AAC_KBPS)
    if out.is_file():
        return out
    if doc.blocks:  # per paragraph block, like the MP3; a kept block's frames are not encoded again
        frames, _ = encode_chapter_blocks(
            bd.blocks_dir,
            doc.blocks,
            "aac",
            kbps=AAC_KBPS,
            source=lambda: spliced_file(bd, index, "flac", bd.chapter_flac(index)),
        )
        write_adts(out, frames)
    else:
        encode_aac(M4bChapter("", ensure_chapter_flac(project, index)), out, kbps=AAC_KBPS)
    return out


def wants_aac(project: Project) -> bool:
    """The book is exported as M4B, which is muxed from the chapters' AACs."""
    return "m4b" in project.config.output.formats


def chapter_changed(project: Project, chapter: Chapter, reports: list[RenderReport]) -> bool:
    """True when the chapter's (id, cache key) sequence differs from its last timeline.json, or
    when a later step did not finish after it (master.json, chapter.flac or exports missing or
    older: a run killed between the master and the exports)."""
    bd, i = BuildDir.of(project), chapter.index
    timeline, doc = bd.timeline_path(i), bd.master_doc_path(i)
    stem = chapter_stem(chapter)
    outputs = [bd.chapter_flac(i)] + [bd.master_file(stem, f) for f in chapter_formats(project)]
    if not all(p.is_file() for p in (timeline, doc, *outputs)):
        return True
    if doc.stat().st_mtime_ns < timeline.stat().st_mtime_ns or any(
        p.stat().st_mtime_ns < doc.stat().st_mtime_ns for p in outputs
    ):
        return True
    previous = bd.read_timeline(i)
    old = previous.keys() if previous is not None else []
    keys = {r.sentence_id: r.cache_key for rep in reports for r in rep.results}
    return old != [(s.id, keys.get(s.id, "")) for s in chapter.sentences]
