"""``openai-speech``: any server exposing the OpenAI-compatible ``POST /v1/audio/speech``.

Contract (OpenAI audio.speech; Kokoro-FastAPI, EmotiVoice's server and others follow it):
a JSON body ``{"model", "input", "voice", "response_format", "speed"}`` (``speed`` 0.25–4.0;
``instructions`` only for ``gpt-4o*`` models) answered with audio bytes; we ask for ``wav``
(24 kHz mono 16-bit on OpenAI and Kokoro; set ``[engines.openai-speech].sample_rate`` for a
server that differs) and check its header. Errors are JSON (``{"error": {"message": ...}}``
on OpenAI, ``{"detail": ...}`` on FastAPI servers).

The engine voice is the server's voice id (``alloy``, ``af_heart`` …), or a voice folder whose
``voice.toml`` sets ``engine_voice``. The URL is the server root (``http://host:8880``) or its
``/v1`` base. ``LECTOR_OPENAI_SPEECH_API_KEY``, when set, is sent as a bearer token.
The API takes no seed: ``seedable`` is False.
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from ..project import DEFAULT_EMOTIONS
from .base import Capabilities, SynthRequest
from .http_common import RemoteEngine, request_speed

LANGUAGES = ("en", "zh", "ja", "es", "fr", "hi", "it", "pt")
DEFAULT_MODEL = "tts-1"
INSTRUCTIONS = {
    "happy": "Speak in a happy, upbeat tone.",
    "sad": "Speak in a sad, subdued tone.",
    "angry": "Speak in an angry, tense tone.",
    "calm": "Speak in a calm, even tone.",
    "excited": "Speak in an excited, energetic tone.",
    "whisper": "Speak in a soft whisper.",
}


class OpenAISpeechEngine(RemoteEngine):
    ENGINE_ID = "openai-speech"
    DEFAULT_SAMPLE_RATE = 24000
    open_voices = True  # any of the server's own voice ids is accepted (castcheck skips the list)

    @property
    def model(self) -> str:
        return self.options.model or DEFAULT_MODEL

    @property
    def takes_instructions(self) -> bool:
        return self.model.startswith("gpt-4o")

    @property
    def path(self) -> str:
        return "/audio/speech" if self.url.endswith("/v1") else "/v1/audio/speech"

    def _capabilities(self) -> Capabilities:
        emotions, method = (
            (DEFAULT_EMOTIONS, "instruct-text") if self.takes_instructions else (("neutral",), "none")
        )
        return Capabilities(
            engine_id=self.ENGINE_ID,
            version=self.version,
            languages=LANGUAGES,
            sample_rate=self.sample_rate,
            max_chars=4096,
            emotions=emotions,
            emotion_method=method,
            accepts_phonemes=False,
            seedable=False,
            batchable=False,
            device="remote",
            needs_gpu=False,
            concurrency=self.options.concurrency,
        )

    def server_voice(self, name: str) -> str:
        if name == "default":
            return "af_heart" if self.model == "kokoro" else "alloy"
        root = self.options.voices_dir or os.environ.get("LECTOR_VOICES_DIR")
        if root and (self.voices_root() / name / "voice.toml").is_file():
            engine_voice = self.voice(name).config.engine_voice
            if engine_voice:
                return engine_voice
        return name

    def payload(self, req: SynthRequest) -> dict[str, object]:
        body: dict[str, object] = {
            "model": self.model,
            "input": req.spoken,
            "voice": self.server_voice(req.voice),
            "response_format": "wav",
            "speed": request_speed(req, 0.25, 4.0),
        }
        if self.takes_instructions and req.emotion != "neutral":
            body["instructions"] = INSTRUCTIONS[req.emotion]
        return body

    def _synthesize_one(self, req: SynthRequest) -> npt.NDArray[np.float32]:
        key = os.environ.get("LECTOR_OPENAI_SPEECH_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else None
        resp = self.client.post(self.path, json=self.payload(req), headers=headers)
        return self.decode(resp, "wav", self.path)
