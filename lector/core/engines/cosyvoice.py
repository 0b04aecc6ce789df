"""``cosyvoice``: voice cloning through CosyVoice's FastAPI server (runtime/python/fastapi).

Contract (FunAudioLLM/CosyVoice ``runtime/python/fastapi/server.py`` and ``client.py``):
form-encoded POSTs, answered with a stream of raw little-endian int16 PCM at the model's rate
(22050 Hz for CosyVoice-300M — the client's ``target_sr`` — 24000 Hz for CosyVoice2; set
``[engines.cosyvoice].sample_rate``), no header:

- ``/inference_zero_shot``: ``tts_text``, ``prompt_text``, ``prompt_wav`` (file) — neutral;
- ``/inference_instruct2``: ``tts_text``, ``instruct_text``, ``prompt_wav`` (file) — an emotion
  goes into the instruct text (CosyVoice2);
- ``/inference_sft`` / ``/inference_instruct``: ``tts_text``, ``spk_id`` [, ``instruct_text``]
  for a voice whose ``voice.toml`` names a built-in ``engine_voice`` and has no clip.

The API takes no seed and no speed: ``seedable`` is False and speed is not applied. Forks that
answer WAV (``RIFF`` header) are decoded as WAV and their rate checked.
"""

from __future__ import annotations

import httpx
import numpy as np
import numpy.typing as npt

from ..project import DEFAULT_EMOTIONS
from .base import Capabilities, SynthRequest
from .http_common import AudioFormat, RemoteEngine, request_lang

LANGUAGES = ("zh", "en", "ja", "ko", "yue")
INSTRUCT = {
    "zh": {
        "happy": "用开心的语气说",
        "sad": "用伤心的语气说",
        "angry": "用生气的语气说",
        "calm": "用平静的语气说",
        "excited": "用激动的语气说",
        "whisper": "用耳语的方式轻声说",
    },
    "en": {
        "happy": "Speak in a happy tone.",
        "sad": "Speak in a sad tone.",
        "angry": "Speak in an angry tone.",
        "calm": "Speak in a calm tone.",
        "excited": "Speak in an excited tone.",
        "whisper": "Speak in a soft whisper.",
    },
}
STRONG = {"zh": "，情绪非常强烈", "en": " Make the emotion very strong."}


def instruct_text(emotion: str, degree: float, lang: str) -> str:
    """Natural-language instruction for an emotion (stronger wording for degree >= 1.5)."""
    table_lang = "zh" if lang in ("zh", "yue") else "en"
    text = INSTRUCT[table_lang][emotion]
    if degree >= 1.5:
        text += STRONG[table_lang]
    return text


class CosyVoiceEngine(RemoteEngine):
    ENGINE_ID = "cosyvoice"
    DEFAULT_SAMPLE_RATE = 22050

    def _capabilities(self) -> Capabilities:
        return Capabilities(
            engine_id=self.ENGINE_ID,
            version=self.version,
            languages=LANGUAGES,
            sample_rate=self.sample_rate,
            max_chars=300,
            emotions=DEFAULT_EMOTIONS,
            emotion_method="instruct-text",
            accepts_phonemes=False,
            seedable=False,
            batchable=False,
            device="remote",
            needs_gpu=False,
            concurrency=self.options.concurrency,
        )

    def request(
        self, req: SynthRequest
    ) -> tuple[str, dict[str, str], dict[str, tuple[str, bytes, str]] | None]:
        """(path, form fields, files) for one sentence."""
        voice = self.voice(req.voice)
        lang = request_lang(req, voice.config.language)
        emotional = req.emotion != "neutral" and req.emotion_degree > 0
        if not voice.config.clips and voice.config.engine_voice:
            form = {"tts_text": req.spoken, "spk_id": voice.config.engine_voice}
            if emotional:
                form["instruct_text"] = instruct_text(req.emotion, req.emotion_degree, lang)
                return "/inference_instruct", form, None
            return "/inference_sft", form, None
        clip = voice.clip_for(req.emotion)
        wav = voice.clip_path(clip).read_bytes()
        files = {"prompt_wav": ("prompt_wav", wav, "application/octet-stream")}
        if emotional:
            form = {
                "tts_text": req.spoken,
                "instruct_text": instruct_text(req.emotion, req.emotion_degree, lang),
            }
            return "/inference_instruct2", form, files
        return "/inference_zero_shot", {"tts_text": req.spoken, "prompt_text": clip.transcript}, files

    def _synthesize_one(self, req: SynthRequest) -> npt.NDArray[np.float32]:
        path, form, files = self.request(req)
        resp = self.client.post(path, data=form, files=files)
        self._check_rate_header(resp.headers, path)
        fmt: AudioFormat = "wav" if resp.content[:4] == b"RIFF" else "pcm16"
        return self.decode(resp, fmt, path)

    def _check_rate_header(self, headers: httpx.Headers, path: str) -> None:
        """Some server versions announce their rate in ``X-Custom-Header-sampleRate``."""
        announced = headers.get("x-custom-header-samplerate")
        if announced and announced.strip().isdigit() and int(announced) != self.sample_rate:
            from ..errors import EngineError

            raise EngineError(
                f"cosyvoice server at {self.url}{path} streams {announced} Hz PCM, expected "
                f"{self.sample_rate} Hz",
                field="engines.cosyvoice.sample_rate",
                fix=f"set sample_rate = {announced} under [engines.cosyvoice]",
            )
