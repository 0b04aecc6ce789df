"""Structured values that flow from the text front-end to the engines.

Markup (lexicon, emotion, voice, breaks, prosody) is parsed *once* into these
frozen dataclasses; engines never see raw tags. They are small, hashable and
cheap to serialise (``to_dict``) for the plan JSON and cache keys.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from functools import cache, cached_property
from typing import Any


@dataclass(frozen=True)
class Token:
    """One grapheme unit and its pronunciation.

    zh: ``text`` is one Han character and ``pron`` one pinyin syllable with a
    tone number (``hang2``; neutral tone ``5``). en: ``text`` is a word and
    ``pron`` its IPA. Punctuation and other marks have ``pron == ""`` but are
    kept because engines use them for phrasing.
    """

    text: str
    pron: str = ""
    # where the pronunciation came from: "g2p", "lexicon:<file>", "ssml", "tsv"
    origin: str = "g2p"


@dataclass(frozen=True)
class Span:
    """A run of one language inside a sentence (mixed zh/en keeps its language)."""

    text: str  # display text of the run
    spoken: str  # normalised text of the run
    lang: str  # "zh" | "en" | other BCP-47 primary subtag
    tokens: tuple[Token, ...] = ()
    # SSML <say-as interpret-as="characters"> etc. already resolved into spoken

    @property
    def pronunciation(self) -> str:
        return " ".join(t.pron for t in self.tokens if t.pron)


@dataclass(frozen=True)
class Prosody:
    """Relative prosody from SSML <prosody>/<emphasis>; 1.0 = engine default."""

    rate: float = 1.0
    pitch: float = 1.0
    volume_db: float = 0.0


NEUTRAL = Prosody()


@dataclass(frozen=True)
class Sentence:
    id: str  # stable: derived from chapter key + text + occurrence
    text: str  # display text (what the editor sees)
    spans: tuple[Span, ...]
    lang: str  # dominant language
    voice: str  # cast name (project voice), e.g. "narrator"
    emotion: str = "neutral"
    emotion_degree: float = 1.0
    seed: int = 0
    pause_after_ms: int = 400
    prosody: Prosody = NEUTRAL
    paragraph: int = 0  # paragraph index inside the chapter
    source: str = ""  # "manuscript/01.md:12" for error messages and review

    @property
    def spoken(self) -> str:
        return "".join(s.spoken for s in self.spans)

    @property
    def pronunciation(self) -> str:
        return " ".join(p for p in (s.pronunciation for s in self.spans) if p)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for plan.json and the plan hash: a new dict each call, over contents worked
        out once per sentence (both ask for every sentence of the book on every render)."""
        return dict(self._plain_dict)

    @cached_property
    def _plain_dict(self) -> dict[str, Any]:
        # cached_property writes the instance __dict__ directly, which a frozen dataclass allows
        d: dict[str, Any] = _plain(self)
        d["spoken"] = self.spoken
        d["pronunciation"] = self.pronunciation
        return d


@dataclass(frozen=True)
class Chapter:
    index: int  # 1-based
    title: str
    sentences: tuple[Sentence, ...]
    source: str = ""  # file the chapter came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "title": self.title,
            "source": self.source,
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass(frozen=True)
class PlanWarning:
    """Something the plan changed or left out that the producer should know about (shown by
    ``lector plan``, written to plan.json and the proof report). Add one from anywhere under
    ``build_plan`` (ingest, normalisers, planner) with :func:`lector.core.planwarn.add_warning`.

    ``kind`` is a short stable slug, e.g. "dropped", "pause", "joined", "lexicon", "unreadable",
    "front-matter", "page-number", "note", "numeral", "symbol"; ``source`` is "file:line" when known.
    """

    kind: str
    message: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class Plan:
    project: str
    title: str
    author: str
    language: str
    chapters: tuple[Chapter, ...]
    plan_hash: str = ""
    warnings: tuple[PlanWarning, ...] = ()  # not part of plan_hash (it names the audio only)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "title": self.title,
            "author": self.author,
            "language": self.language,
            "plan_hash": self.plan_hash,
            "chapters": [c.to_dict() for c in self.chapters],
            "warnings": [w.to_dict() for w in self.warnings],
        }


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: object) -> Any:
    """dataclasses.asdict without its deep copies (what asdict gives for these frozen records;
    plan.json and the plan hash convert every sentence, so this is on each render's path)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
