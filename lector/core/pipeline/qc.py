"""QC of a chapter inside a render: its takes measured right after synthesis (``qc_takes``), then
the chapter scored from them and its master (``qc_chapter``), merged into build/qc.json.
Flags are recorded, never raised."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lector.core.build import BuildDir
from lector.core.errors import LectorError
from lector.core.model import Chapter
from lector.core.project import Project
from lector.core.qc import report as qc_report
from lector.core.qc.runner import Take, measure_takes, options_for, planned_texts, run_qc
from lector.core.render import RenderReport

progress = logging.getLogger("lector.progress")
_QC_MERGE = threading.Lock()


def qc_enabled(project: Project, qc: bool | None) -> bool:
    """``qc``: None = the project's ``[render] qc``."""
    return project.config.render.qc if qc is None else qc


@contextmanager
def qc_report_lock(build_dir: Path) -> Iterator[None]:
    """Serialise read-merge-write of build/qc.json across threads and processes (Dask workers)."""
    build_dir.mkdir(parents=True, exist_ok=True)
    with _QC_MERGE, open(BuildDir(build_dir).qc_lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def qc_chapter(project: Project, chapter_index: int, chapter: Chapter | None = None) -> dict[str, Any]:
    """run_qc() of one mastered chapter (signal, voice consistency, ASR round-trip, profile),
    merged into build/qc.json; returns the chapter's QC summary. A QC that cannot run at all
    (unreadable audio, missing timeline) is returned as ``error``. ``chapter``: its plan, when the
    caller has it (else QC reads the whole book's build/plan.json for this one chapter)."""
    planned = planned_texts(chapter.sentences) if chapter is not None else None
    try:
        report = run_qc(
            project.root, chapters=[chapter_index], options=options_for(project), write=False, planned=planned
        )
    except LectorError as exc:
        progress.warning("chapter %d: QC could not run: %s", chapter_index, exc)
        return {"chapter": chapter_index, "error": str(exc)}
    with qc_report_lock(project.build_dir):
        qc_report.merge_into_report(
            BuildDir.of(project).qc_json, report.project, report.chapters, report.thresholds
        )
    summary = report.chapters[0].summary() if report.chapters else {"chapter": chapter_index, "sentences": 0}
    progress.info(
        "chapter %d QC: %d of %d sentences flagged%s",
        chapter_index,
        summary.get("flagged", 0),
        summary["sentences"],
        "" if summary.get("profile_ok") is not False else ", profile FAILED",
    )
    return summary


def qc_takes(project: Project, chapter: Chapter, reports: list[RenderReport]) -> int:
    """measure_takes(): the chapter's takes QC-measured right after synthesis, so qc_chapter only
    assembles and scores. Returns the takes measured."""
    keys = {r.sentence_id: r.cache_key for rep in reports for r in rep.results if r.cache_key}
    takes = [
        Take(s.id, s.text, s.voice, s.lang, s.spoken, keys[s.id]) for s in chapter.sentences if s.id in keys
    ]
    try:
        return measure_takes(project.build_dir, takes, options_for(project))
    except LectorError as exc:  # qc_chapter reports what cannot be checked
        progress.warning("chapter %d: take QC could not run: %s", chapter.index, exc)
        return 0
