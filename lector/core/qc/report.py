"""QC result records and the JSON report (``build/qc.json``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..build.qc_file import merge_qc
from ..build.qc_file import set_book_checks as write_book_checks
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

    def to_dict(self) -> dict[str, Any]:
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

    def summary(self) -> dict[str, Any]:
        counts = Counter(f for s in self.sentences for f in s.flags)
        return {
            "chapter": self.chapter,
            "sentences": len(self.sentences),
            "flagged": len(self.flagged),
            "flags": dict(sorted(counts.items())),
            "profile_ok": all(p.ok for p in self.profile) if self.profile else None,
        }

    def to_dict(self) -> dict[str, Any]:
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
    thresholds: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        counts = Counter(f for c in self.chapters for s in c.sentences for f in s.flags)
        return {
            "chapters": len(self.chapters),
            "sentences": sum(len(c.sentences) for c in self.chapters),
            "flagged": sum(len(c.flagged) for c in self.chapters),
            "flags": dict(sorted(counts.items())),
            "profile_failures": sum(1 for c in self.chapters for p in c.profile if not p.ok),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "summary": self.summary(),
            "thresholds": self.thresholds,
            "chapters": [c.to_dict() for c in self.chapters],
        }


def write_json_atomic(path: Path, data: dict[str, Any]) -> Path:
    """``data`` as JSON at ``path``, atomically, keeping the file's mode (the umask default when new)."""
    return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2), fsync=False)


def merge_into_report(
    path: Path, project: str, chapters: tuple[ChapterQC, ...], thresholds: dict[str, Any]
) -> QCReport:
    """Write ``chapters`` into the report at ``path`` (BuildDir.qc_json), keeping other chapters
    already there (the flow checks one chapter at a time). Returns the report of ``chapters`` only."""
    report = QCReport(project=project, chapters=chapters, thresholds=thresholds)
    merge_qc(path, project, [c.to_dict() for c in chapters], thresholds, report.summary())
    return report


def set_book_checks(path: Path, project: str, checks: tuple[ProfileCheck, ...]) -> dict[str, Any]:
    """The book's retail rules (lector.core.qc.retail.book_checks) into the report at ``path`` (made
    when QC did not run): ``book`` lists every rule, pass or fail; ``summary.book_failures`` counts."""
    return write_book_checks(path, project, [asdict(c) for c in checks]).to_dict()
