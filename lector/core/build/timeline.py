"""``chapters/<NN>/timeline.json``: where each sentence of a chapter's master starts and ends,
and what spoke it (docs/ARCHITECTURE.md, "Build folder layout")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..audio.stitch import SentenceTime, TakeResult
from ..model import Chapter
from .records import JsonObject, field_error, read_object, schema_of, write_object

KIND = "timeline"


@dataclass(frozen=True)
class TimelineRow:
    """One sentence of the chapter master (times in seconds from its start)."""

    id: str
    start_s: float
    end_s: float
    cache_key: str
    text: str
    pronunciation: str
    voice: str
    emotion: str
    seed: int | None
    engine: str
    fallback_from: str | None = None  # the cast voice whose engine failed
    lang: str = ""  # only when the row says (the plan has every sentence's language)

    def to_dict(self) -> JsonObject:
        d = asdict(self)
        if not self.lang:
            del d["lang"]
        return d

    @classmethod
    def from_dict(cls, d: JsonObject) -> TimelineRow:
        seed = d.get("seed")
        return cls(
            id=str(d["id"]),
            start_s=float(d["start_s"]),
            end_s=float(d["end_s"]),
            cache_key=str(d.get("cache_key", "")),
            text=str(d.get("text", "")),
            pronunciation=str(d.get("pronunciation", "")),
            voice=str(d.get("voice", "")),
            emotion=str(d.get("emotion", "")),
            seed=None if seed is None else int(seed),
            engine=str(d.get("engine", "")),
            fallback_from=d.get("fallback_from"),
            lang=str(d.get("lang") or ""),
        )


@dataclass(frozen=True)
class Timeline:
    chapter: int
    title: str
    sample_rate: int
    duration_s: float
    sentences: tuple[TimelineRow, ...]

    @classmethod
    def of(
        cls,
        chapter: Chapter,
        times: Sequence[SentenceTime],
        sample_rate: int,
        results: Iterable[TakeResult],
        duration_s: float,
    ) -> Timeline:
        """The timeline of a chapter master: its sentences at ``times``, spoken as ``results`` say."""
        by_id = {r.sentence_id: r for r in results}
        sentences = {s.id: s for s in chapter.sentences}
        rows = []
        for t in times:
            s, r = sentences[t.sentence_id], by_id[t.sentence_id]
            rows.append(
                TimelineRow(
                    s.id,
                    round(t.start_s, 6),
                    round(t.end_s, 6),
                    r.cache_key,
                    s.text,
                    s.pronunciation,
                    s.voice,
                    s.emotion,
                    s.seed,
                    r.engine_id,
                    r.fallback_from,
                )
            )
        return cls(chapter.index, chapter.title, sample_rate, round(duration_s, 6), tuple(rows))

    def keys(self) -> list[tuple[str, str]]:
        """(sentence id, cache key) in order: what the chapter was made of."""
        return [(r.id, r.cache_key) for r in self.sentences]

    def row(self, sentence_id: str) -> TimelineRow | None:
        return next((r for r in self.sentences if r.id == sentence_id), None)

    def to_dict(self) -> JsonObject:
        return {
            "schema": schema_of(KIND),
            "chapter": self.chapter,
            "title": self.title,
            "sample_rate": self.sample_rate,
            "duration_s": self.duration_s,
            "sentences": [r.to_dict() for r in self.sentences],
        }

    @classmethod
    def from_dict(cls, d: JsonObject) -> Timeline:
        return cls(
            chapter=int(d["chapter"]),
            title=str(d.get("title", "")),
            sample_rate=int(d["sample_rate"]),
            duration_s=float(d["duration_s"]),
            sentences=tuple(TimelineRow.from_dict(r) for r in d.get("sentences", [])),
        )


def read_timeline(path: Path) -> Timeline | None:
    """The timeline at ``path``; None when absent (BuildRecordError when damaged or newer)."""
    data = read_object(path, KIND)
    if data is None:
        return None
    try:
        return Timeline.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise field_error(path, exc) from None


def write_timeline(path: Path, timeline: Timeline) -> Path:
    return write_object(path, timeline.to_dict())


def rows_as_dicts(timeline: Timeline | None) -> list[dict[str, Any]]:
    """The rows as plain dicts (templates and the VTT export take either)."""
    return [] if timeline is None else [r.to_dict() for r in timeline.sentences]
