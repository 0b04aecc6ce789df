"""What the review app and its preview worker (lector.review.preview_worker) say to each other.

Typed, frozen records sent over one pipe (multiprocessing.connection: pickled), each wrapped in an
``Envelope`` that carries the request's number so answers may come back in any order. This module
is imported on both sides: it loads no planner, engine or web framework.
"""

from __future__ import annotations

from dataclasses import dataclass

from lector.core.errors import LectorError


class PreviewError(RuntimeError):
    """A preview or accept that cannot be done; ``str()`` is the short message for the page."""


class PreviewBusy(PreviewError):
    """A render (or another editor's action) holds the project's lock: answered 409."""


def short(exc: BaseException) -> str:
    """What the page may show of an error: a Lector error's message and fix, never internals."""
    if isinstance(exc, PreviewError):
        return str(exc)
    if isinstance(exc, LectorError):
        return exc.message + (f" — {exc.fix}" if exc.fix else "")
    if isinstance(exc, OSError):
        return (
            "the project's files could not be read or written — check the disk and the folder's permissions"
        )
    return "that did not work — try again, or run `lector render --changed`"


@dataclass(frozen=True)
class Change:
    text: str | None = None
    seed: int | None = None
    emotion: str | None = None
    voice: str | None = None


# -- requests (app -> worker) -----------------------------------------------------------------------
@dataclass(frozen=True)
class WarmUp:
    """Load the planner and the cast's engines, and run each engine once."""


@dataclass(frozen=True)
class PreviewRequest:
    slot_id: str  # the sentence's id in the chapter's timeline (what the page knows it by)
    chapter: int
    row_ids: tuple[str, ...]  # the timeline's sentence ids, in order (where the slot is)
    change: Change


@dataclass(frozen=True)
class AcceptRequest:
    slot_id: str
    chapter: int
    row_ids: tuple[str, ...]


@dataclass(frozen=True)
class RenderChapterRequest:
    chapter: int


@dataclass(frozen=True)
class HearWord:
    """Speak one word of the slot's sentence, read ``pron`` (checked IPA, or pinyin one syllable a
    character), in the voice a render gives a word of its language (preview_worker.word_voice): into
    the render cache only, nothing of the book changes."""

    slot_id: str
    chapter: int
    row_ids: tuple[str, ...]
    word: str
    lang: str
    pron: str


Request = WarmUp | PreviewRequest | AcceptRequest | RenderChapterRequest | HearWord


# -- answers (worker -> app) ------------------------------------------------------------------------
@dataclass(frozen=True)
class TakeMade:
    """A take in the render cache, with the settings that made it."""

    sentence_id: str
    cache_key: str
    synthesized: bool
    text: str
    pronunciation: str
    seed: int | None
    engine: str
    voice: str
    emotion: str


@dataclass(frozen=True)
class ChapterMastered:
    """A chapter's takes mastered into the book (accept, re-render). ``keys``: (sentence id, cache key)
    of every sentence; ``take``: the accepted sentence's (accept only); ``qc``: the project runs QC."""

    chapter: int
    keys: tuple[tuple[str, str], ...]
    qc: bool
    message: str = ""
    take: TakeMade | None = None


@dataclass(frozen=True)
class Warmed:
    """The planner and the cast's engines are loaded."""


@dataclass(frozen=True)
class Refused:
    """The request could not be done; ``message`` is for the page (``short``), ``busy``: the
    project's lock was held."""

    message: str
    busy: bool = False


Answer = TakeMade | ChapterMastered | Warmed | Refused


@dataclass(frozen=True)
class Envelope:
    number: int
    body: Request | Answer
