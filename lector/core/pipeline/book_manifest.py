"""The book's record of a render: build/manifest.json (with the retail rules, into build/qc.json
too) and the run's summary (what the CLI prints and the flows return)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lector.core.audio.cover import project_cover
from lector.core.ingest.metadata import book_metadata
from lector.core.model import Plan
from lector.core.project import Project
from lector.core.qc import report as qc_report
from lector.core.qc.report import ProfileCheck
from lector.core.qc.retail import BookPart, Delivery, book_checks
from lector.core.render import RenderReport

from . import _build as records
from ._build import ChapterOutput
from .qc import qc_report_lock
from .target import PublishTarget, resolve_target

progress = logging.getLogger("lector.progress")


def write_book_manifest(
    project: Project,
    plan: Plan,
    outputs: list[ChapterOutput],
    book_files: tuple[str, ...],
    counts: tuple[int, int],
    *,
    allow_fallback: bool = False,
    target: PublishTarget | None = None,
) -> Path:
    """build/manifest.json, with the book's metadata, cover, retail rules, the plan's warnings (what
    was dropped, joined, skipped or changed) and every file's URL at the publish target."""
    sources = {ch.index: ch.source for ch in plan.chapters}  # credits chapters are told by it
    book = _book_sections(project, outputs, sources)  # first: it adds to qc.json's summary
    manifest = records.build_manifest(
        project,
        plan_hash=plan.plan_hash,
        chapters=outputs,
        book_files=book_files,
        counts=counts,
        allow_fallback=allow_fallback,
    )
    manifest.update(book)
    manifest["plan_warnings"] = records.plan_warnings(plan.warnings)
    records.add_urls(manifest, target or resolve_target(project))
    return records.BuildDir.of(project).write_manifest(manifest)


def _book_sections(project: Project, outputs: list[ChapterOutput], sources: dict[int, str]) -> dict[str, Any]:
    """The manifest's metadata / cover / retail fields; failing retail rules are logged as warnings
    and, when QC ran (build/qc.json exists), written to its ``book`` list."""
    cfg, cover = project.config.output, project_cover(project)
    parts = tuple(
        BookPart(o.index, o.title, sources.get(o.index, ""), o.duration_s)
        for o in sorted(outputs, key=lambda o: o.index)
    )
    checks: tuple[ProfileCheck, ...] = book_checks(
        cfg.profile, Delivery(parts, tuple(cfg.formats), cfg.mp3_kbps, cfg.sample_rate, cover)
    )
    bd = records.BuildDir.of(project)
    if bd.qc_json.is_file():
        with qc_report_lock(project.build_dir):
            qc_report.set_book_checks(bd.qc_json, project.name, checks)
    for check in checks:
        if not check.ok:
            progress.warning(
                "retail rule %s failed: %s", check.rule, check.detail, extra={"lector": {"event": "summary"}}
            )  # the CLI prints it in its summary
    sections: dict[str, Any] = records.book_sections(book_metadata(project), cover, checks, cfg.profile)
    return sections


@dataclass(frozen=True)
class BookSummary:
    """What a render did (``to_dict()``: the summary the flows return and the CLI prints)."""

    project: str
    chapters: list[int]
    synthesized: int
    cached: int
    masters: str
    manifest: str
    flags: list[str]
    fallbacks: list[str]
    published: str | None
    qc: dict[str, Any] | None
    review_bundle: str | None
    fallback: dict[str, Any]
    engine_sentences: dict[int, dict[str, int]]
    retail: list[str]
    plan_warnings: dict[str, int]
    sentences: dict[str, str] = field(default_factory=dict)  # id -> cache key (rerender_sentences)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.sentences:
            del d["sentences"]
        return d


def run_counts(reports: dict[int, list[RenderReport]]) -> tuple[int, int]:
    """(synthesized, cached) sentences of this run."""
    return (
        sum(r.synthesized for rs in reports.values() for r in rs),
        sum(r.cached for rs in reports.values() for r in rs),
    )


def sentence_keys(reports: dict[int, list[RenderReport]]) -> dict[str, str]:
    """Sentence id -> the cache key of its take."""
    return {r.sentence_id: r.cache_key for rs in reports.values() for rep in rs for r in rep.results}


def summarize(
    project: Project,
    plan: Plan,
    done: dict[int, ChapterOutput],
    *,
    outputs: list[ChapterOutput],
    counts: tuple[int, int],
    qc_results: dict[int, dict[str, Any]],
    manifest: Path | str,
    allow_fallback: bool,
    published: str | None = None,
    review_bundle: str | None = None,
) -> BookSummary:
    """The run's summary: this run's chapters (``done``), the book's (``outputs``), QC, fallbacks."""
    return BookSummary(
        project=project.name,
        chapters=sorted(done),
        synthesized=counts[0],
        cached=counts[1],
        masters=str(project.build_dir / "masters"),
        manifest=str(manifest),
        flags=[f"chapter {o.index}: {v}" for o in outputs for v in o.violations],
        fallbacks=[f for o in done.values() for f in o.fallbacks],
        published=published,
        qc=_qc_summary(project, qc_results),
        review_bundle=review_bundle,
        fallback=records.fallback_summary(list(done.values()), allow_fallback),
        engine_sentences={o.index: dict(o.engine_sentences) for o in done.values()},
        retail=_retail_lines(project.build_dir),
        plan_warnings=records.warning_counts(plan.warnings),
    )


def publish_withheld(done: dict[int, ChapterOutput], allow_fallback: bool) -> bool:
    """A fallback voice spoke some sentence and fallbacks are not allowed: nothing is published."""
    return bool(records.fallback_summary(list(done.values()), allow_fallback)["publish_withheld"])


def raise_if_withheld(done: dict[int, ChapterOutput], summary: BookSummary, publish: bool) -> None:
    """Fail the run (FallbackUsed, its ``.summary`` the summary dict) when fallbacks withheld it."""
    if summary.fallback["publish_withheld"]:
        raise records.fallback_error(list(done.values()), summary.to_dict(), publish)


def _retail_lines(build_dir: Path) -> list[str]:
    """What the delivery lacks for its retailer (manifest ``retail``), the cover's warnings and the
    metadata that fell back to a default: said by the CLI, not only written down."""
    manifest = records.read_manifest(build_dir) or {}
    lines: list[str] = (
        (manifest.get("retail") or {}).get("failures", [])
        + ((manifest.get("cover") or {}).get("warnings", []))
        + (manifest.get("metadata") or {}).get("notes", [])
    )
    return lines


def _qc_summary(project: Project, results: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The book's QC summary (build/qc.json) plus this run's per-chapter results; None when QC was off."""
    if not results:
        return None
    summary = dict(records.read_qc_summary(project.build_dir) or {})
    summary["checked"] = [results[i] for i in sorted(results)]
    return summary
