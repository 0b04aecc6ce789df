"""The whole book in this process, without Prefect: ``render_book``.

The same steps as the Prefect flow produce_book (lector.flows.produce), called directly: plan ->
per chapter (synthesis batches through the render cache, take QC, master, chapter.flac, exports,
AAC, chapter QC) -> the book's M4B -> build/manifest.json. It writes the same build/ files (the
masters are byte-identical: seeds come from the plan, never from the thread). Publishing (boto3)
and the review bundle (jinja2) are the flows' steps.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lector.core.audio.cover import project_cover
from lector.core.cache import Store
from lector.core.errors import ConfigError
from lector.core.lock import project_lock, wait_from_env
from lector.core.model import Chapter, Plan
from lector.core.planner import build_plan
from lector.core.project import Project, load_project
from lector.core.render import RenderReport

from ._build import BuildDir, ChapterOutput, render_fields
from .book import export_book, merge_previous, previous_book_files
from .book_manifest import BookSummary, raise_if_withheld, run_counts, summarize, write_book_manifest
from .exports import (
    EXPORT_FORMATS,
    chapter_aac,
    chapter_changed,
    chapter_flac,
    chapter_formats,
    export_chapter,
    wants_aac,
)
from .master import master_chapter
from .progress import announce, log_rendered
from .qc import qc_chapter, qc_enabled, qc_takes
from .store import probe_is_local, render_store, takes_are_local
from .synth import Batch, batches, probe_batches, synthesize_batch


def plan_book(project: Project) -> Plan:
    """build_plan(); also writes build/plan.json."""
    plan = build_plan(project)
    BuildDir.of(project).write_plan(plan)
    return plan


def select_chapters(plan: Plan, chapters: list[int] | None, where: str | Path) -> list[Chapter]:
    """The plan's chapters numbered ``chapters`` (all when None or empty), in order."""
    if not chapters:
        return list(plan.chapters)
    have = {ch.index: ch for ch in plan.chapters}
    bad = [i for i in chapters if i not in have]
    if bad:
        raise ConfigError(
            f"no chapter(s) {bad} in this book (it has 1..{len(plan.chapters)})",
            file=where,
            field="chapters",
            fix="pick chapter numbers from `lector plan`",
        )
    return [have[i] for i in sorted(set(chapters))]


def with_counts(output: ChapterOutput, reports: list[RenderReport]) -> ChapterOutput:
    """The master's output with the chapter's synthesis facts (counts, engines, fallbacks)."""
    return replace(output, **render_fields(reports))


def finish_chapter(
    project: Project, chapter: Chapter, reports: list[RenderReport], store: Store, track_total: int
) -> ChapterOutput:
    """After synthesis: master, chapter.flac, the other exports, the AAC for the book. Returns the
    master's output with the chapter's delivery files (paths relative to build/)."""
    output = master_chapter(project, chapter, reports, store)
    flac = chapter_flac(project, chapter, track_total)
    exports = tuple(
        export_chapter(project, chapter, fmt, track_total)
        for fmt in chapter_formats(project)
        if fmt in EXPORT_FORMATS
    )
    if wants_aac(project):
        chapter_aac(project, chapter.index)
    return replace(output, files=((flac,) if flac else ()) + exports)


@dataclass(frozen=True)
class _Options:
    store: Store
    draft: bool
    qc: bool
    take_qc: bool
    track_total: int


def render_book(
    project: Project | str | Path,
    *,
    chapters: list[int] | None = None,
    draft: bool = False,
    qc: bool | None = None,
    allow_fallback: bool = False,
    only_changed: bool = False,
    store: Store | None = None,
    workers: int = 1,
) -> BookSummary:
    """Render (all or ``chapters`` of) a book in this process: masters, M4B, QC, manifest; no
    publish, no review bundle. ``workers`` > 1 renders that many chapters at once (threads).
    Fallback takes that are not allowed fail the run (FallbackUsed) after the manifest is written.
    ``only_changed``: only chapters whose takes differ from their last timeline are mastered again."""
    project = project if isinstance(project, Project) else load_project(project)
    plan = plan_book(project)
    selected = select_chapters(plan, chapters, project.root)
    with project_lock(project.build_dir, "render", wait_s=wait_from_env()):
        project_cover(project)  # a cover that is not an image stops the run before synthesis
        qc_on = qc_enabled(project, qc)
        opts = _Options(
            store or render_store(project), draft, qc_on, qc_on and takes_are_local(), len(plan.chapters)
        )
        reports = _synthesize(project, selected, opts)
        if only_changed:
            selected = [ch for ch in selected if chapter_changed(project, ch, reports[ch.index])]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            rendered = list(pool.map(lambda ch: _chapter(project, ch, reports[ch.index], opts), selected))
        return _finish(project, plan, reports, dict(rendered), allow_fallback)


def _synthesize(project: Project, chapters: list[Chapter], opts: _Options) -> dict[int, list[RenderReport]]:
    """Every chapter's batches, cache first; logged chapter by chapter with the book's progress."""
    size = project.config.render.batch_size
    chapter_batches = {ch.index: batches(ch, size) for ch in chapters}
    probed = probe_batches(project, chapter_batches, opts.store, opts.draft) if probe_is_local() else {}
    announce(chapters, chapter_batches, probed)
    out: dict[int, list[RenderReport]] = {}
    done, total = 0, sum(len(ch.sentences) for ch in chapters)
    for ch in chapters:
        bs = chapter_batches[ch.index]
        out[ch.index] = [
            hit or _batch(project, ch.index, b, opts)
            for b, hit in zip(bs, probed.get(ch.index) or [None] * len(bs), strict=True)
        ]
        done += sum(len(r.results) for r in out[ch.index])
        log_rendered(ch, out[ch.index], done, total)
    return out


def _batch(project: Project, index: int, batch: Batch, opts: _Options) -> RenderReport:
    return synthesize_batch(project, index, batch, opts.store, draft=opts.draft)


def _chapter(
    project: Project, chapter: Chapter, reports: list[RenderReport], opts: _Options
) -> tuple[int, tuple[ChapterOutput, dict[str, Any] | None]]:
    """One chapter after synthesis: take QC, master and deliveries, chapter QC."""
    if opts.take_qc:
        qc_takes(project, chapter, reports)
    output = with_counts(finish_chapter(project, chapter, reports, opts.store, opts.track_total), reports)
    return chapter.index, (output, qc_chapter(project, chapter.index, chapter) if opts.qc else None)


def _finish(
    project: Project,
    plan: Plan,
    reports: dict[int, list[RenderReport]],
    rendered: dict[int, tuple[ChapterOutput, dict[str, Any] | None]],
    allow_fallback: bool,
) -> BookSummary:
    """The book's M4B, the manifest and the summary (FallbackUsed when fallbacks withhold it)."""
    done = {i: out for i, (out, _) in sorted(rendered.items())}
    qc_results = {i: res for i, (_, res) in rendered.items() if res is not None}
    outputs = merge_previous(project, plan, done)
    book_files = export_book(project, plan, outputs) if done else previous_book_files(project)
    counts = run_counts(reports)
    manifest = write_book_manifest(project, plan, outputs, book_files, counts, allow_fallback=allow_fallback)
    summary = summarize(
        project,
        plan,
        done,
        outputs=outputs,
        counts=counts,
        qc_results=qc_results,
        manifest=manifest,
        allow_fallback=allow_fallback,
    )
    raise_if_withheld(done, summary, publish=False)
    return summary
