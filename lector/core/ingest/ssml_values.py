"""SSML attribute values -> Lector's units: break strengths in ms, <prosody> rate/pitch/volume and
<emphasis> levels as :class:`~lector.core.model.Prosody`, Azure ``express-as`` styles as emotion names.

Kept apart from the element walk (ssml) because these are pure tables and parsers: the SSML 1.1
words, percentages, semitones, Hz and dB a script may write, each turned into one number or a
ValueError the walker reports with the file and line.
"""

from __future__ import annotations

import math
import re

from ..model import Prosody

BREAK_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 250, "medium": 400, "strong": 800, "x-strong": 1200}
RATE_WORDS = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
PITCH_WORDS = {"x-low": 0.8, "low": 0.9, "medium": 1.0, "default": 1.0, "high": 1.1, "x-high": 1.2}
VOLUME_WORDS = {
    "silent": -60.0,
    "x-soft": -12.0,
    "soft": -6.0,
    "medium": 0.0,
    "default": 0.0,
    "loud": 6.0,
    "x-loud": 12.0,
}
EMPHASIS = {
    "strong": Prosody(0.9, 1.05, 4.0),
    "moderate": Prosody(0.95, 1.03, 2.0),
    "none": Prosody(),
    "reduced": Prosody(1.05, 0.97, -3.0),
}
# Azure speaking styles -> our emotion names (used when the style itself is not an emotion)
AZURE_STYLES = {
    "cheerful": "happy",
    "joyful": "happy",
    "sad": "sad",
    "depressed": "sad",
    "angry": "angry",
    "excited": "excited",
    "calm": "calm",
    "gentle": "calm",
    "whispering": "whisper",
    "serious": "neutral",
    "newscast": "neutral",
    "narration-professional": "neutral",
}


def parse_prosody(rate: str | None, pitch: str | None, volume: str | None) -> Prosody:
    """A <prosody> element's rate, pitch and volume attributes (None: not given). Raises ValueError."""
    return Prosody(rate=_ratio(rate, RATE_WORDS), pitch=_pitch(pitch), volume_db=_volume(volume))


def combine(a: Prosody, b: Prosody) -> Prosody:
    """``b`` nested inside ``a``: rates and pitches multiply, volumes add."""
    return Prosody(
        rate=round(a.rate * b.rate, 4),
        pitch=round(a.pitch * b.pitch, 4),
        volume_db=round(a.volume_db + b.volume_db, 2),
    )


def parse_float(text: str | None) -> float | None:
    """``text`` as a float; None when absent or not a number."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _ratio(value: str | None, words: dict[str, float]) -> float:
    if value is None:
        return 1.0
    v = value.strip().lower()
    if v in words:
        return words[v]
    if m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%", v):
        n = float(m.group(1))
        return round(1 + n / 100 if v[0] in "+-" else n / 100, 4)
    if (ratio := parse_float(v)) is not None and ratio > 0:
        return ratio
    raise ValueError(f"{value!r}")


def _pitch(value: str | None) -> float:
    if value is not None and (m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)st", value.strip())):
        return round(2 ** (float(m.group(1)) / 12), 4)
    if value is not None and (m := re.fullmatch(r"([+-]\d+(?:\.\d+)?)hz", value.strip().lower())):
        return round(1 + float(m.group(1)) / 200, 4)
    return _ratio(value, PITCH_WORDS)


def _volume(value: str | None) -> float:
    if value is None:
        return 0.0
    v = value.strip().lower()
    if v in VOLUME_WORDS:
        return VOLUME_WORDS[v]
    if m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)db", v):
        return float(m.group(1))
    if (n := parse_float(v)) is not None and 0 < n <= 100:
        return round(20 * math.log10(n / 100), 2)
    raise ValueError(f"{value!r}")
