"""Prefect flows: a book reads like its table of contents.

``produce_book``      plan -> synthesize (batches) -> per chapter: master -> chapter.flac, exports,
                      AAC, side by side with QC (takes measured once synthesized) -> book m4b ->
                      review bundle (build/masters/review/) -> manifest (with the QC summary) -> publish
``rerender_changed``  the same, but only chapters whose sentences changed are stitched again
``rerender_sentences`` re-render given sentence ids (the review app) and rebuild their chapters

Each task is one call into lector.core.pipeline (lector.core.pipeline.render_book runs the same
steps without Prefect); the flows add retries, concurrency, the task runner and the Prefect UI.
``qc``: None = the project's ``[render] qc`` (default on); QC flags never fail a flow, they are
recorded in build/qc.json, the manifest's ``qc`` and the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from prefect import flow
from prefect.futures import PrefectFuture

from lector.core import pipeline as p
from lector.core.audio.cover import project_cover
from lector.core.build import ChapterOutput
from lector.core.errors import ConfigError
from lector.core.lock import project_lock, wait_from_env
from lector.core.model import Chapter, Plan
from lector.core.project import Project, load_project
from lector.core.render import RenderReport

from . import chapter as c
from . import tasks as t
from .report import report_run
from .runlog import batch_labels
from .runners import default_runner_name, in_process_run, task_runner_for, upstream, value_input

Report = (
    PrefectFuture[RenderReport] | RenderReport
)  # a synthesis task's report, or the cache's when all was cached


@dataclass(frozen=True)
class _Options:
    draft: bool = False
    publish: bool = True
    qc: bool | None = None
    allow_fallback: bool = False
    only_changed: bool = False


@flow(name="produce-book", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def produce_book(
    project_path: str,
    *,
    chapters: list[int] | None = None,
    draft: bool = False,
    publish: bool = True,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> dict[str, Any]:
    """Render (all or some) chapters of a project, export the masters, QC each chapter, export the
    review bundle, write the manifest, publish. Sentences spoken by a declared fallback voice fail
    the run (FallbackUsed, nothing published) unless ``allow_fallback``."""
    project = load_project(project_path)
    plan = t.plan_task(value_input(project))
    selected = p.select_chapters(plan, chapters, project_path)
    summary, _ = _produce(project, plan, selected, _Options(draft, publish, qc, allow_fallback))
    return summary.to_dict()


@flow(name="rerender-changed", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_changed(
    project_path: str, publish: bool = False, qc: bool | None = None, allow_fallback: bool = False
) -> dict[str, Any]:
    """Re-render what changed: every sentence goes through the cache, and only chapters whose
    cache keys differ from their last timeline.json are stitched, mastered and exported again."""
    project = load_project(project_path)
    plan = t.plan_task(value_input(project))
    options = _Options(False, publish, qc, allow_fallback, only_changed=True)
    summary, _ = _produce(project, plan, list(plan.chapters), options)
    return summary.to_dict()


@flow(name="rerender-sentences", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_sentences(
    project_path: str,
    sentence_ids: list[str],
    publish: bool = False,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> dict[str, Any]:
    """Re-render the given sentences (e.g. after a review edit) and rebuild their chapters.

    The summary's ``sentences`` maps each id to its cache key."""
    project = load_project(project_path)
    plan = t.plan_task(value_input(project))
    wanted = set(sentence_ids)
    chapters = [ch for ch in plan.chapters if wanted & {s.id for s in ch.sentences}]
    known = {s.id for ch in chapters for s in ch.sentences}
    if wanted - known:
        raise ConfigError(
            f"unknown sentence ids: {', '.join(sorted(wanted - known))}",
            field="sentence_ids",
            fix="use ids from build/plan.json or the review app",
        )
    summary, keys = _produce(project, plan, chapters, _Options(False, publish, qc, allow_fallback))
    return replace(summary, sentences={sid: key for sid, key in keys.items() if sid in wanted}).to_dict()


def run_book(
    project_path: str,
    *,
    chapters: list[int] | None = None,
    draft: bool = False,
    publish: bool = True,
    runner: str = "threads",
    address: str | None = None,
    max_workers: int | None = None,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> dict[str, Any]:
    """produce_book with a chosen task runner ("threads", "sequential" or "dask")."""
    project = load_project(project_path)  # config errors surface before any flow starts
    task_runner = task_runner_for(runner, address, max_workers=max_workers)
    with in_process_run():
        return produce_book.with_options(task_runner=task_runner)(
            project_path=str(project.root),
            chapters=chapters,
            draft=draft,
            publish=publish,
            qc=qc,
            allow_fallback=allow_fallback,
        )


# -- the shared body ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ChapterTasks:
    """A chapter's tasks after synthesis: master -> chapter.flac, the other exports, the AAC."""

    master: PrefectFuture[ChapterOutput]
    flac: PrefectFuture[str | None]
    exports: list[PrefectFuture[str]]
    aac: PrefectFuture[str] | None

    def files(self) -> tuple[str, ...]:
        """Its delivery files in masters/: the FLAC (when exported) first, then the others."""
        first = self.flac.result()
        return ((first,) if first else ()) + tuple(e.result() for e in self.exports)


def _produce(
    project: Project, plan: Plan, chapters: list[Chapter], run: _Options
) -> tuple[p.BookSummary, dict[str, str]]:
    """The chapters' pipelines under the project's render lock; returns (summary, id -> cache key)."""
    with project_lock(project.build_dir, "render", wait_s=wait_from_env()):
        project_cover(project)  # a cover that is not an image stops the run before synthesis
        synth = _synthesis(project, chapters, run.draft)
        if run.only_changed:
            early = _resolve(synth)
            chapters = [ch for ch in chapters if p.chapter_changed(project, ch, early[ch.index])]
        qc_on = p.qc_enabled(project, run.qc)
        take_checks = _take_checks(project, chapters, synth, qc_on)  # queued ahead of masters and exports
        tasks = _all_chapter_tasks(project, chapters, synth, len(plan.chapters))
        checks = _qc_tasks(project, {ch.index: ch for ch in chapters}, tasks, take_checks, qc_on)
        reports = _resolve(synth, announce={ch.index: ch for ch in plan.chapters})
        return _finish(project, plan, tasks, checks, reports, run=run), p.sentence_keys(reports)


def _finish(
    project: Project,
    plan: Plan,
    tasks: dict[int, _ChapterTasks],
    checks: dict[int, PrefectFuture[Any]],
    reports: dict[int, list[RenderReport]],
    *,
    run: _Options,
) -> p.BookSummary:
    """The book's M4B, review bundle, manifest and publish once the chapters are done."""
    mastered = {i: p.with_counts(ch.master.result(), reports[i]) for i, ch in tasks.items()}
    for aac in [ch.aac for ch in tasks.values() if ch.aac is not None]:
        aac.result()
    # the book needs the chapters' AACs only, so it is muxed while chapter.flac may still be written
    book_files = _book(project, plan, mastered)
    done = {i: replace(mastered[i], files=ch.files()) for i, ch in tasks.items()}
    outputs = p.merge_previous(project, plan, done)
    qc_results = {i: f.result() for i, f in checks.items()}  # build/qc.json is complete from here
    bundle = t.bundle_task(value_input(project)) if done else None
    counts = p.run_counts(reports)
    manifest = t.manifest_task(
        value_input(project),
        value_input(plan),
        outputs,
        book_files,
        counts,
        allow_fallback=run.allow_fallback,
    )
    withheld = p.publish_withheld(done, run.allow_fallback)
    published = t.publish_task(value_input(project)) if run.publish and not withheld else None
    summary = p.summarize(
        project,
        plan,
        done,
        outputs=outputs,
        counts=counts,
        qc_results=qc_results,
        manifest=manifest,
        allow_fallback=run.allow_fallback,
        published=published,
        review_bundle=bundle,
    )
    report_run(
        project, plan, outputs, set(done), qc_chapters=set(qc_results), counts=counts, published=published
    )  # the run's artifacts in the Prefect UI
    p.raise_if_withheld(done, summary, run.publish)
    return summary


def _book(project: Project, plan: Plan, mastered: dict[int, ChapterOutput]) -> tuple[str, ...]:
    """The book's M4B from this run's and the last run's chapters; the last one when none was mastered."""
    if not mastered:
        return p.previous_book_files(project)
    outputs = p.merge_previous(project, plan, mastered)
    return t.export_book_task(value_input(project), value_input(plan), outputs)


def _synthesis(project: Project, chapters: list[Chapter], draft: bool) -> dict[int, list[Report]]:
    """Every batch: its cached report when all its takes are in the cache, else a synthesis task."""
    size = project.config.render.batch_size
    batches = {ch.index: p.batches(ch, size) for ch in chapters}
    pv = value_input(project)
    probed = t.cache_probe_task(pv, value_input(batches), draft) if p.probe_is_local() else {}
    p.announce(chapters, batches, probed)
    out: dict[int, list[Report]] = {}
    for ch in chapters:
        bs, labels = batches[ch.index], batch_labels(ch, batches[ch.index])  # task run names
        hits = probed.get(ch.index) or [None] * len(bs)
        out[ch.index] = [
            hit or t.synthesize_task.submit(pv, ch.index, value_input(b), draft, label)
            for b, hit, label in zip(bs, hits, labels, strict=True)
        ]
    return out


def _take_checks(
    project: Project, chapters: list[Chapter], synth: dict[int, list[Report]], enabled: bool
) -> dict[int, PrefectFuture[Any]]:
    """Per chapter, its takes QC-measured as soon as they are synthesized (qc-takes), beside the
    master and the exports. Not with the render cache elsewhere ($LECTOR_CACHE_URL): the takes are
    not on this disk, and the chapter's QC slices chapter.flac instead."""
    if not enabled or not p.takes_are_local():
        return {}
    return {
        ch.index: t.qc_takes_task.submit(value_input(project), value_input(ch), _upstreams(synth[ch.index]))
        for ch in chapters
    }


def _qc_tasks(
    project: Project,
    chapters: dict[int, Chapter],
    tasks: dict[int, _ChapterTasks],
    take_checks: dict[int, PrefectFuture[Any]],
    enabled: bool,
) -> dict[int, PrefectFuture[Any]]:
    """The chapter's QC right after its master and its take checks (it reads the takes from
    build/cache, timeline.json and master.json); without take checks (shared cache) it slices
    chapter.flac, so it waits for that."""
    if not enabled:
        return {}
    return {
        i: t.qc_task.submit(
            value_input(project),
            i,
            value_input(chapters[i]),
            return_state=False,
            wait_for=[ch.master, take_checks.get(i, ch.flac)],
        )
        for i, ch in tasks.items()
    }


def _upstreams(reports: list[Report]) -> list[Any]:
    return [upstream(r) if isinstance(r, PrefectFuture) else value_input(r) for r in reports]


def _resolve(
    synth: dict[int, list[Report]], announce: dict[int, Chapter] | None = None
) -> dict[int, list[RenderReport]]:
    """The batches' reports; ``announce``: log each chapter (and the book's sentences done/total) as
    its synthesis completes, in chapter order."""
    out: dict[int, list[RenderReport]] = {}
    done = 0
    for i, reports in synth.items():
        out[i] = [r.result() if isinstance(r, PrefectFuture) else r for r in reports]
        if announce:
            done += sum(len(r.results) for r in out[i])
            p.log_rendered(announce[i], out[i], done, sum(len(announce[j].sentences) for j in synth))
    return out


CHAPTERS_IN_FLIGHT = 2  # a chapter is mastered once the one this many places before is delivered


def _all_chapter_tasks(
    project: Project, chapters: list[Chapter], synth: dict[int, list[Report]], total: int
) -> dict[int, _ChapterTasks]:
    """Every chapter's tasks, each chapter's master after the deliveries of the chapter
    ``CHAPTERS_IN_FLIGHT`` places before it. Mastering is fast and encoding is not: unbounded, the
    masters ran ahead and every chapter's MP3 and AAC encodes were in flight at once, each holding
    its chapter's frames, so the render grew with the book."""
    out: dict[int, _ChapterTasks] = {}
    for n, ch in enumerate(chapters):
        before = out[chapters[n - CHAPTERS_IN_FLIGHT].index] if n >= CHAPTERS_IN_FLIGHT else None
        out[ch.index] = _chapter_tasks(project, ch, synth[ch.index], total, before)
    return out


def _chapter_tasks(
    project: Project, chapter: Chapter, synth: list[Report], total: int, after: _ChapterTasks | None
) -> _ChapterTasks:
    """master -> chapter.flac (+ its FLAC export), the other chapter exports and the chapter's AAC for
    the book, side by side; the master waits for ``after``'s deliveries. Submitted chapter by chapter
    (the thread pool is first come, first served, so a task only ever waits for earlier ones)."""
    pv, cv = value_input(project), value_input(chapter)
    wait: list[PrefectFuture[Any]] = [] if after is None else [after.flac, *after.exports]
    if after is not None and after.aac is not None:
        wait.append(after.aac)
    mastered = c.master_task.submit(pv, cv, _upstreams(synth), return_state=False, wait_for=wait)
    flac = c.chapter_flac_task.submit(pv, cv, upstream(mastered), total)  # track n/N
    exports = [
        c.export_task.submit(pv, cv, fmt, upstream(mastered), total)
        for fmt in p.chapter_formats(project)
        if fmt in p.EXPORT_FORMATS
    ]
    aac = c.aac_task.submit(pv, cv, upstream(mastered)) if p.wants_aac(project) else None
    return _ChapterTasks(mastered, flac, exports, aac)
