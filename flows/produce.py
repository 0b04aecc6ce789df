"""Prefect flows: a book reads like its table of contents.

``produce_book``      plan -> synthesize (batches) -> per chapter: master (stitch + master, paragraph
                      blocks) -> chapter.flac, exports, AAC, side by side with QC (takes measured once
                      synthesized) -> book m4b -> review bundle (build/masters/review/) -> manifest
                      (with the QC summary) -> publish
``rerender_changed``  the same, but only chapters whose sentences changed are stitched again
``rerender_sentences`` re-render given sentence ids (the review app) and rebuild their chapters

``qc``: None = the project's ``[render] qc`` (default on); QC flags never fail a flow, they are
recorded in build/qc.json, the manifest's ``qc`` and the summary.
"""
from __future__ import annotations

import os
from dataclasses import replace

from prefect import flow
from prefect.futures import PrefectFuture

from tts_engine.errors import ConfigError
from tts_engine.model import Chapter, Plan
from tts_engine.project import load_project
from tts_engine.render import RenderReport

from . import chapter as c
from . import tasks as t
from .manifest import ChapterOutput, read_manifest, read_qc_summary
from .runners import default_runner_name, in_process_run, task_runner_for, upstream, value_input


@flow(name="produce-book", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def produce_book(project_path: str, chapters: list[int] | None = None, draft: bool = False,
                 publish: bool = True, qc: bool | None = None) -> dict:
    """Render (all or some) chapters of a project, export the masters, QC each chapter, export the
    review bundle, write the manifest, publish."""
    plan = t.plan_task(project_path)
    selected = _select(plan, chapters, project_path)
    summary, _ = _produce(project_path, plan, selected, draft=draft, publish=publish, qc=qc)
    return summary


@flow(name="rerender-changed", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_changed(project_path: str, publish: bool = False, qc: bool | None = None) -> dict:
    """Re-render what changed: every sentence goes through the cache, and only chapters whose
    cache keys differ from their last timeline.json are stitched, mastered and exported again."""
    plan = t.plan_task(project_path)
    summary, _ = _produce(project_path, plan, list(plan.chapters), draft=False, publish=publish,
                          only_changed=True, qc=qc)
    return summary


@flow(name="rerender-sentences", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_sentences(project_path: str, sentence_ids: list[str], publish: bool = False,
                       qc: bool | None = None) -> dict:
    """Re-render the given sentences (e.g. after a review edit) and rebuild their chapters.

    The summary's ``sentences`` maps each id to its cache key."""
    plan = t.plan_task(project_path)
    wanted = set(sentence_ids)
    chapters = [ch for ch in plan.chapters if wanted & {s.id for s in ch.sentences}]
    known = {s.id for ch in chapters for s in ch.sentences}
    if wanted - known:
        raise ConfigError(f"unknown sentence ids: {', '.join(sorted(wanted - known))}",
                          field="sentence_ids", fix="use ids from build/plan.json or the review app")
    summary, keys = _produce(project_path, plan, chapters, draft=False, publish=publish, qc=qc)
    summary["sentences"] = {sid: key for sid, key in keys.items() if sid in wanted}
    return summary


def run_book(project_path: str, *, chapters: list[int] | None = None, draft: bool = False,
             publish: bool = True, runner: str = "threads", address: str | None = None,
             max_workers: int | None = None, qc: bool | None = None) -> dict:
    """produce_book with a chosen task runner ("threads", "sequential", or what H adds)."""
    project = load_project(project_path)          # config errors surface before any flow starts
    task_runner = task_runner_for(runner, address, max_workers=max_workers)
    with in_process_run():
        return produce_book.with_options(task_runner=task_runner)(
            project_path=str(project.root), chapters=chapters, draft=draft, publish=publish, qc=qc)


# -- the shared body ------------------------------------------------------------------------------

def _select(plan: Plan, chapters: list[int] | None, project_path: str) -> list[Chapter]:
    if not chapters:
        return list(plan.chapters)
    have = {ch.index: ch for ch in plan.chapters}
    bad = [i for i in chapters if i not in have]
    if bad:
        raise ConfigError(f"no chapter(s) {bad} in this book (it has 1..{len(plan.chapters)})",
                          file=project_path, field="chapters", fix="pick chapter numbers from `lector plan`")
    return [have[i] for i in sorted(set(chapters))]


def _batches(chapter: Chapter, size: int) -> list[tuple]:
    s = chapter.sentences
    return [tuple(s[i:i + size]) for i in range(0, len(s), size)]


Report = PrefectFuture | RenderReport       # a synthesis task's report, or the cache's when all was cached


def _synthesis(project_path: str, index: int, batch: tuple, draft: bool, cached: RenderReport | None) -> Report:
    if cached is not None:
        return cached
    return t.synthesize_task.submit(project_path, index, value_input(batch), draft)


def _produce(project_path: str, plan: Plan, chapters: list[Chapter], *, draft: bool, publish: bool,
             only_changed: bool = False, qc: bool | None = None) -> tuple[dict, dict[str, str]]:
    """Submit the per-chapter pipelines; returns (summary, sentence id -> cache key)."""
    project = load_project(project_path)
    size = project.config.render.batch_size
    batches = {ch.index: _batches(ch, size) for ch in chapters}
    probed = t.cache_probe_task(project_path, value_input(batches), draft) if t.probe_is_local() else {}
    synth = {i: [_synthesis(project_path, i, b, draft, cached)
                 for b, cached in zip(bs, probed.get(i) or [None] * len(bs))] for i, bs in batches.items()}
    if only_changed:
        early = _resolve(synth)
        chapters = [ch for ch in chapters if c.chapter_changed(project, ch, early[ch.index])]
    qc_on = project.config.render.qc if qc is None else qc
    take_checks = _take_checks(project_path, chapters, synth, qc_on)    # queued ahead of masters and exports
    pipelines = {ch.index: _chapter_pipeline(project_path, project, ch, synth[ch.index]) for ch in chapters}
    aacs = [future for _, _, _, future in pipelines.values() if future is not None]
    checks = _qc_pipelines(project_path, pipelines, take_checks, qc_on)
    reports = _resolve(synth)
    mastered = {i: _with_counts(m.result(), reports[i]) for i, (m, _, _, _) in pipelines.items()}
    for aac in aacs:
        aac.result()
    # the book needs the chapters' AACs only, so it is muxed while chapter.flac may still be written
    book_files = (t.export_book_task(project_path, value_input(plan), _merge_previous(project, plan, mastered))
                  if mastered else _previous_book(project))
    done = {i: replace(mastered[i], files=_files(flac, exports)) for i, (_, exports, flac, _) in pipelines.items()}
    all_outputs = _merge_previous(project, plan, done)
    qc_results = {i: f.result() for i, f in checks.items()}      # build/qc.json is complete from here
    bundle = t.bundle_task(project_path) if done else None
    counts = (sum(r.synthesized for rs in reports.values() for r in rs),
              sum(r.cached for rs in reports.values() for r in rs))
    manifest_path = t.manifest_task(project_path, plan.plan_hash, all_outputs, book_files, counts)
    published = t.publish_task(project_path) if publish else None
    keys = {r.sentence_id: r.cache_key for rs in reports.values() for rep in rs for r in rep.results}
    summary = {
        "project": project.name, "chapters": sorted(done), "synthesized": counts[0], "cached": counts[1],
        "masters": str(project.build_dir / "masters"), "manifest": manifest_path,
        "flags": [f"chapter {o.index}: {v}" for o in all_outputs for v in o.violations],
        "fallbacks": [f for o in done.values() for f in o.fallbacks], "published": published,
        "qc": _qc_summary(project, qc_results), "review_bundle": bundle,
    }
    return summary, keys


def _files(flac: PrefectFuture, exports: list[PrefectFuture]) -> tuple[str, ...]:
    """A chapter's delivery files in masters/: the FLAC (when exported) first, then the others."""
    first = flac.result()
    return ((first,) if first else ()) + tuple(e.result() for e in exports)


def _take_checks(project_path: str, chapters: list[Chapter], synth: dict[int, list[Report]],
                 enabled: bool) -> dict[int, PrefectFuture]:
    """Per chapter, its takes QC-measured as soon as they are synthesized (qc-takes), beside the
    master and the exports. Not with the render cache elsewhere ($LECTOR_CACHE_URL): the takes are
    not on this disk, and the chapter's QC slices chapter.flac instead."""
    if not enabled or os.environ.get(t.CACHE_URL_ENV, "").strip():
        return {}
    return {ch.index: t.qc_takes_task.submit(project_path, value_input(ch), _upstreams(synth[ch.index]))
            for ch in chapters}


def _qc_pipelines(project_path: str, pipelines: dict, take_checks: dict[int, PrefectFuture],
                  enabled: bool) -> dict[int, PrefectFuture]:
    """The chapter's QC right after its master and its take checks (it reads the takes from
    build/cache, timeline.json and master.json); without take checks (shared cache) it slices
    chapter.flac, so it waits for that."""
    if not enabled:
        return {}
    return {i: t.qc_task.submit(project_path, i, wait_for=[m, take_checks[i] if i in take_checks else flac])
            for i, (m, _, flac, _) in pipelines.items()}


def _qc_summary(project, results: dict[int, dict]) -> dict | None:
    """The book's QC summary (build/qc.json) plus this run's per-chapter results; None when QC was off."""
    if not results:
        return None
    summary = dict(read_qc_summary(project.build_dir) or {})
    summary["checked"] = [results[i] for i in sorted(results)]
    return summary


def _upstreams(reports: list[Report]) -> list:
    return [upstream(r) if isinstance(r, PrefectFuture) else value_input(r) for r in reports]


def _resolve(synth: dict[int, list[Report]]) -> dict[int, list[RenderReport]]:
    return {i: [r.result() if isinstance(r, PrefectFuture) else r for r in reports] for i, reports in synth.items()}


def _chapter_pipeline(project_path: str, project, chapter: Chapter, synth: list[Report]):
    """master (stitch + master, block by block) -> chapter.flac (+ its FLAC export), the other
    chapter exports and the chapter's AAC for the book, side by side. Submitted chapter by chapter
    (the thread pool is first come, first served). Returns (master, exports, chapter.flac, AAC or None)."""
    chapter_value = value_input(chapter)
    mastered = c.master_task.submit(project_path, chapter_value, _upstreams(synth))
    flac = c.chapter_flac_task.submit(project_path, chapter_value, upstream(mastered))
    exports = [c.export_task.submit(project_path, chapter_value, fmt, upstream(mastered))
               for fmt in c.chapter_formats(project) if fmt in c.EXPORT_FORMATS]
    aac = (c.aac_task.submit(project_path, chapter_value, upstream(mastered))
           if "m4b" in project.config.output.formats else None)
    return mastered, exports, flac, aac


def _previous_book(project) -> tuple[str, ...]:
    previous = read_manifest(project.build_dir) or {}
    return tuple(f["path"] for f in previous.get("files", [])
                 if f["path"].endswith(".m4b") and (project.build_dir / f["path"]).is_file())


def _with_counts(out: ChapterOutput, reports: list) -> ChapterOutput:
    engines = sorted({ev for rep in reports for ev in rep.engine_versions})
    return replace(out, synthesized=sum(r.synthesized for r in reports), cached=sum(r.cached for r in reports),
                   fallbacks=tuple(f for r in reports for f in r.fallbacks), engines=tuple(engines))


def _merge_previous(project, plan: Plan, done: dict[int, ChapterOutput]) -> list[ChapterOutput]:
    """This run's chapters plus, for the others, the last manifest's entries (when still present)."""
    previous = read_manifest(project.build_dir) or {}
    by_index = dict(done)
    for entry in previous.get("chapters", []):
        idx = entry["index"]
        if idx in by_index or not all((project.build_dir / f).is_file() for f in entry["files"]):
            continue
        by_index[idx] = ChapterOutput(
            index=idx, title=entry["title"], duration_s=entry["duration_s"], profile=entry["profile"],
            gain_db=entry["gain_db"], measurements=tuple(entry["measurements"].items()),
            violations=tuple(entry["violations"]), files=tuple(entry["files"]),
            synthesized=0, cached=0, fallbacks=tuple(entry["fallbacks"]),
            engines=tuple(entry["engines"].items()), master_id=entry.get("master_id", ""),
            recipe_kept=bool(entry.get("recipe_kept", False)))
    plan_indexes = {ch.index for ch in plan.chapters}
    return [by_index[i] for i in sorted(by_index) if i in plan_indexes]
