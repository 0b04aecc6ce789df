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

from lector.core.audio.cover import project_cover
from lector.core.errors import ConfigError
from lector.core.lock import project_lock, wait_from_env
from lector.core.model import Chapter, Plan
from lector.core.project import load_project
from lector.core.render import RenderReport

from . import chapter as c
from . import tasks as t
from .manifest import (
    ChapterOutput,
    chapter_from_dict,
    fallback_error,
    fallback_summary,
    read_manifest,
    read_qc_summary,
    render_fields,
    warning_counts,
)
from .report import report_run
from .runlog import batch_labels, log_rendered
from .runners import default_runner_name, in_process_run, task_runner_for, upstream, value_input


@flow(name="produce-book", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def produce_book(
    project_path: str,
    chapters: list[int] | None = None,
    draft: bool = False,
    publish: bool = True,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> dict:
    """Render (all or some) chapters of a project, export the masters, QC each chapter, export the
    review bundle, write the manifest, publish. Sentences spoken by a declared fallback voice fail
    the run (FallbackUsed, nothing published) unless ``allow_fallback``."""
    plan = t.plan_task(project_path)
    selected = _select(plan, chapters, project_path)
    summary, _ = _produce(
        project_path, plan, selected, draft=draft, publish=publish, qc=qc, allow_fallback=allow_fallback
    )
    return summary


@flow(name="rerender-changed", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_changed(
    project_path: str, publish: bool = False, qc: bool | None = None, allow_fallback: bool = False
) -> dict:
    """Re-render what changed: every sentence goes through the cache, and only chapters whose
    cache keys differ from their last timeline.json are stitched, mastered and exported again."""
    plan = t.plan_task(project_path)
    summary, _ = _produce(
        project_path,
        plan,
        list(plan.chapters),
        draft=False,
        publish=publish,
        only_changed=True,
        qc=qc,
        allow_fallback=allow_fallback,
    )
    return summary


@flow(name="rerender-sentences", task_runner=task_runner_for(default_runner_name()), log_prints=True)
def rerender_sentences(
    project_path: str,
    sentence_ids: list[str],
    publish: bool = False,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> dict:
    """Re-render the given sentences (e.g. after a review edit) and rebuild their chapters.

    The summary's ``sentences`` maps each id to its cache key."""
    plan = t.plan_task(project_path)
    wanted = set(sentence_ids)
    chapters = [ch for ch in plan.chapters if wanted & {s.id for s in ch.sentences}]
    known = {s.id for ch in chapters for s in ch.sentences}
    if wanted - known:
        raise ConfigError(
            f"unknown sentence ids: {', '.join(sorted(wanted - known))}",
            field="sentence_ids",
            fix="use ids from build/plan.json or the review app",
        )
    summary, keys = _produce(
        project_path, plan, chapters, draft=False, publish=publish, qc=qc, allow_fallback=allow_fallback
    )
    summary["sentences"] = {sid: key for sid, key in keys.items() if sid in wanted}
    return summary


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
) -> dict:
    """produce_book with a chosen task runner ("threads", "sequential", or what H adds)."""
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


def _select(plan: Plan, chapters: list[int] | None, project_path: str) -> list[Chapter]:
    if not chapters:
        return list(plan.chapters)
    have = {ch.index: ch for ch in plan.chapters}
    bad = [i for i in chapters if i not in have]
    if bad:
        raise ConfigError(
            f"no chapter(s) {bad} in this book (it has 1..{len(plan.chapters)})",
            file=project_path,
            field="chapters",
            fix="pick chapter numbers from `lector plan`",
        )
    return [have[i] for i in sorted(set(chapters))]


def _batches(chapter: Chapter, size: int) -> list[tuple]:
    s = chapter.sentences
    return [tuple(s[i : i + size]) for i in range(0, len(s), size)]


Report = PrefectFuture | RenderReport  # a synthesis task's report, or the cache's when all was cached


def _synthesis(
    project_path: str, index: int, batch: tuple, draft: bool, cached: RenderReport | None, label: str
) -> Report:
    if cached is not None:
        return cached
    return t.synthesize_task.submit(project_path, index, value_input(batch), draft, label)


def _produce(
    project_path: str,
    plan: Plan,
    chapters: list[Chapter],
    *,
    draft: bool,
    publish: bool,
    only_changed: bool = False,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> tuple[dict, dict[str, str]]:
    """_produce_locked under the project's render lock (lector.core.lock): one render per project."""
    with project_lock(load_project(project_path).build_dir, "render", wait_s=wait_from_env()):
        return _produce_locked(
            project_path,
            plan,
            chapters,
            draft=draft,
            publish=publish,
            only_changed=only_changed,
            qc=qc,
            allow_fallback=allow_fallback,
        )


def _produce_locked(
    project_path: str,
    plan: Plan,
    chapters: list[Chapter],
    *,
    draft: bool,
    publish: bool,
    only_changed: bool = False,
    qc: bool | None = None,
    allow_fallback: bool = False,
) -> tuple[dict, dict[str, str]]:
    """Submit the per-chapter pipelines; returns (summary, sentence id -> cache key)."""
    project = load_project(project_path)
    project_cover(project)  # a cover that is not an image stops the run before synthesis
    size = project.config.render.batch_size
    batches = {ch.index: _batches(ch, size) for ch in chapters}
    probed = t.cache_probe_task(project_path, value_input(batches), draft) if t.probe_is_local() else {}
    labels = {ch.index: batch_labels(ch, batches[ch.index]) for ch in chapters}  # task run names
    synth = {
        i: [
            _synthesis(project_path, i, b, draft, cached, label)
            for b, cached, label in zip(bs, probed.get(i) or [None] * len(bs), labels[i])
        ]
        for i, bs in batches.items()
    }
    _announce(chapters, batches, probed)
    if only_changed:
        early = _resolve(synth)
        chapters = [ch for ch in chapters if c.chapter_changed(project, ch, early[ch.index])]
    qc_on = project.config.render.qc if qc is None else qc
    take_checks = _take_checks(project_path, chapters, synth, qc_on)  # queued ahead of masters and exports
    pipelines = {
        ch.index: _chapter_pipeline(project_path, project, ch, synth[ch.index], len(plan.chapters))
        for ch in chapters
    }
    aacs = [future for _, _, _, future in pipelines.values() if future is not None]
    checks = _qc_pipelines(project_path, pipelines, take_checks, qc_on)
    reports = _resolve(synth, announce={ch.index: ch for ch in plan.chapters})
    mastered = {i: _with_counts(m.result(), reports[i]) for i, (m, _, _, _) in pipelines.items()}
    for aac in aacs:
        aac.result()
    # the book needs the chapters' AACs only, so it is muxed while chapter.flac may still be written
    book_files = (
        t.export_book_task(project_path, value_input(plan), _merge_previous(project, plan, mastered))
        if mastered
        else _previous_book(project)
    )
    done = {
        i: replace(mastered[i], files=_files(flac, exports)) for i, (_, exports, flac, _) in pipelines.items()
    }
    all_outputs = _merge_previous(project, plan, done)
    qc_results = {i: f.result() for i, f in checks.items()}  # build/qc.json is complete from here
    bundle = t.bundle_task(project_path) if done else None
    counts = (
        sum(r.synthesized for rs in reports.values() for r in rs),
        sum(r.cached for rs in reports.values() for r in rs),
    )
    fallback = fallback_summary(list(done.values()), allow_fallback)
    manifest_path = t.manifest_task(
        project_path,
        plan.plan_hash,
        all_outputs,
        book_files,
        counts,
        allow_fallback=allow_fallback,
        sources={ch.index: ch.source for ch in plan.chapters},
        warnings=plan.warnings,
    )
    published = t.publish_task(project_path) if publish and not fallback["publish_withheld"] else None
    keys = {r.sentence_id: r.cache_key for rs in reports.values() for rep in rs for r in rep.results}
    summary = {
        "project": project.name,
        "chapters": sorted(done),
        "synthesized": counts[0],
        "cached": counts[1],
        "masters": str(project.build_dir / "masters"),
        "manifest": manifest_path,
        "flags": [f"chapter {o.index}: {v}" for o in all_outputs for v in o.violations],
        "fallbacks": [f for o in done.values() for f in o.fallbacks],
        "published": published,
        "qc": _qc_summary(project, qc_results),
        "review_bundle": bundle,
        "fallback": fallback,
        "engine_sentences": {o.index: dict(o.engine_sentences) for o in done.values()},
        "retail": _retail_lines(project.build_dir),
        "plan_warnings": warning_counts(plan.warnings),
    }
    report_run(
        project, plan, all_outputs, set(done), qc_chapters=set(qc_results), counts=counts, published=published
    )  # the run's artifacts in the Prefect UI
    if fallback["publish_withheld"]:
        raise fallback_error(list(done.values()), summary, publish)
    return summary, keys


def _announce(chapters: list[Chapter], batches: dict[int, list[tuple]], probed: dict) -> None:
    """The run's size for the CLI's progress bar (lector/cli/commands/_progress.py): chapters, sentences,
    and how many are already in the render cache (their batches run no synthesis task)."""
    total = sum(len(b) for bs in batches.values() for b in bs)
    cached = sum(
        len(b) for i, bs in batches.items() for b, hit in zip(bs, probed.get(i) or []) if hit is not None
    )
    event = {
        "event": "start",
        "sentences": total,
        "cached": cached,
        "chapters": {ch.index: [ch.title, len(ch.sentences)] for ch in chapters},
    }
    t.progress.info(
        "rendering %d chapter(s): %d sentences, %d already in the render cache",
        len(chapters),
        total,
        cached,
        extra={"lector": event},
    )


def _retail_lines(build_dir) -> list[str]:
    """What the delivery lacks for its retailer (manifest ``retail``), the cover's warnings and the
    metadata that fell back to a default: said by the CLI, not only written down."""
    manifest = read_manifest(build_dir) or {}
    return (
        (manifest.get("retail") or {}).get("failures", [])
        + ((manifest.get("cover") or {}).get("warnings", []))
        + (manifest.get("metadata") or {}).get("notes", [])
    )


def _files(flac: PrefectFuture, exports: list[PrefectFuture]) -> tuple[str, ...]:
    """A chapter's delivery files in masters/: the FLAC (when exported) first, then the others."""
    first = flac.result()
    return ((first,) if first else ()) + tuple(e.result() for e in exports)


def _take_checks(
    project_path: str, chapters: list[Chapter], synth: dict[int, list[Report]], enabled: bool
) -> dict[int, PrefectFuture]:
    """Per chapter, its takes QC-measured as soon as they are synthesized (qc-takes), beside the
    master and the exports. Not with the render cache elsewhere ($LECTOR_CACHE_URL): the takes are
    not on this disk, and the chapter's QC slices chapter.flac instead."""
    if not enabled or os.environ.get(t.CACHE_URL_ENV, "").strip():
        return {}
    return {
        ch.index: t.qc_takes_task.submit(project_path, value_input(ch), _upstreams(synth[ch.index]))
        for ch in chapters
    }


def _qc_pipelines(
    project_path: str, pipelines: dict, take_checks: dict[int, PrefectFuture], enabled: bool
) -> dict[int, PrefectFuture]:
    """The chapter's QC right after its master and its take checks (it reads the takes from
    build/cache, timeline.json and master.json); without take checks (shared cache) it slices
    chapter.flac, so it waits for that."""
    if not enabled:
        return {}
    return {
        i: t.qc_task.submit(project_path, i, wait_for=[m, take_checks[i] if i in take_checks else flac])
        for i, (m, _, flac, _) in pipelines.items()
    }


def _qc_summary(project, results: dict[int, dict]) -> dict | None:
    """The book's QC summary (build/qc.json) plus this run's per-chapter results; None when QC was off."""
    if not results:
        return None
    summary = dict(read_qc_summary(project.build_dir) or {})
    summary["checked"] = [results[i] for i in sorted(results)]
    return summary


def _upstreams(reports: list[Report]) -> list:
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
            log_rendered(announce[i], out[i], done, sum(len(announce[j].sentences) for j in synth))
    return out


def _chapter_pipeline(project_path: str, project, chapter: Chapter, synth: list[Report], total: int):
    """master (stitch + master, block by block) -> chapter.flac (+ its FLAC export), the other
    chapter exports and the chapter's AAC for the book, side by side. Submitted chapter by chapter
    (the thread pool is first come, first served). Returns (master, exports, chapter.flac, AAC or None)."""
    chapter_value = value_input(chapter)
    mastered = c.master_task.submit(project_path, chapter_value, _upstreams(synth))
    flac = c.chapter_flac_task.submit(project_path, chapter_value, upstream(mastered), total)  # track n/N
    exports = [
        c.export_task.submit(project_path, chapter_value, fmt, upstream(mastered), total)
        for fmt in c.chapter_formats(project)
        if fmt in c.EXPORT_FORMATS
    ]
    aac = (
        c.aac_task.submit(project_path, chapter_value, upstream(mastered))
        if "m4b" in project.config.output.formats
        else None
    )
    return mastered, exports, flac, aac


def _previous_book(project) -> tuple[str, ...]:
    previous = read_manifest(project.build_dir) or {}
    return tuple(
        f["path"]
        for f in previous.get("files", [])
        if f["path"].endswith(".m4b") and (project.build_dir / f["path"]).is_file()
    )


def _with_counts(out: ChapterOutput, reports: list) -> ChapterOutput:
    return replace(out, **render_fields(reports))


def _merge_previous(project, plan: Plan, done: dict[int, ChapterOutput]) -> list[ChapterOutput]:
    """This run's chapters plus, for the others, the last manifest's entries (when still present)."""
    previous = read_manifest(project.build_dir) or {}
    by_index = dict(done)
    for entry in previous.get("chapters", []):
        idx = entry["index"]
        if idx in by_index or not all((project.build_dir / f).is_file() for f in entry["files"]):
            continue
        by_index[idx] = chapter_from_dict(entry)
    plan_indexes = {ch.index for ch in plan.chapters}
    return [by_index[i] for i in sorted(by_index) if i in plan_indexes]
