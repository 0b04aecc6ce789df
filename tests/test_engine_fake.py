"""The fake engine (flow mechanics only): deterministic per seed, length from the text."""

from __future__ import annotations

import numpy as np
import pytest

from lector.core.engines.base import SynthRequest
from lector.core.engines.fake import SAMPLE_RATE, FakeEngine
from lector.core.engines.registry import get_engine
from lector.core.errors import EngineError, VoiceError
from lector.core.model import Span


def req(text: str, **kw) -> SynthRequest:
    return SynthRequest("s", (Span(text, text, "zh"),), **kw)


def test_fake_is_deterministic_per_seed():
    engine = get_engine("fake")
    assert isinstance(engine, FakeEngine)
    a, b, c = engine.synthesize([req("你好", seed=1), req("你好", seed=1), req("你好", seed=2)])
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    assert len(a) == int(SAMPLE_RATE * (0.1 + 0.08 * 2))
    assert a.dtype == np.float32 and np.abs(a).max() <= 1.0


def test_fake_validates_like_a_real_engine():
    engine = get_engine("fake")
    with pytest.raises(VoiceError, match="tone-zh, tone-en"):
        engine.synthesize([req("你好", voice="x")])
    with pytest.raises(EngineError, match="max_chars=200"):
        engine.synthesize([req("字" * 201)])
