"""Prefect tasks of the book: each is one call into lector.core.pipeline.

Tasks take the loaded ``Project`` (a small picklable value: the flow loads project.toml once and
the tasks run the same in threads, in Dask workers or on another machine) and pass paths and
cache keys, not audio arrays. Prefect's own result caching is off (``NO_CACHE``): the render
cache and the pipeline's stamps are what make re-runs incremental.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency

from lector.core import pipeline as p
from lector.core.build import ChapterOutput
from lector.core.model import Chapter, Plan, Sentence
from lector.core.pipeline.target import resolve_target
from lector.core.project import Project
from lector.core.render import RenderReport

from . import s3store  # noqa: F401  (registers the s3:// render cache)
from .publish import publish_build
from .runlog import chapter_run_name, forward_to_run_logs

GPU_LIMIT = "gpu"
CACHE_URL_ENV = p.CACHE_URL_ENV
progress = logging.getLogger(p.PROGRESS_LOGGER)
forward_to_run_logs()  # progress lines into the flow/task run logs (the Prefect UI)


def gpu_slot() -> Any:
    """The "gpu" concurrency limit (a no-op when the server has none)."""
    return concurrency(GPU_LIMIT, occupy=1, strict=False)


@task(name="plan", cache_policy=NO_CACHE, persist_result=False)
def plan_task(project: Project) -> Plan:
    """build_plan(); also writes build/plan.json."""
    return p.plan_book(project)


@task(
    name="synthesize",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=1,
    retry_delay_seconds=2,
    task_run_name=chapter_run_name("render"),
)
def synthesize_task(
    project: Project,
    chapter_index: int,
    sentences: tuple[Sentence, ...],
    draft: bool = False,
    label: str = "",
) -> RenderReport:
    """One batch through the render cache and the engines, under the "gpu" limit when it needs one."""
    store = p.render_store(project)
    return p.synthesize_batch(
        project, chapter_index, sentences, store, draft=draft, label=label, gpu_gate=gpu_slot
    )


@task(name="cache-probe", cache_policy=NO_CACHE, persist_result=False)
def cache_probe_task(
    project: Project, batches: dict[int, list[tuple[Sentence, ...]]], draft: bool = False
) -> dict[int, list[RenderReport | None]]:
    """The batches whose takes are all cached already (they need no synthesis task)."""
    return p.probe_batches(project, batches, p.render_store(project), draft)


@task(name="export-m4b", cache_policy=NO_CACHE, persist_result=False)
def export_book_task(project: Project, plan: Plan, outputs: list[ChapterOutput]) -> tuple[str, ...]:
    """The book's .m4b from the chapters' AACs."""
    return p.export_book(project, plan, outputs)


@task(name="qc", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("qc"))
def qc_task(project: Project, chapter_index: int, chapter: Chapter | None = None) -> dict[str, Any]:
    """The chapter's QC, merged into build/qc.json; flags are recorded, never raised."""
    return p.qc_chapter(project, chapter_index, chapter)


@task(
    name="qc-takes", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("qc-takes")
)
def qc_takes_task(project: Project, chapter: Chapter, reports: list[RenderReport]) -> int:
    """The chapter's takes QC-measured right after synthesis."""
    return p.qc_takes(project, chapter, reports)


@task(name="review-bundle", cache_policy=NO_CACHE, persist_result=False)
def bundle_task(project: Project) -> str:
    """lector.review.bundle.export_bundle() into build/masters/review/; returns its index.html."""
    from lector.core.build import BuildDir
    from lector.review.bundle import export_bundle

    index = export_bundle(project, BuildDir.of(project).review_bundle_dir)
    progress.info("review bundle: %s", index)
    return str(index)


@task(name="manifest", cache_policy=NO_CACHE, persist_result=False)
def manifest_task(
    project: Project,
    plan: Plan,
    outputs: list[ChapterOutput],
    book_files: tuple[str, ...],
    counts: tuple[int, int],
    *,
    allow_fallback: bool = False,
) -> str:
    """build/manifest.json (the book's record, with every file's URL at the publish target)."""
    return str(
        p.write_book_manifest(project, plan, outputs, book_files, counts, allow_fallback=allow_fallback)
    )


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(
    project: Project, endpoint_url: str | None = None, bucket: str | None = None, prefix: str | None = None
) -> str:
    """publish_build(): masters + manifest.json to S3 or the local object store; returns the URL."""
    target = resolve_target(project, endpoint_url=endpoint_url, bucket=bucket, prefix=prefix)
    report = publish_build(project, target)
    progress.info("published %d objects to %s", len(report.objects), report.url)
    return report.url
