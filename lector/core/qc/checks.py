"""Signal checks on one rendered sentence: clipping, silences, duration per
character, loudness. Pure numpy, a few ms per sentence.

Silence is judged on 10 ms frames: a frame is silent when its RMS is below
``max(SILENCE_FLOOR_DBFS, loud_level - SILENCE_BELOW_LOUD_DB)`` where
``loud_level`` is the sentence's 95th-percentile frame level, so a quiet but
clean take is not mistaken for silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import AudioError

if TYPE_CHECKING:
    from ..audio.io import Audio

FRAME_S = 0.010
SILENCE_FLOOR_DBFS = -60.0
SILENCE_BELOW_LOUD_DB = 40.0
FLOOR_DB = -120.0

# seconds of speech per unit (en: letter or digit; zh: Han character), from the
# embedded engines (piper-en joe ~0.060 s/letter, FastSpeech2 zh ~0.21 s/char)
DEFAULT_S_PER_UNIT = {"en": 0.060, "zh": 0.21}
GENERIC_S_PER_UNIT = 0.065

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class Thresholds:
    clip_level: float = 0.999  # |sample| at or above this is at full scale
    clip_run_samples: int = 3  # this many consecutive full-scale samples = one clipped run
    max_clip_runs: int = 0
    max_leading_s: float = 0.6
    max_trailing_s: float = 0.9
    max_gap_s: float = 1.2  # longest internal silence
    duration_band: tuple[float, float] = (0.5, 2.0)  # measured/expected s per unit
    min_units_for_duration: int = 6  # shorter texts are not judged on duration
    loudness_band_db: float = 10.0  # RMS of speech vs chapter median
    voice_min_similarity: float = 0.80
    asr_max_wer: float = 0.6
    asr_min_words: int = 3
    s_per_unit: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_S_PER_UNIT))


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class SignalStats:
    duration_s: float
    speech_s: float  # first to last non-silent frame
    leading_s: float
    trailing_s: float
    longest_gap_s: float
    clip_runs: int
    peak_dbfs: float
    speech_rms_dbfs: float  # RMS over non-silent frames


def _db(x: float) -> float:
    return FLOOR_DB if x <= 1e-6 else max(FLOOR_DB, 20.0 * float(np.log10(x)))


def clip_runs(audio: Audio, level: float = 0.999, min_run: int = 3) -> int:
    """Count runs of at least ``min_run`` consecutive samples with |x| >= ``level``."""
    hot = np.abs(audio) >= level
    if not hot.any():
        return 0
    edges = np.diff(np.concatenate(([0], hot.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int(np.count_nonzero(ends - starts >= min_run))


def frame_levels_db(audio: Audio, sample_rate: int) -> npt.NDArray[np.float64]:
    n = max(1, round(FRAME_S * sample_rate))
    usable = audio[: audio.size // n * n].astype(np.float64)
    if usable.size == 0:
        return np.full(1, FLOOR_DB)
    rms = np.sqrt(np.mean(usable.reshape(-1, n) ** 2, axis=1))
    return np.where(rms > 1e-6, 20.0 * np.log10(np.maximum(rms, 1e-12)), FLOOR_DB)


def _longest_run(mask: npt.NDArray[np.bool_]) -> int:
    if not mask.any():
        return 0
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))


def signal_stats(audio: Audio, sample_rate: int, th: Thresholds = DEFAULT_THRESHOLDS) -> SignalStats:
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sample_rate <= 0 or x.size == 0:
        raise AudioError(
            f"cannot check empty audio ({x.size} samples at {sample_rate} Hz)", fix="re-render the sentence"
        )
    levels = frame_levels_db(x, sample_rate)
    loud = float(np.percentile(levels, 95))
    silent = levels < max(SILENCE_FLOOR_DBFS, loud - SILENCE_BELOW_LOUD_DB)
    duration_s = x.size / sample_rate
    active = np.flatnonzero(~silent)
    if active.size == 0:
        return SignalStats(duration_s, 0.0, duration_s, 0.0, 0.0, 0, _db(float(np.abs(x).max())), FLOOR_DB)
    first, last = int(active[0]), int(active[-1])
    speech = x[int(first * FRAME_S * sample_rate) : int((last + 1) * FRAME_S * sample_rate)]
    voiced = levels[first : last + 1][~silent[first : last + 1]]
    speech_rms = 10.0 * float(np.log10(np.mean(10.0 ** (voiced / 10.0))))
    return SignalStats(
        duration_s=duration_s,
        speech_s=speech.size / sample_rate,
        leading_s=first * FRAME_S,
        trailing_s=max(0.0, duration_s - (last + 1) * FRAME_S),
        longest_gap_s=_longest_run(silent[first : last + 1]) * FRAME_S,
        clip_runs=clip_runs(x, th.clip_level, th.clip_run_samples),
        peak_dbfs=_db(float(np.abs(x).max())),
        speech_rms_dbfs=speech_rms,
    )


def text_units(text: str) -> dict[str, int]:
    """Countable units per language: Han characters (zh) and Latin letters/digits (en).
    In a sentence with Han characters, digits are read in Mandarin (one syllable each)."""
    han = len(_HAN.findall(text))
    digits = sum(ch.isdigit() for ch in text) if han else 0
    return {"zh": han + digits, "en": len(_LATIN.findall(text)) - digits}


def expected_speech_s(text: str, s_per_unit: dict[str, float]) -> tuple[float, int]:
    units = text_units(text)
    seconds = sum(n * s_per_unit.get(lang, GENERIC_S_PER_UNIT) for lang, n in units.items())
    return seconds, sum(units.values())


def signal_flags(
    stats: SignalStats, text: str, th: Thresholds, s_per_unit: dict[str, float] | None = None
) -> tuple[tuple[str, ...], float | None]:
    """Flags from the signal alone, and the duration ratio (measured/expected) when judged."""
    flags: list[str] = []
    if stats.speech_s == 0.0:
        return ("silent",), None
    if stats.clip_runs > th.max_clip_runs:
        flags.append("clipping")
    if stats.leading_s > th.max_leading_s:
        flags.append("leading-silence")
    if stats.trailing_s > th.max_trailing_s:
        flags.append("trailing-silence")
    if stats.longest_gap_s > th.max_gap_s:
        flags.append("internal-silence")
    expected, units = expected_speech_s(text, s_per_unit or th.s_per_unit)
    ratio = None
    if units >= th.min_units_for_duration and expected > 0:
        ratio = stats.speech_s / expected
        if ratio < th.duration_band[0]:
            flags.append("too-short")
        elif ratio > th.duration_band[1]:
            flags.append("too-long")
    return tuple(flags), ratio


def loudness_flag(speech_rms_dbfs: float, median_dbfs: float, th: Thresholds) -> str | None:
    if speech_rms_dbfs < median_dbfs - th.loudness_band_db:
        return "too-quiet"
    if speech_rms_dbfs > median_dbfs + th.loudness_band_db:
        return "too-loud"
    return None


def chapter_s_per_unit(
    pairs: list[tuple[str, float]], th: Thresholds, min_count: int = 5
) -> dict[str, float]:
    """Per-language s/unit for this chapter: the median of its single-language sentences when
    there are ``min_count`` or more, else the default norm (an engine's own pace wins)."""
    norms = dict(th.s_per_unit)
    for lang in ("en", "zh"):
        rates = []
        for text, speech_s in pairs:
            units = text_units(text)
            other = sum(v for k, v in units.items() if k != lang)
            if units[lang] >= th.min_units_for_duration and other == 0 and speech_s > 0:
                rates.append(speech_s / units[lang])
        if len(rates) >= min_count:
            norms[lang] = float(np.median(rates))
    return norms
