"""``build/qc.json``: the QC report of every checked chapter, merged chapter by chapter, and the
book's retail rules (``book``). The records it holds are lector.core.qc.report's, as dicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildRecordError
from . import layout
from .records import JsonObject, field_error, read_object, schema_of, write_object

KIND = "qc"


@dataclass(frozen=True)
class QCFile:
    """build/qc.json: ``chapters`` are ChapterQC.to_dict() rows sorted by chapter, ``book`` the
    retail rules (ProfileCheck dicts) or None before they were checked."""

    project: str
    summary: JsonObject | None  # None: a report written without one
    thresholds: JsonObject
    chapters: tuple[JsonObject, ...]
    book: tuple[JsonObject, ...] | None = None

    def to_dict(self) -> JsonObject:
        d: JsonObject = {"schema": schema_of(KIND), "project": self.project}
        if self.summary is not None:
            d["summary"] = self.summary
        d.update(thresholds=self.thresholds, chapters=list(self.chapters))
        if self.book is not None:
            d["book"] = list(self.book)
        return d

    @classmethod
    def from_dict(cls, d: JsonObject) -> QCFile:
        chapters = tuple(d.get("chapters", ()))
        book = d.get("book")
        return cls(
            project=str(d.get("project", "")),
            summary=dict(d["summary"]) if d.get("summary") is not None else None,
            thresholds=dict(d.get("thresholds") or {}),
            chapters=chapters,
            book=None if book is None else tuple(book),
        )

    def sentences(self) -> dict[str, JsonObject]:
        """sentence id -> its QC row, over every chapter."""
        return {s["sentence_id"]: s for c in self.chapters for s in c.get("sentences", [])}

    def chapters_among(self, indexes: Iterable[int]) -> dict[int, JsonObject]:
        wanted = set(indexes)
        return {c["chapter"]: c for c in self.chapters if c.get("chapter") in wanted}


def summary_of(chapters: Sequence[JsonObject]) -> JsonObject:
    counts: Counter[str] = Counter()
    for c in chapters:
        counts.update(c["summary"]["flags"])
    return {
        "chapters": len(chapters),
        "sentences": sum(c["summary"]["sentences"] for c in chapters),
        "flagged": sum(c["summary"]["flagged"] for c in chapters),
        "flags": dict(sorted(counts.items())),
        "profile_failures": sum(1 for c in chapters for p in c["profile"] if not p["ok"]),
    }


def read_qc(path: Path) -> QCFile | None:
    """The report at ``path``; None before QC ran (BuildRecordError when damaged or newer)."""
    data = read_object(path, KIND)
    if data is None:
        return None
    try:
        return QCFile.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise field_error(path, exc) from None


def read_qc_or_none(path: Path) -> QCFile | None:
    """read_qc(), with a damaged report read as none (merging over it rewrites it whole); a newer
    Lector's report is still refused."""
    try:
        return read_qc(path)
    except BuildRecordError as exc:
        if exc.field == "schema":
            raise
        return None


def write_qc(path: Path, report: QCFile) -> Path:
    return write_object(path, report.to_dict(), newline=False, fsync=False)


def merge_qc(
    path: Path, project: str, chapters: Sequence[JsonObject], thresholds: JsonObject, summary: JsonObject
) -> QCFile:
    """``chapters`` (ChapterQC dicts) into the report at ``path``, keeping other chapters already
    there (the flow checks one chapter at a time) and the book's retail rules until re-checked.
    ``summary``: the summary of ``chapters`` alone (used when the report is new)."""
    old = read_qc_or_none(path)
    if old is None:
        merged = QCFile(project, summary, thresholds, tuple(chapters))
    else:
        fresh = {c["chapter"] for c in chapters}
        kept = [c for c in old.chapters if c.get("chapter") not in fresh]
        rows = tuple(sorted(kept + list(chapters), key=lambda c: int(c["chapter"])))
        total = summary_of(rows)
        if old.book is not None:
            total["book_failures"] = sum(1 for c in old.book if not c.get("ok"))
        merged = QCFile(project, total, thresholds, rows, old.book)
    write_qc(path, merged)
    return merged


def set_book_checks(path: Path, project: str, checks: Sequence[JsonObject]) -> QCFile:
    """The book's retail rules (ProfileCheck dicts) into the report at ``path`` (made when QC did
    not run): ``book`` lists every rule, pass or fail; ``summary.book_failures`` counts."""
    old = read_qc_or_none(path) or QCFile(project, summary_of(()), {}, ())
    summary = dict(old.summary if old.summary is not None else summary_of(old.chapters))
    summary["book_failures"] = sum(1 for c in checks if not c["ok"])
    report = QCFile(old.project or project, summary, old.thresholds, old.chapters, tuple(checks))
    write_qc(path, report)
    return report


def read_qc_summary(build_dir: Path) -> JsonObject | None:
    """The ``summary`` of build/qc.json, or None before QC ran (or when it is damaged)."""
    try:
        report = read_qc_or_none(Path(build_dir) / layout.QC)
    except BuildRecordError:
        return None
    return None if report is None else report.summary
