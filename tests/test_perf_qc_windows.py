"""The sampled takes of a chapter share Whisper windows wherever they sit in the chapter: a window
costs the same whether it holds one take or five, so the model pass packs the sample, not each
block of neighbouring takes."""

from __future__ import annotations

import numpy as np

from lector.core.qc import QCOptions, asr
from lector.core.qc.cache import QCCache
from lector.core.qc.measuring import measure_all
from lector.core.qc.takes import TakeRef

RATE = asr.ASR_RATE
TONE = (0.3 * np.sin(2 * np.pi * 220 * np.arange(2 * RATE) / RATE)).astype(np.float32)  # 2 s "speech"


def test_sampled_takes_far_apart_share_one_window(monkeypatch):
    refs = [
        TakeRef(f"s{n}", f"take number {n}", "narrator", "en", "", f"k{n}", lambda: (TONE, RATE), n % 70 == 0)
        for n in range(150)
    ]  # sampled: s0, s70, s140, more than a block of takes apart
    windows: list[int] = []

    def heard(x):  # each take's words at its midpoint (2 s takes, 0.8 s gaps)
        windows.append(x.size)
        return [(n * 2.8 + 1.0, f" take number {k}") for n, k in enumerate((0, 70, 140))]

    monkeypatch.setattr(asr, "_window_words", heard)
    monkeypatch.setattr(asr, "content_breaks", lambda keys, every=8: [False] * len(keys))
    measured = measure_all(refs, QCOptions(voice=False), QCCache(None), asr_ok=True)
    assert windows == [round((3 * 2.0 + 2 * 0.8) * RATE)]
    assert {n: m.transcript for n, m in enumerate(measured) if m.transcript is not None} == {
        0: "take number 0",
        70: "take number 70",
        140: "take number 140",
    }
    assert all(m.stats.speech_s == 2.0 for m in measured)  # signal stats on every take
