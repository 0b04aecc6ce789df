"""Contract server for the OpenAI-compatible ``POST /v1/audio/speech`` as Kokoro-FastAPI
implements it (remsky/Kokoro-FastAPI ``OpenAISpeechRequest``): ``input`` required, ``model``,
``voice``, ``response_format`` in mp3|opus|aac|flac|wav|pcm, ``speed`` 0.25–4.0 (else 422);
an unknown voice or model is 400 ``{"detail": {"error", "message", "type"}}``. Audio is
24 kHz mono; ``wav`` is written as a streamed WAV (size fields 0xFFFFFFFF) when ``stream``
is true (the default), ``pcm`` is raw int16."""

from __future__ import annotations

import io
import struct
from typing import Literal

import soundfile as sf
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .harness import Faults
from .speech import speak, to_int16

VOICES = {"af_heart": "en", "am_adam": "en", "alloy": "en", "zf_xiaoxiao": "zh"}
MODELS = {"tts-1", "tts-1-hd", "kokoro", "gpt-4o-mini-tts"}


class OpenAISpeechRequest(BaseModel):
    model: str = "kokoro"
    input: str
    voice: str = "af_heart"
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    download_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None = None
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    stream: bool = True
    return_download_link: bool = False
    lang_code: str | None = None
    volume_multiplier: float | None = 1.0
    instructions: str | None = None  # OpenAI gpt-4o-mini-tts


def streamed_wav(pcm: bytes, rate: int) -> bytes:
    header = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm


def _invalid(message: str) -> JSONResponse:
    return JSONResponse(
        status_code=400,
        content={
            "detail": {"error": "validation_error", "message": message, "type": "invalid_request_error"}
        },
    )


def make_app(faults: Faults, sample_rate: int = 24000) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/audio/speech")
    def create_speech(request: OpenAISpeechRequest):
        status = faults.enter(request.model_dump())
        if status is not None:
            return JSONResponse(status_code=status, content={"detail": f"injected {status}"})
        try:
            if request.model not in MODELS:
                return _invalid(f"Unsupported model: {request.model}")
            if request.voice not in VOICES:
                return _invalid(f"Voice '{request.voice}' not found")
            rate = faults.sample_rate or sample_rate
            audio = speak(request.input, VOICES[request.voice], rate)
        finally:
            faults.leave()
        return _encoded(audio, rate, request.response_format, stream=request.stream)

    return app


def _encoded(audio, rate: int, response_format: str, *, stream: bool) -> Response:
    pcm = to_int16(audio).tobytes()
    if response_format == "pcm":
        return Response(pcm, media_type="audio/pcm")
    if response_format == "wav" and stream:
        return Response(streamed_wav(pcm, rate), media_type="audio/wav")
    if response_format in ("wav", "flac"):
        buf = io.BytesIO()
        sf.write(buf, to_int16(audio), rate, format=response_format)
        return Response(buf.getvalue(), media_type=f"audio/{response_format}")
    return _invalid(f"this contract server does not encode {response_format}")
