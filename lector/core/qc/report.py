"""QC result records and the JSON report (``build/qc.json``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..fsutil import atomic_write_text


@dataclass(frozen=True)
class SentenceQC:
    sentence_id: str
    flags: tuple[str, ...]
    duration_s: float
    speech_s: float
    leading_s: float
    trailing_s: float
    longest_gap_s: float
    clip_runs: int
    peak_dbfs: float
    speech_rms_dbfs: float
    duration_ratio: float | None = None  # measured / expected seconds of speech
    voice_similarity: float | None = None  # cosine to the voice's leave-one-out centroid
    wer: float | None = None  # ASR word error rate (en)
    transcript: str | None = None
    notes: tuple[str, ...] = ()  # "qc:asr-unavailable", "qc:voice-too-few-takes", ...

    @property
    def ok(self) -> bool:
        return not self.flags

    def to_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = list(self.flags)
        d["notes"] = list(self.notes)
        for key in (
            "duration_s",
            "speech_s",
            "leading_s",
            "trailing_s",
            "longest_gap_s",
            "peak_dbfs",
            "speech_rms_dbfs",
            "duration_ratio",
            "wer",
        ):
            if d[key] is not None:
                d[key] = round(float(d[key]), 3)
        return d


@dataclass(frozen=True)
class ProfileCheck:
    name: str  # the profile ("acx")
    ok: bool
    value: float | None
    detail: str = ""  # the value against the rule's limit, pass or fail
    rule: str = ""  # level, peak, true_peak, noise_floor, head_room_tone, tail_room_tone, chapter_length;
    # book rules (qc.retail): opening_credits, closing_credits, mp3_bitrate, book_length, cover


@dataclass(frozen=True)
class ChapterQC:
    chapter: int
    title: str
    sentences: tuple[SentenceQC, ...]
    profile: tuple[ProfileCheck, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def flagged(self) -> tuple[SentenceQC, ...]:
        return tuple(s for s in self.sentences if s.flags)

    def summary(self) -> dict:
        counts = Counter(f for s in self.sentences for f in s.flags)
        return {
            "chapter": self.chapter,
            "sentences": len(self.sentences),
            "flagged": len(self.flagged),
            "flags": dict(sorted(counts.items())),
            "profile_ok": all(p.ok for p in self.profile) if self.profile else None,
        }

    def to_dict(self) -> dict:
        return {
            "chapter": self.chapter,
            "title": self.title,
            "summary": self.summary(),
            "notes": list(self.notes),
            "profile": [asdict(p) for p in self.profile],
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass(frozen=True)
class QCReport:
    project: str
    chapters: tuple[ChapterQC, ...]
    thresholds: dict = field(default_factory=dict)

    def summary(self) -> dict:
        counts = Counter(f for c in self.chapters for s in c.sentences for f in s.flags)
        return {
            "chapters": len(self.chapters),
            "sentences": sum(len(c.sentences) for c in self.chapters),
            "flagged": sum(len(c.flagged) for c in self.chapters),
            "flags": dict(sorted(counts.items())),
            "profile_failures": sum(1 for c in self.chapters for p in c.profile if not p.ok),
        }

    def to_dict(self) -> dict:
        return {
            "project": self.project,
            "summary": self.summary(),
            "thresholds": self.thresholds,
            "chapters": [c.to_dict() for c in self.chapters],
        }


def write_json_atomic(path: Path, data: dict) -> Path:
    """``data`` as JSON at ``path``, atomically, keeping the file's mode (the umask default when new)."""
    return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2), fsync=False)


def merge_into_report(
    path: Path, project: str, chapters: tuple[ChapterQC, ...], thresholds: dict
) -> QCReport:
    """Write ``chapters`` into the report at ``path``, keeping other chapters already there
    (the flow checks one chapter at a time). Returns the report of ``chapters`` only."""
    report = QCReport(project=project, chapters=chapters, thresholds=thresholds)
    data = report.to_dict()
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        fresh = {c.chapter for c in chapters}
        kept = [c for c in old.get("chapters", []) if c.get("chapter") not in fresh]
        data["chapters"] = sorted(kept + data["chapters"], key=lambda c: c["chapter"])
        data["summary"] = _summary_of(data["chapters"])
        if "book" in old:  # the book's retail rules (set_book_checks) stay until re-checked
            data["book"] = old["book"]
            data["summary"]["book_failures"] = sum(1 for c in old["book"] if not c.get("ok"))
    write_json_atomic(path, data)
    return report


def _summary_of(chapters: list[dict]) -> dict:
    counts: Counter = Counter()
    for c in chapters:
        counts.update(c["summary"]["flags"])
    return {
        "chapters": len(chapters),
        "sentences": sum(c["summary"]["sentences"] for c in chapters),
        "flagged": sum(c["summary"]["flagged"] for c in chapters),
        "flags": dict(sorted(counts.items())),
        "profile_failures": sum(1 for c in chapters for p in c["profile"] if not p["ok"]),
    }


def set_book_checks(path: Path, project: str, checks: tuple[ProfileCheck, ...]) -> dict:
    """The book's retail rules (lector.core.qc.retail.book_checks) into the report at ``path`` (made
    when QC did not run): ``book`` lists every rule, pass or fail; ``summary.book_failures`` counts."""
    data: dict = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {}
    data.setdefault("project", project)
    data.setdefault("chapters", [])
    data.setdefault("summary", _summary_of(data["chapters"]))
    data["book"] = [asdict(c) for c in checks]
    data["summary"]["book_failures"] = sum(1 for c in checks if not c.ok)
    write_json_atomic(path, data)
    return data
