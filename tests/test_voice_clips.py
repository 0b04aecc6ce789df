"""Reference-clip validation and voice folders, with clips made by the embedded engines."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from lector.core.engines.base import SynthRequest
from lector.core.engines.registry import get_engine
from lector.core.errors import ConfigError, VoiceError
from lector.core.model import Span
from lector.core.voices.clip import DEFAULT_LIMITS, validate_clip
from lector.core.voices.store import add_clip, clip_embedding, embedding_path, load_voice, sha256_bytes

RATE = 22050
EN = (
    "The old lighthouse keeper climbed the stairs every evening, and he counted every step as he went.",
    "Rain fell softly over the harbour while the fishing boats came home one by one, slowly.",
)
ZH = "今天上午，市气象台发布消息称，受冷空气影响，本周末全市将出现明显降温。"


def synth(engine_id: str, text: str, lang: str) -> np.ndarray:
    engine = get_engine(engine_id, threads=1)
    audio = engine.synthesize([SynthRequest("clip", (Span(text, text, lang),))])[0]
    return soxr.resample(audio, engine.capabilities.sample_rate, RATE).astype(np.float32)


@pytest.fixture(scope="module")
def speech():
    return {
        "joe": synth("piper-en", EN[0], "en"),
        "joe2": synth("piper-en", EN[1], "en"),
        "baker": synth("fastspeech2-zh", ZH, "zh"),
        "espeak": synth("espeak-draft", EN[1], "en"),
    }


def write(path, audio, rate=RATE):
    sf.write(path, audio, rate, subtype="PCM_16")
    return path


def refusal(path) -> VoiceError:
    with pytest.raises(VoiceError) as info:
        validate_clip(path)
    return info.value


def test_good_clip_is_accepted_with_measurements(speech, tmp_path):
    _, rate, report = validate_clip(write(tmp_path / "good.wav", speech["joe"]))
    assert rate == RATE
    assert report.duration_s == pytest.approx(speech["joe"].size / RATE, abs=1e-3)
    assert 5.0 <= report.duration_s <= 10.0
    assert report.warnings == ()
    assert report.clipped_fraction == 0.0
    assert report.snr_db > 35.0
    assert report.speaker_cosine > 0.8


def test_too_short_clip_is_refused_with_value_limit_and_fix(speech, tmp_path):
    err = refusal(write(tmp_path / "short.wav", speech["joe"][: int(2.1 * RATE)]))
    assert err.message == "clip is 2.1 s long; minimum 3.0 s"
    assert err.fix == "record 5–10 s of clean speech"
    assert str(err).endswith("clip is 2.1 s long; minimum 3.0 s — fix: record 5–10 s of clean speech")


def test_too_long_clip_is_refused(speech, tmp_path):
    err = refusal(write(tmp_path / "long.wav", np.tile(speech["joe"], 7)))
    assert err.message.startswith("clip is 36.")
    assert err.message.endswith("s long; maximum 30.0 s")


def test_low_sample_rate_is_refused(speech, tmp_path):
    low = soxr.resample(speech["joe"], RATE, 8000).astype(np.float32)
    err = refusal(write(tmp_path / "phone.wav", low, 8000))
    assert err.message == "clip is sampled at 8000 Hz; minimum 16000 Hz"


def test_clipped_clip_is_refused(speech, tmp_path):
    hot = np.clip(speech["joe"] * 4.0, -1.0, 1.0)
    err = refusal(write(tmp_path / "hot.wav", hot))
    assert err.message.startswith("clip is clipped: ")
    assert err.message.endswith("of samples sit at full scale; maximum 0.10%")
    assert err.fix == "record again with lower input gain (peaks around -6 dBFS)"


def test_noisy_clip_is_refused(speech, tmp_path):
    clean = speech["joe"]
    rms = float(np.sqrt(np.mean(clean[np.abs(clean) > 0.01] ** 2)))
    noise = np.random.default_rng(0).standard_normal(clean.size).astype(np.float32) * rms / 10**0.5
    err = refusal(write(tmp_path / "noisy.wav", clean + noise))  # 10 dB below the speech
    assert err.message.startswith("clip is noisy: estimated SNR 1")
    assert err.message.endswith(f"dB; minimum {DEFAULT_LIMITS.min_snr_db:.0f} dB")


def test_two_speakers_spliced_are_refused(speech, tmp_path):
    for other in ("baker", "espeak"):
        spliced = np.concatenate([speech["joe2"], speech[other]])
        err = refusal(write(tmp_path / f"two-{other}.wav", spliced))
        assert err.message.startswith("clip does not sound like one speaker: its parts agree at cosine 0.")
        assert err.message.endswith("minimum 0.65")


def test_stereo_is_downmixed_and_short_good_clip_warns(speech, tmp_path):
    mono = speech["joe2"][: int(4.2 * RATE)]
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([mono, mono], axis=1), RATE, subtype="PCM_16")
    audio, _, report = validate_clip(path)
    assert audio.ndim == 1
    assert report.channels == 2
    assert report.warnings == (
        "clip is 4.2 s long; 5–10 s gives the most stable cloning",
        "clip has 2 channels; downmixed to mono",
    )


def test_add_clip_stores_clip_transcript_and_cached_embedding(speech, tmp_path):
    src = write(tmp_path / "src.wav", speech["joe"])
    voices = tmp_path / "voices"
    result = add_clip(voices, "joe", src, "  The old lighthouse keeper.  ", engine="gpt-sovits", lang="en")
    voice = load_voice(voices, "joe")
    entry = voice.config.clips[0]
    assert entry.file == "clips/joe-01.wav"
    assert entry.transcript == "The old lighthouse keeper."
    assert (entry.lang, entry.emotion, entry.sample_rate) == ("en", "neutral", RATE)
    assert entry.sha256 == sha256_bytes((voice.folder / entry.file).read_bytes())
    cache = embedding_path(voice, entry)
    assert cache == voices / "joe" / "embeddings" / f"{entry.sha256}.npy"
    assert cache.is_file()
    stamp = cache.stat().st_mtime_ns
    emb = clip_embedding(voice, entry)
    assert cache.stat().st_mtime_ns == stamp  # read from the cache, not recomputed
    assert emb.shape == (256,)
    assert float(np.linalg.norm(emb)) == pytest.approx(1.0, abs=1e-5)
    assert result.voice.config == voice.config
    with pytest.raises(VoiceError, match="this clip is already in voice 'joe'"):
        add_clip(voices, "joe", src, "again", lang="en")
    with pytest.raises(VoiceError, match="voice 'joe' uses engine 'gpt-sovits', not 'cosyvoice'"):
        add_clip(voices, "joe", src, "again", engine="cosyvoice")


def test_voice_toml_rejects_unknown_keys(tmp_path):
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "voice.toml").write_text('engine = "gpt-sovits"\nvoice_speed = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_voice(tmp_path, "v")
    assert "[voice_speed]" in str(info.value)
    assert "Extra inputs are not permitted" in str(info.value)
