"""Contract server for GPT-SoVITS ``api_v2.py`` ``POST /tts`` (RVC-Boss/GPT-SoVITS).

Validates the request exactly as api_v2 does: the ``TTS_Request`` pydantic model (types and
defaults), then ``check_params`` — 400 JSON ``{"message": ...}`` for a missing
``ref_audio_path``/``text``/``text_lang``/``prompt_lang``, an unsupported language, media type
or split method — and, like the real pipeline, 400 ``{"message": "tts failed", "Exception"}``
when the reference file cannot be read. Success: WAV bytes (``audio/wav``) at the model rate.
"""

from __future__ import annotations

import io

import soundfile as sf
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .harness import Faults
from .speech import speak, to_int16

LANGUAGES_V2 = {"auto", "auto_yue", "en", "zh", "ja", "yue", "ko", "all_zh", "all_ja", "all_yue", "all_ko"}
CUT_METHODS = {"cut0", "cut1", "cut2", "cut3", "cut4", "cut5"}


class TTS_Request(BaseModel):
    text: str = None
    text_lang: str = None
    ref_audio_path: str = None
    aux_ref_audio_paths: list = None
    prompt_lang: str = None
    prompt_text: str = ""
    top_k: int = 15
    top_p: float = 1
    temperature: float = 1
    text_split_method: str = "cut5"
    batch_size: int = 1
    batch_threshold: float = 0.75
    split_bucket: bool = True
    speed_factor: float = 1.0
    fragment_interval: float = 0.3
    seed: int = -1
    media_type: str = "wav"
    streaming_mode: bool | int = False
    parallel_infer: bool = True
    repetition_penalty: float = 1.35
    sample_steps: int = 32
    super_sampling: bool = False
    overlap_length: int = 2
    min_chunk_length: int = 16


def _bad(message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"message": message})


def check_params(req: dict) -> JSONResponse | None:
    """GPT-SoVITS api_v2's request checks, in its order and with its messages."""
    message = _first_problem(req)
    return _bad(message) if message else None


def _first_problem(req: dict) -> str | None:
    for key in ("ref_audio_path", "text"):
        if req.get(key) in (None, ""):
            return f"{key} is required"
    for key in ("text_lang", "prompt_lang"):
        lang = req.get(key)
        if lang in (None, ""):
            return f"{key} is required"
        if lang.lower() not in LANGUAGES_V2:
            return f"{key}: {lang} is not supported in version v2"
    if req.get("media_type", "wav") not in ("wav", "raw", "ogg", "aac"):
        return f"media_type: {req['media_type']} is not supported"
    if req.get("text_split_method", "cut5") not in CUT_METHODS:
        return f"text_split_method:{req['text_split_method']} is not supported"
    return None


def make_app(faults: Faults, sample_rate: int = 32000) -> FastAPI:
    app = FastAPI()

    @app.post("/tts")
    def tts_post_endpoint(request: TTS_Request):
        req = request.model_dump()
        status = faults.enter(req)
        if status is not None:
            return JSONResponse(status_code=status, content={"message": f"injected {status}"})
        try:
            return _tts(req, faults, sample_rate)
        finally:
            faults.leave()

    return app


def _tts(req: dict, faults: Faults, sample_rate: int):
    check = check_params(req)
    if check is not None:
        return check
    if req["streaming_mode"] not in (False, 0):
        return _bad("this contract server implements streaming_mode=false only")
    try:
        sf.info(req["ref_audio_path"])
        for aux in req["aux_ref_audio_paths"] or []:
            sf.info(aux)
    except (sf.LibsndfileError, RuntimeError) as exc:
        return JSONResponse(status_code=400, content={"message": "tts failed", "Exception": str(exc)})
    rate = faults.sample_rate or sample_rate
    audio = speak(req["text"], req["text_lang"], rate)
    buf = io.BytesIO()
    sf.write(buf, to_int16(audio), rate, format="wav")
    return Response(buf.getvalue(), media_type=f"audio/{req['media_type']}")
