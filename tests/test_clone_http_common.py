"""Audio checks and error-message extraction shared by the HTTP engines."""

from __future__ import annotations

import io
import re

import httpx
import numpy as np
import pytest
import soundfile as sf

from lector.core.engines.http_common import decode_audio, server_message
from lector.core.errors import EngineError

from .servers.openai_speech_server import streamed_wav

TONE = (0.5 * np.sin(np.arange(2400) * 2 * np.pi * 220 / 24000)).astype(np.float32)


def encode(audio, rate, fmt="WAV", subtype="PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def decode(body: bytes, fmt="wav", rate=24000) -> np.ndarray:
    return decode_audio(body, fmt, rate, engine_id="x", where="http://h/p")


def test_wav_flac_pcm_and_streamed_wav_decode_to_the_same_samples():
    pcm = (TONE * 32767).astype("<i2")
    expected = pcm.astype(np.float32) / 32768
    for audio in (
        decode(encode(pcm, 24000)),
        decode(encode(pcm, 24000, "FLAC"), "flac"),
        decode(pcm.tobytes(), "pcm16"),
        decode(streamed_wav(pcm.tobytes(), 24000)),
    ):
        assert audio.dtype == np.float32
        assert np.array_equal(audio, expected)


def test_stereo_is_downmixed():
    stereo = np.stack([TONE, np.zeros_like(TONE)], axis=1)
    audio = decode(encode(stereo, 24000, subtype="FLOAT"))
    assert np.allclose(audio, TONE / 2)


@pytest.mark.parametrize(
    "body, fmt, message",
    [
        (b"", "wav", "returned bad audio: empty body"),
        (b"not audio at all", "wav", "returned bad audio: not a readable wav file"),
        (b"\x00\x01\x02", "pcm16", "raw PCM16 body has an odd length (3 bytes)"),
        (np.zeros(4800, "<i2").tobytes(), "pcm16", "returned bad audio: silence (peak 0.0e+00)"),
    ],
)
def test_bad_bodies_are_engine_errors(body, fmt, message):
    with pytest.raises(EngineError, match=re.escape(message)):
        decode(body, fmt)


def test_nan_and_wrong_rate_are_rejected():
    bad = TONE.copy()
    bad[10] = np.nan
    with pytest.raises(EngineError, match="NaN or infinite samples"):
        decode(encode(bad, 24000, subtype="FLOAT"))
    with pytest.raises(EngineError, match="16000 Hz audio, expected 24000 Hz"):
        decode(encode(TONE, 16000))


@pytest.mark.parametrize(
    "body, text",
    [
        ({"message": "tts failed", "Exception": "boom"}, "tts failed; boom"),
        ({"detail": {"error": "validation_error", "message": "Voice 'x' not found"}}, "Voice 'x' not found"),
        ({"error": {"message": "Invalid voice", "type": "invalid_request_error"}}, "Invalid voice"),
    ],
)
def test_server_message_reads_each_servers_error_shape(body, text):
    assert server_message(httpx.Response(400, json=body)) == text
