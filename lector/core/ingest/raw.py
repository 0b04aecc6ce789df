"""Raw manuscript values: what the readers return and the planner consumes.

Every reader (Markdown/text, SSML, EPUB) turns its input into the same small
structure: chapters of paragraphs of items. An item is a :class:`Run` of text
with its :class:`Style` (voice, emotion, language, prosody), a :class:`Break`
(explicit pause) or a :class:`Boundary` (forced sentence end, optionally
carrying the next sentence's seed). Tags are parsed once, here; the planner
never sees ``[[...]]`` or SSML markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import NEUTRAL, Prosody, Token


@dataclass(frozen=True)
class Style:
    """Attributes in effect for a run of text; ``None`` = the project default."""

    voice: str | None = None  # cast name; None = book.narrator
    emotion: str | None = None  # None = the voice's default emotion
    emotion_degree: float | None = None
    lang: str | None = None  # explicit language (SSML xml:lang); None = detect
    # what to do when no cast voice speaks ``lang`` (SSML onlangfailure): None = read it with the
    # current voice when its script is readable (a foreign phrase in an EPUB); "processorchoice" |
    # "changevoice" = a voice of that language or a plan error; "ignorelang"; "ignoretext"
    on_lang_failure: str | None = None
    prosody: Prosody = NEUTRAL


DEFAULT_STYLE = Style()


@dataclass(frozen=True)
class Run:
    """Display text with its style. ``spoken``/``tokens`` are set when the source
    already fixed them (SSML sub/say-as/phoneme): such runs are never split."""

    text: str
    line: int
    style: Style = DEFAULT_STYLE
    spoken: str | None = None
    tokens: tuple[Token, ...] | None = None

    @property
    def atomic(self) -> bool:
        return self.spoken is not None or self.tokens is not None


@dataclass(frozen=True)
class Break:
    """An explicit pause: ends the current sentence and sets its pause."""

    ms: int
    line: int


@dataclass(frozen=True)
class Boundary:
    """A forced sentence end; ``seed`` (if any) applies to the next sentence."""

    line: int
    seed: int | None = None


Item = Run | Break | Boundary


@dataclass(frozen=True)
class RawParagraph:
    items: tuple[Item, ...]
    line: int
    heading: bool = False  # a chapter/section title (pause = pauses.chapter_title_ms)


@dataclass(frozen=True)
class RawChapter:
    title: str
    source: str  # "manuscript/<file>" (relative to the project root)
    paragraphs: tuple[RawParagraph, ...]
    line: int = 1

    @property
    def file_name(self) -> str:
        return self.source.rsplit("/", 1)[-1]
