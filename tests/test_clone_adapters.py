"""Cloning adapters (gpt-sovits, cosyvoice, openai-speech) against local contract servers
that validate requests like the real servers and answer real embedded-engine speech."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile as sf

from lector.core.engines.base import SynthRequest
from lector.core.engines.cosyvoice import CosyVoiceEngine
from lector.core.engines.gpt_sovits import GptSovitsEngine
from lector.core.engines.openai_speech import OpenAISpeechEngine
from lector.core.errors import ConfigError, EngineError, EngineUnavailable
from lector.core.model import Span
from lector.core.project import EngineOptions
from lector.core.voices.store import Voice, VoiceConfig, add_clip, load_voice, save_voice

from .servers import cosyvoice_server, gpt_sovits_server, openai_speech_server
from .servers.harness import Faults, serve
from .servers.speech import speak

CLIP_TEXT = "The old lighthouse keeper climbed the stairs every evening, counting every step."
LINE = "Rain fell softly over the harbour."


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("voices")
    clip = root / "source.wav"
    sf.write(clip, speak(CLIP_TEXT, "en", 22050), 22050)
    add_clip(root, "ada", clip, CLIP_TEXT, engine="gpt-sovits", lang="en", check_speaker=False)
    add_clip(root, "cleo", clip, CLIP_TEXT, engine="cosyvoice", lang="en", check_speaker=False)
    save_voice(
        Voice("anna", root / "anna", VoiceConfig(engine="cosyvoice", language="zh", engine_voice="中文女"))
    )
    save_voice(
        Voice(
            "kore", root / "kore", VoiceConfig(engine="openai-speech", language="en", engine_voice="am_adam")
        )
    )
    return root


def req(voice: str, text: str = LINE, lang: str = "en", **kw) -> SynthRequest:
    return SynthRequest(sentence_id="s1", spans=(Span(text, text, lang),), voice=voice, **kw)


def opts(url: str, voices_dir, **kw) -> EngineOptions:
    return EngineOptions(url=url, voices_dir=str(voices_dir), **kw)


def assert_speech(audio: np.ndarray, rate: int, text: str = LINE, lang: str = "en") -> None:
    expected = speak(text, lang, rate)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert abs(audio.size - expected.size) <= 1
    assert np.max(np.abs(audio - expected[: audio.size])) < 1e-4  # int16 round trip


# ------------------------------------------------------------------ gpt-sovits


def test_gpt_sovits_sends_the_api_v2_request_and_returns_checked_audio(voices_dir):
    faults = Faults()
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, voices_dir), backoff_s=0.01)
        audio = engine.synthesize([req("ada", seed=1234, speed=1.1)])[0]
    assert_speech(audio, 32000)
    sent = faults.requests[0]
    voice = load_voice(voices_dir, "ada")
    clip = voice.config.clips[0]
    assert sent["text"] == LINE
    assert sent["text_lang"] == "en"
    assert sent["ref_audio_path"] == str(voice.clip_path(clip).resolve())
    assert sent["prompt_text"] == CLIP_TEXT
    assert sent["prompt_lang"] == "en"
    assert sent["seed"] == 1234
    assert sent["speed_factor"] == pytest.approx(1.1)
    assert (sent["media_type"], sent["streaming_mode"], sent["batch_size"]) == ("wav", False, 1)
    caps = engine.capabilities
    assert (caps.device, caps.seedable, caps.sample_rate, caps.emotion_method) == (
        "remote",
        True,
        32000,
        "reference-clip",
    )


def test_gpt_sovits_retries_503_then_succeeds(voices_dir):
    faults = Faults(fail_with=[503, 503])
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, voices_dir, retries=3), backoff_s=0.01)
        audio = engine.synthesize([req("ada")])[0]
    assert faults.calls == 3
    assert_speech(audio, 32000)


def test_gpt_sovits_does_not_retry_400_and_reports_the_server_message(voices_dir):
    faults = Faults()
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, voices_dir, retries=3), backoff_s=0.01)
        with pytest.raises(EngineError) as info:
            engine.synthesize([req("ada", text="Guten Morgen.", lang="de")])
    assert faults.calls == 1
    assert not isinstance(info.value, EngineUnavailable)
    assert "HTTP 400" in str(info.value)
    assert "text_lang: de is not supported in version v2" in str(info.value)


def test_gpt_sovits_missing_reference_file_is_the_servers_400(voices_dir, tmp_path):
    faults = Faults()
    save_voice(Voice("ghost", tmp_path / "ghost", load_voice(voices_dir, "ada").config))
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, tmp_path), backoff_s=0.01)
        with pytest.raises(EngineError, match="tts failed"):
            engine.synthesize([req("ghost")])
    assert faults.calls == 1


def test_gpt_sovits_timeout_retries_then_engine_unavailable(voices_dir):
    faults = Faults(delay_s=1.0)
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, voices_dir, timeout_s=0.3, retries=1), backoff_s=0.01)
        with pytest.raises(EngineUnavailable) as info:
            engine.synthesize([req("ada")])
        url = srv.url
    assert faults.calls == 2
    assert f"{url}/tts failed after 2 attempt(s): no answer within 0.3 s" in str(info.value)
    assert "LECTOR_GPT_SOVITS_URL" in info.value.fix


def test_gpt_sovits_wrong_sample_rate_is_rejected(voices_dir):
    faults = Faults(sample_rate=24000)
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engine = GptSovitsEngine(opts(srv.url, voices_dir), backoff_s=0.01)
        with pytest.raises(EngineError, match="24000 Hz audio, expected 32000 Hz") as info:
            engine.synthesize([req("ada")])
    assert info.value.fix == (
        "set sample_rate = 24000 under [engines.gpt-sovits] if the server's model really runs at 24000 Hz"
    )


def test_gpt_sovits_server_down_is_engine_unavailable_naming_the_url(voices_dir):
    faults = Faults()
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        url = srv.url
    engine = GptSovitsEngine(opts(url, voices_dir, retries=2), backoff_s=0.01)
    with pytest.raises(EngineUnavailable) as info:
        engine.synthesize([req("ada")])
    assert f"gpt-sovits server at {url}/tts failed after 3 attempt(s): connection failed" in str(info.value)


def test_concurrency_limit_is_per_server_across_engine_instances(voices_dir):
    faults = Faults(delay_s=0.25)
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        engines = [
            GptSovitsEngine(opts(srv.url, voices_dir, concurrency=2), backoff_s=0.01) for _ in range(2)
        ]
        results = []
        threads = [
            threading.Thread(
                target=lambda e=e: results.append(e.synthesize([req("ada", seed=i) for i in range(4)]))
            )
            for e in engines
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert faults.calls == 8
    assert faults.max_active == 2
    assert [len(r) for r in results] == [4, 4]


def test_env_url_wins_over_project_url(voices_dir, monkeypatch):
    faults = Faults()
    with serve(gpt_sovits_server.make_app(faults)) as srv:
        monkeypatch.setenv("LECTOR_GPT_SOVITS_URL", srv.url)
        engine = GptSovitsEngine(opts("http://127.0.0.1:9", voices_dir), backoff_s=0.01)
        assert engine.url == srv.url
        engine.synthesize([req("ada")])
    assert faults.calls == 1


def test_no_url_is_a_config_error_naming_the_env_var(monkeypatch):
    monkeypatch.delenv("LECTOR_GPT_SOVITS_URL", raising=False)
    with pytest.raises(ConfigError, match="engine 'gpt-sovits' has no server URL") as info:
        GptSovitsEngine(EngineOptions())
    assert "LECTOR_GPT_SOVITS_URL" in info.value.fix


# ------------------------------------------------------------------ cosyvoice


def test_cosyvoice_zero_shot_uploads_the_clip_and_reads_raw_pcm(voices_dir):
    faults = Faults()
    with serve(cosyvoice_server.make_app(faults)) as srv:
        engine = CosyVoiceEngine(opts(srv.url, voices_dir), backoff_s=0.01)
        audio = engine.synthesize([req("cleo", seed=7)])[0]
    assert_speech(audio, 22050)
    voice = load_voice(voices_dir, "cleo")
    sent = faults.requests[0]
    assert sent == {
        "path": "zero_shot",
        "tts_text": LINE,
        "prompt_text": CLIP_TEXT,
        "prompt_wav_bytes": voice.clip_path(voice.config.clips[0]).stat().st_size,
    }
    assert (engine.capabilities.seedable, engine.capabilities.emotion_method) == (False, "instruct-text")


def test_cosyvoice_emotion_goes_into_instruct2_text(voices_dir):
    faults = Faults()
    with serve(cosyvoice_server.make_app(faults, sample_rate=24000)) as srv:
        engine = CosyVoiceEngine(opts(srv.url, voices_dir, sample_rate=24000), backoff_s=0.01)
        audio = engine.synthesize([req("cleo", emotion="happy")])[0]
    assert_speech(audio, 24000)
    assert faults.requests[0]["path"] == "instruct2"
    assert faults.requests[0]["instruct_text"] == "Speak in a happy tone."


def test_cosyvoice_builtin_speaker_uses_sft_and_instruct(voices_dir):
    faults = Faults()
    with serve(cosyvoice_server.make_app(faults)) as srv:
        engine = CosyVoiceEngine(opts(srv.url, voices_dir), backoff_s=0.01)
        engine.synthesize(
            [
                req("anna", text="今天天气很好。", lang="zh"),
                req("anna", text="今天天气很好。", lang="zh", emotion="sad"),
            ]
        )
    assert faults.requests[0] == {"path": "sft", "tts_text": "今天天气很好。", "spk_id": "中文女"}
    assert faults.requests[1]["instruct_text"] == "用伤心的语气说"


def test_cosyvoice_retries_502_and_5xx_exhaustion_is_unavailable(voices_dir):
    faults = Faults(fail_with=[502, 500, 503])
    with serve(cosyvoice_server.make_app(faults)) as srv:
        engine = CosyVoiceEngine(opts(srv.url, voices_dir, retries=2), backoff_s=0.01)
        with pytest.raises(EngineUnavailable, match="HTTP 503: injected 503"):
            engine.synthesize([req("cleo")])
        assert faults.calls == 3
        assert_speech(engine.synthesize([req("cleo")])[0], 22050)


# ------------------------------------------------------------------ openai-speech


def test_openai_speech_request_and_streamed_wav(voices_dir):
    faults = Faults()
    with serve(openai_speech_server.make_app(faults)) as srv:
        engine = OpenAISpeechEngine(opts(srv.url + "/v1", voices_dir, model="kokoro"), backoff_s=0.01)
        audio = engine.synthesize([req("kore", speed=1.2)])[0]
    assert_speech(audio, 24000)
    sent = faults.requests[0]
    assert (sent["model"], sent["input"], sent["voice"], sent["response_format"]) == (
        "kokoro",
        LINE,
        "am_adam",
        "wav",
    )
    assert sent["speed"] == pytest.approx(1.2)
    assert sent["instructions"] is None
    assert engine.capabilities.emotions == ("neutral",)


def test_openai_speech_unknown_voice_is_400_without_retry(voices_dir):
    faults = Faults()
    with serve(openai_speech_server.make_app(faults)) as srv:
        engine = OpenAISpeechEngine(opts(srv.url, voices_dir, retries=3), backoff_s=0.01)
        with pytest.raises(EngineError, match="Voice 'nova-x' not found"):
            engine.synthesize([req("nova-x")])
    assert faults.calls == 1


def test_openai_speech_wrong_rate_rejected_and_instructions_for_gpt4o(voices_dir):
    faults = Faults(sample_rate=22050)
    with serve(openai_speech_server.make_app(faults)) as srv:
        engine = OpenAISpeechEngine(opts(srv.url, voices_dir), backoff_s=0.01)
        with pytest.raises(EngineError, match="22050 Hz audio, expected 24000 Hz"):
            engine.synthesize([req("alloy")])
        faults.sample_rate = None
        engine = OpenAISpeechEngine(opts(srv.url, voices_dir, model="gpt-4o-mini-tts"))
        engine.synthesize([req("alloy", emotion="sad")])
    assert faults.requests[-1]["instructions"] == "Speak in a sad, subdued tone."
