"""``gpt-sovits``: zero-shot voice cloning through GPT-SoVITS's ``api_v2.py`` server.

Contract (RVC-Boss/GPT-SoVITS ``api_v2.py``): ``POST /tts`` with a JSON body — ``text``,
``text_lang``, ``ref_audio_path`` (a path *the server* can read), ``prompt_text``,
``prompt_lang``, ``text_split_method``, ``batch_size``, ``speed_factor``, ``seed``,
``media_type``, ``streaming_mode`` … — answers WAV bytes (HTTP 200) or a JSON error
(HTTP 400, ``{"message": ..., "Exception": ...}``).

The cast's engine voice is a voice folder name under ``<project>/voices``; the clip tagged
with the sentence's emotion (else the voice's default clip) is the reference, other clips of
that emotion go in ``aux_ref_audio_paths``. When the server runs on another machine, set
``LECTOR_GPT_SOVITS_REF_DIR`` to where it sees the project's ``voices/`` folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..project import DEFAULT_EMOTIONS
from .base import Capabilities, SynthRequest
from .http_common import RemoteEngine, request_lang, request_speed

LANGUAGES = ("zh", "en", "ja", "ko", "yue")
PATH = "/tts"


class GptSovitsEngine(RemoteEngine):
    ENGINE_ID = "gpt-sovits"
    DEFAULT_SAMPLE_RATE = 32000  # v1/v2 models; v3 answers 24000, v4 48000
    text_split_method = "cut5"  # split at punctuation, as the server's default

    def _capabilities(self) -> Capabilities:
        return Capabilities(
            engine_id=self.ENGINE_ID,
            version=self.version,
            languages=LANGUAGES,
            sample_rate=self.sample_rate,
            max_chars=300,
            emotions=DEFAULT_EMOTIONS,
            emotion_method="reference-clip",
            accepts_phonemes=False,
            seedable=True,
            batchable=False,
            device="remote",
            needs_gpu=False,
            concurrency=self.options.concurrency,
        )

    def server_path(self, voice_name: str, clip_file: str, local: Path) -> str:
        """The clip path as the server sees it (``LECTOR_GPT_SOVITS_REF_DIR`` remaps the root)."""
        remote_root = os.environ.get("LECTOR_GPT_SOVITS_REF_DIR")
        if remote_root:
            return f"{remote_root.rstrip('/')}/{voice_name}/{clip_file}"
        return str(local.resolve())

    def payload(self, req: SynthRequest) -> dict[str, object]:
        voice = self.voice(req.voice)
        clip = voice.clip_for(req.emotion)
        aux = [
            self.server_path(voice.name, c.file, voice.clip_path(c))
            for c in voice.config.clips
            if c.emotion == clip.emotion and c.file != clip.file
        ]
        return {
            "text": req.spoken,
            "text_lang": request_lang(req, voice.config.language),
            "ref_audio_path": self.server_path(voice.name, clip.file, voice.clip_path(clip)),
            "aux_ref_audio_paths": aux,
            "prompt_text": clip.transcript,
            "prompt_lang": clip.lang,
            "text_split_method": self.text_split_method,
            "batch_size": 1,
            "speed_factor": request_speed(req, 0.6, 1.65),
            "seed": int(req.seed),
            "media_type": "wav",
            "streaming_mode": False,
        }

    def _synthesize_one(self, req: SynthRequest) -> npt.NDArray[np.float32]:
        resp = self.client.post(PATH, json=self.payload(req))
        return self.decode(resp, "wav", PATH)
