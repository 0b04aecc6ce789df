"""Which takes of a chapter get the model checks (Whisper, speaker embedding) when QC samples.

A long book has thousands of takes; the model checks are the cost of QC. They run on at most
``QCOptions.sample_takes`` takes per chapter (``[render] qc_sample_takes``): those whose sentence
id has the lowest sha256. The choice depends only on the chapter's sentence ids, so the qc-takes
task and the chapter's qc task pick the same takes, every run picks them again (their cached
measurements are reused), and an edit moves the sample by at most the edited take.

A take the signal checks flag (clipping, a silence, too short or too long: a truncated or garbled
take) gets the model checks too, whether sampled or not (``promote_flagged``): up to as many again
as the sample, lowest sha256 first, so a chapter whose every take is off costs at most twice the
sample. The flags come from the takes' signal stats alone, so both tasks promote the same takes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, TypeVar

from .checks import SignalStats, Thresholds, chapter_s_per_unit, signal_flags

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    class _Sampled(DataclassInstance, Protocol):
        """A dataclass with ``sentence_id`` and ``deep`` (takes.TakeRef)."""

        @property
        def sentence_id(self) -> str: ...
        @property
        def deep(self) -> bool: ...


NOT_SAMPLED_NOTE = "qc:not-sampled"  # ASR / voice not run on this take (QCOptions.sample_takes)

R = TypeVar("R", bound="_Sampled")


def sample_rank(sentence_id: str) -> str:
    return hashlib.sha256(sentence_id.encode("utf-8")).hexdigest()


def sample_refs(refs: Sequence[R], limit: int) -> list[R]:
    """``refs`` in order, ``deep=False`` on all but the ``limit`` with the lowest sha256 of their
    sentence id (0 = every take stays deep)."""
    if limit <= 0 or len(refs) <= limit:
        return list(refs)
    chosen = set(sorted(range(len(refs)), key=lambda i: (sample_rank(refs[i].sentence_id), i))[:limit])
    return [r if i in chosen else replace(r, deep=False) for i, r in enumerate(refs)]


def signal_flagged(texts: Sequence[str], stats: Sequence[SignalStats], th: Thresholds) -> list[bool]:
    """Which takes the signal checks flag (not counting silent ones: nothing to hear or embed), with
    the chapter's own duration norms, as scoring.signal_results judges them."""
    norms = chapter_s_per_unit([(t, s.speech_s) for t, s in zip(texts, stats, strict=True)], th)
    return [
        s.speech_s > 0 and bool(signal_flags(s, t, th, norms)[0]) for t, s in zip(texts, stats, strict=True)
    ]


def promote_flagged(refs: Sequence[R], flagged: Sequence[bool], limit: int) -> list[R]:
    """``refs`` with ``deep=True`` on up to ``limit`` more flagged takes (lowest sha256 of their id)."""
    extra = [i for i, r in enumerate(refs) if flagged[i] and not r.deep]
    chosen = set(sorted(extra, key=lambda i: (sample_rank(refs[i].sentence_id), i))[:limit])
    return [replace(r, deep=True) if i in chosen else r for i, r in enumerate(refs)]
