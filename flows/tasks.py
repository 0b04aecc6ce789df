"""Prefect tasks: each wraps one library call and passes paths / cache keys, not audio arrays.

Tasks take ``project_path`` (a string) and load the project themselves, so they run the same
in threads, in Dask workers or on another machine. Prefect's own result caching is off
(``NO_CACHE``): the render cache (tts_engine.cache) is what makes re-runs incremental.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
import unicodedata
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency

from tts_engine.audio.export import (Id3Tags, M4bChapter, encode_aac, export_mp3, export_vtt, export_wav,
                                     mux_m4b)
from tts_engine.audio.io import atomic_path, atomic_write_bytes, read_audio, write_flac
from tts_engine.audio.master import master_chapter
from tts_engine.audio.stitch import stitch_chapter, write_timeline
from tts_engine.cache import LocalStore, Store, project_store
from tts_engine.errors import AudioError, LectorError
from tts_engine.hashing import sha256_file
from tts_engine.model import Chapter, Plan, Sentence
from tts_engine.planner import build_plan, plan_to_json
from tts_engine.project import Project, load_project
from tts_engine.qc.report import merge_into_report
from tts_engine.qc.runner import options_for, run_qc
from tts_engine.render import RenderReport, VoiceResolver, render_sentences

from . import manifest as mf
from .manifest import ChapterOutput
from .publish import ENDPOINT_ENV, S3Store, publish_build, resolve_target

GPU_LIMIT = "gpu"
CACHE_URL_ENV = "LECTOR_CACHE_URL"
QC_LOCK_NAME = ".qc.lock"
progress = logging.getLogger("lector.progress")
_QC_MERGE = threading.Lock()


def _project(project_path: str) -> Project:
    return load_project(project_path)


def render_store(project: Project) -> Store:
    """The render cache: ``$LECTOR_CACHE_URL`` (``s3://bucket/prefix`` shared by several machines,
    endpoint from ``$LECTOR_S3_ENDPOINT_URL``; or a folder), else ``<project>/build/cache``."""
    url = os.environ.get(CACHE_URL_ENV, "").strip()
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return S3Store(bucket, prefix or "lector-cache", endpoint_url=os.environ.get(ENDPOINT_ENV) or None)
    if url:
        return LocalStore(Path(url).expanduser())
    return project_store(project.build_dir)


def chapter_dir(project: Project, index: int) -> Path:
    return project.build_dir / "chapters" / f"{index:02d}"


def slugify(text: str, fallback: str = "chapter") -> str:
    """ASCII file-name slug; keeps CJK text readable by falling back to ``fallback``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:48].strip("-") or fallback


def chapter_stem(chapter: Chapter) -> str:
    return f"{chapter.index:02d}-{slugify(chapter.title, 'chapter')}"


@task(name="plan", cache_policy=NO_CACHE, persist_result=False)
def plan_task(project_path: str) -> Plan:
    """build_plan(); also writes build/plan.json."""
    project = load_project(project_path)
    plan = build_plan(project)
    atomic_write_bytes(project.build_dir / "plan.json", plan_to_json(plan).encode("utf-8"))
    return plan


def _needs_gpu(resolver: VoiceResolver, sentences: tuple[Sentence, ...]) -> bool:
    engines = {resolver.voice(s.voice).engine_id for s in sentences}
    return any(resolver.engine(e).capabilities.needs_gpu for e in engines)


@task(name="synthesize", cache_policy=NO_CACHE, persist_result=False, retries=1, retry_delay_seconds=2)
def synthesize_task(project_path: str, chapter_index: int, sentences: tuple[Sentence, ...],
                    draft: bool = False) -> RenderReport:
    """render_sentences() for one batch, under the "gpu" concurrency limit when an engine needs it.

    The limit is a no-op when no engine needs a GPU or when no "gpu" limit exists on the server.
    """
    project = _project(project_path)
    resolver = VoiceResolver.from_project(project, draft=draft)
    gate = concurrency(GPU_LIMIT, occupy=1, strict=False) if _needs_gpu(resolver, sentences) else nullcontext()
    with gate:
        report = render_sentences(sentences, resolver, render_store(project), draft=draft,
                                  batch_size=project.config.render.batch_size)
    progress.info("chapter %d: %d sentences (synthesized %d, cached %d)", chapter_index,
                  len(sentences), report.synthesized, report.cached)
    return report


@task(name="stitch", cache_policy=NO_CACHE, persist_result=False)
def stitch_task(project_path: str, chapter: Chapter, reports: list[RenderReport]) -> str:
    """stitch_chapter(); writes chapters/NN/stitched.flac + timeline.json, returns the FLAC path."""
    project = _project(project_path)
    results = [r for rep in reports for r in rep.results]
    stitched = stitch_chapter(chapter, results, render_store(project),
                              pauses=project.config.pauses, sample_rate=project.config.output.sample_rate)
    if stitched.missing:
        raise AudioError(f"chapter {chapter.index}: no audio for sentences {', '.join(stitched.missing)}",
                         field="render", fix="check the engine errors above, then re-run `lector render`")
    folder = chapter_dir(project, chapter.index)
    write_timeline(folder / "timeline.json", chapter, stitched, results)
    return str(write_flac(folder / "stitched.flac", stitched.audio, stitched.sample_rate))



def _stamp(folder: Path, name: str) -> Path:
    return folder / f".{name}.stamp.json"


def _read_stamp(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_stamp(path: Path, data: dict) -> None:
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def _up_to_date(out: Path, stamp: Path, identity: dict) -> bool:
    """``out`` was made from exactly ``identity`` (input bytes' sha256 + options) and is intact: then it
    is touched (so it stays newer than its input, see chapter_changed) instead of being made again."""
    data = _read_stamp(stamp)
    if data.get("identity") != identity or not out.is_file() or out.stat().st_size != data.get("size") or \
            sha256_file(out) != data.get("sha256"):
        return False
    os.utime(out)
    return True


def _stamp_output(out: Path, stamp: Path, identity: dict, extra: dict | None = None) -> None:
    _write_stamp(stamp, {"identity": identity, "size": out.stat().st_size, "sha256": sha256_file(out),
                         **(extra or {})})


@task(name="master", cache_policy=NO_CACHE, persist_result=False)
def master_task(project_path: str, chapter: Chapter, stitched_path: str) -> ChapterOutput:
    """master_chapter() to the project's profile; writes chapters/NN/chapter.flac (and drops
    the unmastered stitched.flac). Skipped when chapter.flac was mastered from the same stitched bytes."""
    project = _project(project_path)
    folder = chapter_dir(project, chapter.index)
    profile = project.config.output.profile
    out, stamp = folder / "chapter.flac", _stamp(folder, "master")
    identity = {"stitched": sha256_file(Path(stitched_path)), "profile": profile, "index": chapter.index,
                "title": chapter.title}
    if _up_to_date(out, stamp, identity):
        Path(stitched_path).unlink(missing_ok=True)
        progress.info("chapter %d unchanged: master kept", chapter.index)
        return _output_from_dict(_read_stamp(stamp)["output"])
    audio, sample_rate = read_audio(stitched_path)
    result = master_chapter(audio, sample_rate, profile, in_place=True)
    write_flac(out, result.audio, result.sample_rate)
    Path(stitched_path).unlink(missing_ok=True)     # the intermediate; chapter.flac is what stays
    m = result.measurements
    progress.info("chapter %d mastered: %.1f s, %s", chapter.index, m.duration_s,
                  "inside " + profile if not result.violations else "FLAGGED: " + "; ".join(result.violations))
    output = ChapterOutput(
        index=chapter.index, title=chapter.title, duration_s=round(m.duration_s, 3), profile=profile,
        gain_db=round(result.gain_db, 3),
        measurements=tuple((k, round(float(v), 3)) for k, v in vars(m).items()),
        violations=tuple(result.violations), files=(),
    )
    _stamp_output(out, stamp, identity, {"output": output.to_dict()})
    return output


def _output_from_dict(d: dict) -> ChapterOutput:
    return ChapterOutput(index=d["index"], title=d["title"], duration_s=d["duration_s"], profile=d["profile"],
                         gain_db=d["gain_db"], measurements=tuple(d["measurements"].items()),
                         violations=tuple(d["violations"]), files=())


@task(name="export", cache_policy=NO_CACHE, persist_result=False)
def export_task(project_path: str, chapter: Chapter, fmt: str, mastered: ChapterOutput) -> str:
    """One delivery file for a chapter: masters/NN-slug.<fmt> (flac, wav, mp3 or vtt). The FLAC is a
    copy of chapter.flac; a WAV/MP3 made from the same chapter.flac bytes and options is kept."""
    project = _project(project_path)
    folder = chapter_dir(project, chapter.index)
    out = project.build_dir / "masters" / f"{chapter_stem(chapter)}.{fmt}"
    rel = out.relative_to(project.build_dir).as_posix()
    if fmt == "vtt":
        timeline = json.loads((folder / "timeline.json").read_text(encoding="utf-8"))
        export_vtt(timeline, out)
        return rel
    source = folder / "chapter.flac"
    if fmt == "flac":
        with atomic_path(out, suffix=".flac") as tmp:
            shutil.copyfile(source, tmp)
        return rel
    book = project.config.book
    tags = Id3Tags(title=chapter.title, artist=book.author, album=book.title, track=chapter.index, track_total=None)
    identity = {"source": sha256_file(source), "fmt": fmt, "kbps": project.config.output.mp3_kbps,
                "tags": list(vars(tags).values()) if fmt == "mp3" else None}
    stamp = _stamp(folder, fmt)
    if _up_to_date(out, stamp, identity):
        return rel
    audio, sample_rate = read_audio(source)
    if fmt == "wav":
        export_wav(audio, sample_rate, out)
    else:
        export_mp3(audio, sample_rate, out, kbps=project.config.output.mp3_kbps, tags=tags)
    _stamp_output(out, stamp, identity)
    return rel


AAC_KBPS = 64


def chapter_aac(project: Project, index: int) -> Path:
    """chapters/NN/chapter.flac as AAC, encoded once per master (build/aac/<sha256 of the master>.aac)."""
    source = chapter_dir(project, index) / "chapter.flac"
    out = project.build_dir / "aac" / f"{sha256_file(source)}-{AAC_KBPS}k.aac"
    if not out.is_file():
        encode_aac(M4bChapter("", source), out, kbps=AAC_KBPS)
    return out


@task(name="aac", cache_policy=NO_CACHE, persist_result=False)
def aac_task(project_path: str, chapter: Chapter, mastered: ChapterOutput) -> str:
    """The chapter's AAC for the M4B, encoded next to its MP3 export (not after the whole book)."""
    return str(chapter_aac(_project(project_path), chapter.index))


CHAPTER_FORMATS = ("flac", "wav", "mp3", "vtt")


def chapter_formats(project: Project) -> tuple[str, ...]:
    return tuple(f for f in project.config.output.formats if f in CHAPTER_FORMATS)


@task(name="export-m4b", cache_policy=NO_CACHE, persist_result=False)
def export_book_task(project_path: str, plan: Plan, outputs: list[ChapterOutput]) -> tuple[str, ...]:
    """The book: every mastered chapter's AAC (chapter_aac, encoded once per master) stream-copied into
    one .m4b with chapter marks, title, author and cover (mux_m4b)."""
    project = _project(project_path)
    if "m4b" not in project.config.output.formats or not outputs:
        return ()
    chapters = [(o.title, chapter_aac(project, o.index)) for o in outputs]
    out = project.build_dir / "masters" / f"{slugify(plan.title, project.name)}.m4b"
    mux_m4b(chapters, out, title=plan.title, author=plan.author, cover=project.cover)
    used = {p for _, p in chapters}
    for stale in (project.build_dir / "aac").glob("*.aac"):      # AACs of masters no longer in the book
        if stale not in used:
            stale.unlink(missing_ok=True)
    progress.info("book: %s (%d chapters)", out, len(chapters))
    return (out.relative_to(project.build_dir).as_posix(),)


@contextmanager
def qc_report_lock(build_dir: Path) -> Iterator[None]:
    """Serialise read-merge-write of build/qc.json across threads and processes (Dask workers)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with _QC_MERGE, open(build_dir / QC_LOCK_NAME, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@task(name="qc", cache_policy=NO_CACHE, persist_result=False)
def qc_task(project_path: str, chapter_index: int) -> dict:
    """run_qc() of one mastered chapter (signal, voice consistency, ASR round-trip, profile),
    merged into build/qc.json; returns the chapter's QC summary. Flags are recorded, never raised;
    a QC that cannot run at all (unreadable audio, missing timeline) is returned as ``error``."""
    project = _project(project_path)
    try:
        report = run_qc(project.root, chapters=[chapter_index], options=options_for(project), write=False)
    except LectorError as exc:
        progress.warning("chapter %d: QC could not run: %s", chapter_index, exc)
        return {"chapter": chapter_index, "error": str(exc)}
    with qc_report_lock(project.build_dir):
        merge_into_report(project.build_dir / "qc.json", report.project, report.chapters, report.thresholds)
    summary = report.chapters[0].summary() if report.chapters else {"chapter": chapter_index, "sentences": 0}
    progress.info("chapter %d QC: %d of %d sentences flagged%s", chapter_index, summary.get("flagged", 0),
                  summary["sentences"], "" if summary.get("profile_ok") is not False else ", profile FAILED")
    return summary


@task(name="review-bundle", cache_policy=NO_CACHE, persist_result=False)
def bundle_task(project_path: str) -> str:
    """review.bundle.export_bundle() into build/masters/review/; returns the path of its index.html."""
    from review.bundle import export_bundle

    project = _project(project_path)
    index = export_bundle(project, project.build_dir / "masters" / "review")
    progress.info("review bundle: %s", index)
    return str(index)


@task(name="manifest", cache_policy=NO_CACHE, persist_result=False)
def manifest_task(project_path: str, plan_hash: str, outputs: list[ChapterOutput],
                  book_files: tuple[str, ...], counts: tuple[int, int]) -> str:
    """build_manifest() + write_manifest(): build/manifest.json."""
    project = _project(project_path)
    target = resolve_target(project)
    manifest = mf.build_manifest(project, plan_hash=plan_hash, chapters=outputs, book_files=book_files,
                                 counts=counts, publish_url=target.url if target.kind == "s3" else None)
    return str(mf.write_manifest(project.build_dir, manifest))


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(project_path: str, endpoint_url: str | None = None, bucket: str | None = None,
                 prefix: str | None = None) -> str:
    """publish_build(): masters + manifest.json to S3 or the local object store; returns the URL."""
    project = load_project(project_path)
    target = resolve_target(project, endpoint_url=endpoint_url, bucket=bucket, prefix=prefix)
    report = publish_build(project, target)
    progress.info("published %d objects to %s", len(report.objects), report.url)
    return report.url


def chapter_changed(project: Project, chapter: Chapter, reports: list[RenderReport]) -> bool:
    """True when the chapter's (id, cache key) sequence differs from its last timeline.json, or
    when a later step did not finish after it (chapter.flac / masters missing or older: a run
    killed between stitch and export)."""
    timeline = chapter_dir(project, chapter.index) / "timeline.json"
    mastered = timeline.parent / "chapter.flac"
    stem = chapter_stem(chapter)
    exports = [project.build_dir / "masters" / f"{stem}.{f}" for f in chapter_formats(project)]
    if not all(p.is_file() for p in (timeline, mastered, *exports)):
        return True
    if mastered.stat().st_mtime_ns < timeline.stat().st_mtime_ns or \
            any(p.stat().st_mtime_ns < mastered.stat().st_mtime_ns for p in exports):
        return True
    old = [(row["id"], row["cache_key"]) for row in json.loads(timeline.read_text("utf-8"))["sentences"]]
    keys = {r.sentence_id: r.cache_key for rep in reports for r in rep.results}
    return old != [(s.id, keys.get(s.id, "")) for s in chapter.sentences]
