"""Prefect tasks: each wraps one library call and passes paths / cache keys, not audio arrays.

Tasks take ``project_path`` (a string) and load the project themselves, so they run the same
in threads, in Dask workers or on another machine. Prefect's own result caching is off
(``NO_CACHE``): the render cache (lector.core.cache) is what makes re-runs incremental.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency

from lector.core.audio.cover import project_cover
from lector.core.audio.export import mux_m4b
from lector.core.audio.io import atomic_write_bytes
from lector.core.audio.tags import TrackTags
from lector.core.cache import LocalStore, Store, project_store
from lector.core.errors import EngineError, LectorError
from lector.core.metadata import book_metadata
from lector.core.model import Chapter, Plan, PlanWarning, Sentence
from lector.core.planner import build_plan, plan_to_json
from lector.core.project import Project, load_project
from lector.core.qc.report import merge_into_report, set_book_checks
from lector.core.qc.retail import BookPart, Delivery, book_checks
from lector.core.qc.runner import Take, measure_takes, options_for, run_qc
from lector.core.render import RenderReport, VoiceResolver, cached_report, render_sentences

from . import manifest as mf
from .manifest import ChapterOutput
from .publish import ENDPOINT_ENV, S3Store, publish_build, resolve_target
from .runlog import chapter_run_name, forward_to_run_logs

GPU_LIMIT = "gpu"
CACHE_URL_ENV = "LECTOR_CACHE_URL"
QC_LOCK_NAME = ".qc.lock"
progress = logging.getLogger("lector.progress")
forward_to_run_logs()  # progress lines into the flow/task run logs (the Prefect UI)
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


@task(
    name="synthesize",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=1,
    retry_delay_seconds=2,
    task_run_name=chapter_run_name("render"),
)
def synthesize_task(
    project_path: str,
    chapter_index: int,
    sentences: tuple[Sentence, ...],
    draft: bool = False,
    label: str = "",
) -> RenderReport:
    """render_sentences() for one batch, under the "gpu" concurrency limit when an engine needs it.

    The limit is a no-op when no engine needs a GPU or when no "gpu" limit exists on the server.
    """
    project = _project(project_path)
    resolver = VoiceResolver.from_project(project, draft=draft)
    gate = (
        concurrency(GPU_LIMIT, occupy=1, strict=False) if _needs_gpu(resolver, sentences) else nullcontext()
    )
    with gate:
        report = render_sentences(
            sentences,
            resolver,
            render_store(project),
            draft=draft,
            batch_size=project.config.render.batch_size,
        )
    if report.failed:
        raise no_audio_error(chapter_index, sentences, report)
    progress.info(
        "render %s: %d sentence(s), engine %s (synthesized %d, cached %d)",
        label or f"chapter {chapter_index}",
        len(sentences),
        engines_text(report),
        report.synthesized,
        report.cached,
        extra={"lector": {"event": "batch", "chapter": chapter_index, "sentences": len(sentences)}},
    )
    return report


def no_audio_error(chapter_index: int, sentences: tuple[Sentence, ...], report: RenderReport) -> EngineError:
    """Sentences no engine spoke (the voice has no declared fallback, or every fallback failed too):
    the chapter cannot be mastered, so the run stops here with the engine's own error."""
    failed = [r for r in report.results if not r.ok]
    first = next(s for s in sentences if s.id == failed[0].sentence_id)
    return EngineError(
        f"chapter {chapter_index}: {len(failed)} sentence(s) have no audio; first: {first.id} "
        f"({first.source or 'no source'}), voice {first.voice!r}: {failed[0].error}",
        field=f"voices.{first.voice}",
        fix=f"fix the engine of voice {first.voice!r} (see the error), or declare "
        f'`fallback = "OTHER_VOICE"` under [voices.{first.voice}] and render with --allow-fallback',
    )


def engines_text(report: RenderReport) -> str:
    """``piper-en 1.8.0`` (several joined by ", "; "no engine" when nothing was spoken)."""
    return ", ".join(f"{engine} {version}" for engine, version in report.engine_versions) or "no engine"


def probe_is_local() -> bool:
    """The render cache is on this machine's disk (not ``s3://``), so probing it is stat calls."""
    return not os.environ.get(CACHE_URL_ENV, "").strip().startswith("s3://")


@task(name="cache-probe", cache_policy=NO_CACHE, persist_result=False)
def cache_probe_task(
    project_path: str, batches: dict[int, list[tuple[Sentence, ...]]], draft: bool = False
) -> dict[int, list[RenderReport | None]]:
    """cached_report() of every batch: a batch whose takes are all in the cache needs no synthesis
    task. After a one-sentence edit the other batches' tasks were most of the synthesis phase."""
    project = _project(project_path)
    resolver, store = VoiceResolver.from_project(project, draft=draft), render_store(project)
    probed = {
        index: [cached_report(b, resolver, store, draft=draft) for b in chapter_batches]
        for index, chapter_batches in batches.items()
    }
    found = [len(b) for i, bs in batches.items() for b, r in zip(bs, probed[i]) if r is not None]
    n_batches = sum(map(len, batches.values()))
    progress.info(
        "render cache: %d of %d batches fully cached (%d of %d sentences), %d to synthesize",
        len(found),
        n_batches,
        sum(found),
        sum(len(b) for bs in batches.values() for b in bs),
        n_batches - len(found),
    )
    return probed


@task(name="export-m4b", cache_policy=NO_CACHE, persist_result=False)
def export_book_task(project_path: str, plan: Plan, outputs: list[ChapterOutput]) -> tuple[str, ...]:
    """The book: every mastered chapter's AAC (chapter_aac, encoded once per master) in one .m4b,
    not re-encoded, with chapter marks, title, author and cover (mux_m4b)."""
    project = _project(project_path)
    if "m4b" not in project.config.output.formats or not outputs:
        return ()
    from .chapter import chapter_aac

    chapters = [(o.title, chapter_aac(project, o.index)) for o in outputs]
    out = project.build_dir / "masters" / f"{slugify(plan.title, project.name)}.m4b"
    meta, cover = book_metadata(project), project_cover(project)
    for note in meta.notes + (cover.warnings if cover is not None else ("no cover: add cover.jpg",)):
        progress.warning("book tags: %s", note, extra={"lector": {"event": "summary"}})
    mux_m4b(
        chapters, out, title=meta.title, author=meta.author, tags=TrackTags(meta, meta.title, cover=cover)
    )
    used = {p for _, p in chapters}
    for stale in (project.build_dir / "aac").glob("*.aac"):  # AACs of masters no longer in the book
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


@task(name="qc", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("qc"))
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
    progress.info(
        "chapter %d QC: %d of %d sentences flagged%s",
        chapter_index,
        summary.get("flagged", 0),
        summary["sentences"],
        "" if summary.get("profile_ok") is not False else ", profile FAILED",
    )
    return summary


@task(
    name="qc-takes", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("qc-takes")
)
def qc_takes_task(project_path: str, chapter: Chapter, reports: list[RenderReport]) -> int:
    """measure_takes(): the chapter's takes QC-measured right after synthesis (beside the master and
    the exports), so the chapter's qc task only assembles and scores. Returns the takes measured."""
    project = _project(project_path)
    keys = {r.sentence_id: r.cache_key for rep in reports for r in rep.results if r.cache_key}
    takes = [
        Take(s.id, s.text, s.voice, s.lang, s.spoken, keys[s.id]) for s in chapter.sentences if s.id in keys
    ]
    try:
        return measure_takes(project.build_dir, takes, options_for(project))
    except LectorError as exc:  # the chapter's qc task reports what cannot be checked
        progress.warning("chapter %d: take QC could not run: %s", chapter.index, exc)
        return 0


@task(name="review-bundle", cache_policy=NO_CACHE, persist_result=False)
def bundle_task(project_path: str) -> str:
    """lector.review.bundle.export_bundle() into build/masters/review/; returns the path of its index.html."""
    from lector.review.bundle import export_bundle

    project = _project(project_path)
    index = export_bundle(project, project.build_dir / "masters" / "review")
    progress.info("review bundle: %s", index)
    return str(index)


@task(name="manifest", cache_policy=NO_CACHE, persist_result=False)
def manifest_task(
    project_path: str,
    plan_hash: str,
    outputs: list[ChapterOutput],
    book_files: tuple[str, ...],
    counts: tuple[int, int],
    allow_fallback: bool = False,
    sources: dict[int, str] | None = None,
    warnings: tuple[PlanWarning, ...] = (),
) -> str:
    """build_manifest() + write_manifest(): build/manifest.json, with the book's metadata, cover,
    retail rules (also into build/qc.json), the plan's warnings (what was dropped, joined, skipped
    or changed) and every file's URL at the publish target.
    ``sources``: chapter index -> the file it came from (credits chapters are told by it)."""
    project = _project(project_path)
    target = resolve_target(project)
    book = _book_sections(project, outputs, sources or {})  # first: it adds to qc.json's summary
    manifest = mf.build_manifest(
        project,
        plan_hash=plan_hash,
        chapters=outputs,
        book_files=book_files,
        counts=counts,
        allow_fallback=allow_fallback,
    )
    manifest.update(book)
    manifest["plan_warnings"] = mf.plan_warnings(warnings)
    mf.add_urls(manifest, target)
    return str(mf.write_manifest(project.build_dir, manifest))


def _book_sections(project: Project, outputs: list[ChapterOutput], sources: dict[int, str]) -> dict:
    """The manifest's metadata / cover / retail fields; failing retail rules are logged as warnings
    and, when QC ran (build/qc.json exists), written to its ``book`` list."""
    cfg, cover = project.config.output, project_cover(project)
    parts = tuple(
        BookPart(o.index, o.title, sources.get(o.index, ""), o.duration_s)
        for o in sorted(outputs, key=lambda o: o.index)
    )
    checks = book_checks(
        cfg.profile, Delivery(parts, tuple(cfg.formats), cfg.mp3_kbps, cfg.sample_rate, cover)
    )
    if (project.build_dir / "qc.json").is_file():
        with qc_report_lock(project.build_dir):
            set_book_checks(project.build_dir / "qc.json", project.name, checks)
    for check in checks:
        if not check.ok:
            progress.warning(
                "retail rule %s failed: %s", check.rule, check.detail, extra={"lector": {"event": "summary"}}
            )  # the CLI prints it in its summary
    return mf.book_sections(book_metadata(project), cover, checks, cfg.profile)


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(
    project_path: str, endpoint_url: str | None = None, bucket: str | None = None, prefix: str | None = None
) -> str:
    """publish_build(): masters + manifest.json to S3 or the local object store; returns the URL."""
    project = load_project(project_path)
    target = resolve_target(project, endpoint_url=endpoint_url, bucket=bucket, prefix=prefix)
    report = publish_build(project, target)
    progress.info("published %d objects to %s", len(report.objects), report.url)
    return report.url
