"""Every registered engine honours the Engine protocol (remote ones without a server are skipped)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lector.core.engines.base import Capabilities, Engine, SynthRequest, VoiceInfo
from lector.core.engines.registry import get_engine, list_engines
from lector.core.errors import LectorError
from lector.core.model import Span

SAMPLES = {"zh": "你好，世界。", "en": "Hello, world."}
EMBEDDED = {"fastspeech2-zh", "piper-en", "espeak-draft", "fake"}  # must always load


def _engine(engine_id: str) -> Engine:
    if engine_id in EMBEDDED:
        return get_engine(engine_id)
    try:
        return get_engine(engine_id)
    except LectorError as exc:  # remote engines need a configured server
        pytest.skip(f"{engine_id} not available here: {exc}")


@pytest.mark.parametrize("engine_id", list_engines())
def test_engine_conformance(engine_id):
    engine = _engine(engine_id)
    if engine.capabilities.device == "remote":
        pytest.skip("remote engines are covered with fake servers in their own tests")
    caps = engine.capabilities
    assert isinstance(engine, Engine)
    assert isinstance(caps, Capabilities) and caps.engine_id == engine_id
    with pytest.raises(dataclasses.FrozenInstanceError):
        caps.sample_rate = 1  # type: ignore[misc]
    assert isinstance(caps.version, str) and caps.version
    assert isinstance(caps.sample_rate, int) and 8000 <= caps.sample_rate <= 48000
    assert isinstance(caps.max_chars, int) and caps.max_chars > 0
    assert all(isinstance(x, str) for x in caps.languages + caps.emotions) and "neutral" in caps.emotions
    for flag in (caps.accepts_phonemes, caps.seedable, caps.batchable, caps.needs_gpu):
        assert isinstance(flag, bool)
    voices = engine.voices()
    assert voices and all(isinstance(v, VoiceInfo) for v in voices)
    lang = next(lang for lang in ("zh", "en") if lang in caps.languages)
    text = SAMPLES[lang]
    requests = [SynthRequest(f"s{i}", (Span(text, text, lang),), seed=i) for i in range(2)]
    out = engine.synthesize(requests)
    assert isinstance(out, list) and len(out) == 2
    for audio in out:
        assert isinstance(audio, np.ndarray) and audio.dtype == np.float32 and audio.ndim == 1
        assert len(audio) > caps.sample_rate // 10
        assert float(np.abs(audio).max()) <= 1.0 and float(np.abs(audio).max()) > 0.01
