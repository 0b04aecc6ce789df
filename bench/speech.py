"""Deterministic speech-like test audio (voiced syllables, pauses, room tone).

Used by bench/mastering.py and the mastering tests. Built from 16 pre-computed
utterance templates (harmonic source with a wandering f0, syllable envelopes at
about 4 Hz, a crude 2-formant tilt) placed with random gains and pauses, so an
hour costs seconds to build and no more memory than the result.
"""

from __future__ import annotations

import numpy as np

ROOM_TONE_DBFS = -70.0


def _utterance(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    dur_s = rng.uniform(1.5, 4.5)
    n = int(dur_s * sample_rate)
    t = np.arange(n) / sample_rate
    f0 = rng.uniform(95, 210) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.3, 0.9) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voice = np.zeros(n)
    for k in range(1, 24):
        if k * f0.max() > sample_rate / 2 * 0.9:
            break
        formant = (
            1.0
            + 2.5 * np.exp(-(((k * 160 - 700) / 400) ** 2))
            + 1.5 * np.exp(-(((k * 160 - 1800) / 600) ** 2))
        )
        voice += formant / k * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    syllable_hz = rng.uniform(3.5, 5.0)
    env = np.clip(np.sin(np.pi * syllable_hz * t) ** 2 * rng.uniform(0.5, 1.0), 0, 1)
    env *= np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    fric = rng.standard_normal(n) * 0.05 * (env < 0.2)
    out = voice * env + fric
    return (out / np.sqrt(np.mean(out**2)) * 10 ** (-20 / 20)).astype(np.float32)


def speech_like(
    duration_s: float, sample_rate: int = 44100, *, seed: int = 0, level_dbfs: float = -24.0
) -> np.ndarray:
    """``duration_s`` of float32 speech-like audio; utterances at about ``level_dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    templates = [_utterance(rng, sample_rate) for _ in range(16)]
    total = int(duration_s * sample_rate)
    out = np.empty(total, dtype=np.float32)
    tone = (rng.standard_normal(sample_rate * 3) * 10 ** (ROOM_TONE_DBFS / 20)).astype(np.float32)
    for a in range(0, total, tone.size):
        out[a : a + tone.size] = tone[: min(tone.size, total - a)]
    pos = int(0.75 * sample_rate)
    gain0 = 10 ** ((level_dbfs + 20) / 20)
    while pos < total - int(2.5 * sample_rate):
        u = templates[int(rng.integers(len(templates)))]
        n = min(u.size, total - int(2.5 * sample_rate) - pos)
        out[pos : pos + n] += u[:n] * np.float32(gain0 * 10 ** (rng.uniform(-3, 3) / 20))
        pos += n + int(rng.uniform(0.35, 0.9) * sample_rate)
    return out
