"""The records every QC pass works on: options, one take to check, and when a take wants ASR.

Shared by measuring (:mod:`.measuring`), scoring (:mod:`.scoring`) and reading takes
(:mod:`.take_audio`), so none of them imports another for its vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import asr as asr_mod
from .checks import DEFAULT_THRESHOLDS, SignalStats, Thresholds, text_units

if TYPE_CHECKING:
    from ..audio.io import Audio

Loader = Callable[[], tuple["Audio", int]]  # reads one take: (float32 mono, rate)


@dataclass(frozen=True)
class QCOptions:
    asr: bool = True
    voice: bool = True
    profile: str | None = None  # mastering profile to check chapter.flac against
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    sample_takes: int = 0  # ASR + voice on at most this many takes per chapter (0 = all)


DEFAULT_OPTIONS = QCOptions()  # the argument default of the QC entry points


def guess_lang(text: str) -> str:
    units = text_units(text)
    return "zh" if units["zh"] > 0 else "en"


@dataclass(frozen=True)
class TakeRef:
    """One take to check: its metadata, its audio digest (cache key) and how to read its audio."""

    sentence_id: str
    text: str
    voice: str
    lang: str
    spoken: str
    key: str
    load: Loader
    deep: bool = True  # gets the ASR and speaker checks (see sample_refs)


def asr_wanted(ref: TakeRef, stats: SignalStats, th: Thresholds) -> bool:
    lang = ref.lang or guess_lang(ref.text)
    return lang == "en" and len(asr_mod.normalise_words(ref.text)) >= th.asr_min_words and stats.speech_s > 0
