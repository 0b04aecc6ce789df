"""espeak-draft: espeak-ng from the espeakng-loader wheel, no system espeak."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lector.core.engines.base import SynthRequest
from lector.core.engines.registry import get_engine
from lector.core.errors import VoiceError
from lector.core.model import Span


@pytest.fixture(scope="module")
def engine():
    return get_engine("espeak-draft")


def req(text: str, lang: str, **kw) -> SynthRequest:
    return SynthRequest("s", (Span(text, text, lang),), **kw)


def test_languages_and_voices(engine):
    caps = engine.capabilities
    assert {"en", "zh", "de", "fr", "ja"} <= set(caps.languages)
    assert len(caps.languages) > 80
    ids = {v.voice_id for v in engine.voices()}
    assert {"en-us", "en-gb", "cmn", "de"} <= ids
    assert caps.seedable is False and caps.accepts_phonemes is False


def test_english_and_chinese_speech(engine):
    sr = engine.capabilities.sample_rate
    text = "The quick brown fox jumps over the lazy dog."
    en, zh = engine.synthesize([req(text, "en"), req("今天天气很好，我们去公园散步。", "zh")])
    assert 0.04 <= len(en) / sr / sum(c.isalpha() for c in text) <= 0.12
    assert 0.15 <= len(zh) / sr / 13 <= 0.45
    for a in (en, zh):
        assert a.dtype == np.float32 and float(np.sqrt(np.mean(a**2))) > 0.02


def test_deterministic_for_every_seed(engine):
    a, b = engine.synthesize([req("Proof listening.", "en", seed=1), req("Proof listening.", "en", seed=99)])
    assert a.tobytes() == b.tobytes()


def test_a_take_does_not_depend_on_the_sentence_spoken_before(engine):
    """espeak's wave generator keeps a toggle across utterances: without settling it, about half
    of the sentences came out different in another order (a re-render from another batch order)."""
    texts = [
        "The narrow grey lamp climbed the stairs.",
        "Hello there.",
        "A quiet boat opened the window before the storm.",
        "Proof listening, chapter one.",
        "She whispered the answer.",
        "今天天气很好，我们去公园散步。",
        "Der alte Leuchtturm stand am Meer.",
        "One.",
    ]
    reqs = [req(t, lang) for t, lang in zip(texts, ["en"] * 5 + ["zh", "de", "en"], strict=True)]
    reqs.append(req("She whispered the answer.", "en", emotion="whisper"))
    forward = engine.synthesize(reqs)
    backward = engine.synthesize(reqs[::-1])[::-1]
    one_by_one = [engine.synthesize([r])[0] for r in reqs[1::2] + reqs[0::2]]
    alone = dict(zip([*range(1, len(reqs), 2), *range(0, len(reqs), 2)], one_by_one, strict=True))
    for i, audio in enumerate(forward):
        assert audio.tobytes() == backward[i].tobytes() == alone[i].tobytes(), texts[i % len(texts)]


def test_mixed_spans_use_a_voice_per_language(engine):
    mixed = SynthRequest(
        "s", (Span("我用", "我用", "zh"), Span("iPhone", "iPhone", "en"), Span("打电话。", "打电话。", "zh"))
    )
    (audio,) = engine.synthesize([mixed])
    (zh_only,) = engine.synthesize([req("我用打电话。", "zh")])
    assert len(audio) > len(zh_only)


def test_fast(engine):
    text = "Yesterday afternoon the city council approved a new plan to repair the old bridge near the river."
    engine.synthesize([req(text, "en")])
    t0 = time.perf_counter()
    (audio,) = engine.synthesize([req(text, "en")])
    rtf = (time.perf_counter() - t0) / (len(audio) / engine.capabilities.sample_rate)
    assert rtf < 0.05  # target 0.005 on an idle machine; loose under shared load


def test_unknown_voice(engine):
    with pytest.raises(VoiceError, match="en-us"):
        engine.synthesize([req("Hi.", "en", voice="klingon-x")])
