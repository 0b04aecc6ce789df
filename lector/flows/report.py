"""The run's report in the Prefect UI: a markdown artifact (chapters, durations, loudness, engines,
QC flags linked to the review page, published URL) and a table artifact of every flag.

``run_report`` is pure (tests compare its text exactly); ``publish_run_artifacts`` creates both
artifacts on the current flow run, keyed by project (``lector-<project>-report`` /
``-flags``), so the UI's Artifacts page keeps one versioned entry per book. Review links point at
``$LECTOR_REVIEW_URL`` (the review app, `lector review`; default http://127.0.0.1:8765):
``/chapters/N#s-<sentence id>``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from lector.core.build import BuildDir, ChapterOutput
from lector.core.model import Plan
from lector.core.project import Project

REVIEW_URL_ENV = "LECTOR_REVIEW_URL"
DEFAULT_REVIEW_URL = "http://127.0.0.1:8765"
TEXT_CHARS = 80
FLAG_COLUMNS = ("chapter", "title", "sentence", "kind", "flag", "text", "review")


@dataclass(frozen=True)
class RunReport:
    markdown: str
    flags: tuple[dict, ...]  # rows of the table artifact, FLAG_COLUMNS in order


def review_base() -> str:
    return (os.environ.get(REVIEW_URL_ENV, "").strip() or DEFAULT_REVIEW_URL).rstrip("/")


def artifact_key(project_name: str, what: str) -> str:
    """Prefect artifact keys take lowercase letters, digits and dashes only."""
    slug = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-") or "book"
    return f"lector-{slug}-{what}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds, 1), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1].rstrip() + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def read_qc_chapters(build_dir: Path, indexes: set[int]) -> dict[int, dict]:
    """The chapters of build/qc.json among ``indexes`` (empty before QC ran or with QC off)."""
    report = BuildDir(build_dir).read_qc() if indexes else None
    return {} if report is None else report.chapters_among(indexes)


def flag_rows(
    outputs: list[ChapterOutput], qc: dict[int, dict], texts: dict[str, str], base: str
) -> list[dict]:
    """One row per flag: mastering (profile) violations, fallback voices, QC sentence flags."""
    rows = []
    for ch in outputs:
        page = f"{base}/chapters/{ch.index}"
        rows += [_flag_row(ch, "", "master", v, text="", review=page) for v in ch.violations]
        rows += [
            _flag_row(
                ch,
                sid,
                "fallback",
                f"voice {voice} spoken by {engine}",
                text=texts.get(sid, ""),
                review=f"{page}#s-{sid}",
            )
            for sid, voice, engine, _ in ch.fallback_details
        ]
        for s in (qc.get(ch.index) or {}).get("sentences", []):
            sid = s["sentence_id"]
            rows += [
                _flag_row(ch, sid, "qc", flag, text=texts.get(sid, ""), review=f"{page}#s-{sid}")
                for flag in s.get("flags", [])
            ]
    return rows


def _flag_row(ch: ChapterOutput, sid: str, kind: str, flag: str, *, text: str, review: str) -> dict:
    """One row of the flags table, FLAG_COLUMNS in order (the sentence text shortened)."""
    values = (ch.index, ch.title, sid, kind, flag, _short(text), review)
    return dict(zip(FLAG_COLUMNS, values, strict=True))


def _chapter_table(
    outputs: list[ChapterOutput], rendered: set[int], rows: list[dict], base: str
) -> list[str]:
    lines = [
        "| Chapter | Title | Duration | Loudness (LUFS) | True peak (dBTP) | Profile | Engines | Flags |",
        "|---:|---|---:|---:|---:|---|---|---:|",
    ]
    for ch in outputs:
        m = dict(ch.measurements)
        profile = f"{ch.profile} ✓" if not ch.violations else f"{ch.profile} ✗"
        engines = ", ".join(f"{e} ({n})" for e, n in ch.engine_sentences) or "—"
        n_flags = sum(1 for r in rows if r["chapter"] == ch.index)
        mark = "" if ch.index in rendered else " (kept)"
        lines.append(
            f"| [{ch.index}]({base}/chapters/{ch.index}){mark} | {_cell(ch.title)} | "
            f"{_duration(ch.duration_s)} | {m.get('lufs_integrated', float('nan')):.1f} | "
            f"{m.get('true_peak_dbfs', float('nan')):.1f} | {profile} | {engines} | {n_flags} |"
        )
    return lines


def run_report(
    project: Project,
    plan: Plan,
    outputs: list[ChapterOutput],
    rendered: set[int],
    *,
    qc: dict[int, dict],
    counts: tuple[int, int],
    published: str | None,
    base: str | None = None,
) -> RunReport:
    """The markdown and the flag rows of one run over ``outputs`` (the book's chapters;
    ``rendered``: those this run rendered, the others were kept from the last run)."""
    base = (base or review_base()).rstrip("/")
    texts = {s.id: s.text for ch in plan.chapters for s in ch.sentences}
    rows = flag_rows(outputs, qc, texts, base)
    book = project.config.book
    total_s = sum(ch.duration_s for ch in outputs)
    lines = [
        f"# {book.title or project.name}" + (f" — {book.author}" if book.author else ""),
        "",
        f"Project `{project.name}` · chapters rendered this run: "
        f"{', '.join(map(str, sorted(rendered))) or 'none (nothing changed)'} · "
        f"sentences synthesized {counts[0]}, cached {counts[1]} · book {_duration(total_s)}",
        "",
    ]
    lines += _chapter_table(outputs, rendered, rows, base)
    lines += ["", f"## Flags ({len(rows)})", ""]
    lines += [
        f"- [ch{r['chapter']:02d}{' ' + r['sentence'] if r['sentence'] else ''}]({r['review']}) "
        f"{r['kind']}: {r['flag']}" + (f" — “{r['text']}”" if r["text"] else "")
        for r in rows
    ] or ["None."]
    lines += ["", "## Published", "", f"- {published}" if published else "Not published by this run."]
    return RunReport("\n".join(lines) + "\n", tuple(rows))


def publish_run_artifacts(project: Project, report: RunReport) -> None:
    """The report's two artifacts on the current flow run (call inside a flow)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        report.markdown,
        key=artifact_key(project.name, "report"),
        description=f"Lector run report: {project.config.book.title or project.name}",
    )
    create_table_artifact(
        [dict(r) for r in report.flags],
        key=artifact_key(project.name, "flags"),
        description=f"{len(report.flags)} flags: mastering profile, fallback voices, QC",
    )


def report_run(
    project: Project,
    plan: Plan,
    outputs: list[ChapterOutput],
    rendered: set[int],
    *,
    qc_chapters: set[int],
    counts: tuple[int, int],
    published: str | None,
) -> RunReport:
    """run_report() of the flow's results (QC flags from build/qc.json), published as artifacts."""
    report = run_report(
        project,
        plan,
        outputs,
        rendered,
        qc=read_qc_chapters(project.build_dir, qc_chapters),
        counts=counts,
        published=published,
    )
    publish_run_artifacts(project, report)
    return report
