"""``fake``: a deterministic stand-in engine for flow-mechanics tests only.

It produces a sine tone plus a little noise, both drawn from the request seed, with a
duration proportional to the spoken text (80 ms per character + 100 ms). It says nothing
and must never be used for real output; real-model tests use the real engines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..project import DEFAULT_EMOTIONS, EngineOptions
from .base import Capabilities, SynthRequest, VoiceInfo
from .registry import check_request, resolve_voice

SAMPLE_RATE = 24000
SECONDS_PER_CHAR = 0.08
EMOTION_GAIN = {
    "neutral": 1.0,
    "happy": 1.1,
    "sad": 0.7,
    "angry": 1.3,
    "calm": 0.8,
    "excited": 1.25,
    "whisper": 0.3,
}


class FakeEngine:
    capabilities = Capabilities(
        engine_id="fake",
        version="1",
        languages=("zh", "en"),
        sample_rate=SAMPLE_RATE,
        max_chars=200,
        emotions=DEFAULT_EMOTIONS,
        emotion_method="amplitude",
        accepts_phonemes=False,
        seedable=True,
        batchable=True,
        device="cpu",
    )
    _VOICES = (VoiceInfo("tone-zh", "zh", "fake sine tone"), VoiceInfo("tone-en", "en", "fake sine tone"))

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()

    def voices(self) -> tuple[VoiceInfo, ...]:
        return self._VOICES

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]:
        out = []
        for req in requests:
            check_request(self.capabilities, req)
            resolve_voice(self.capabilities, self._VOICES, req.voice, "tone-zh")
            out.append(self._one(req))
        return out

    def _one(self, req: SynthRequest) -> npt.NDArray[np.float32]:
        rng = np.random.default_rng(req.seed)
        rate = req.speed * req.prosody.rate
        n = int(SAMPLE_RATE * (0.1 + SECONDS_PER_CHAR * len(req.spoken)) / rate)
        freq_hz = (110.0 + float(rng.integers(0, 220))) * req.pitch * req.prosody.pitch
        t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
        gain = 0.3 * (1.0 + (EMOTION_GAIN[req.emotion] - 1.0) * req.emotion_degree)
        audio = gain * np.sin(2 * np.pi * freq_hz * t) + 0.02 * rng.standard_normal(n)
        return np.clip(audio, -1.0, 1.0).astype(np.float32)
