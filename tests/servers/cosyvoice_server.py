"""Contract server for CosyVoice's FastAPI runtime (FunAudioLLM/CosyVoice
``runtime/python/fastapi/server.py``): form fields declared with ``Form()``/``File()`` and no
defaults (a missing one is FastAPI's 422), answers a stream of raw int16 PCM at the model
rate with no header. The prompt wav is loaded as the server's ``load_wav`` would (a file that
is not audio fails inside the handler: HTTP 500)."""

from __future__ import annotations

import io
from typing import Annotated

import soundfile as sf
from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from .harness import Faults
from .speech import speak, to_int16

FormText = Annotated[str, Form()]  # a required form field, as the real server declares it
FormFile = Annotated[UploadFile, File()]
SPEAKERS = ("中文女", "中文男", "英文女", "英文男")


def _lang_of(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def make_app(faults: Faults, sample_rate: int = 22050) -> FastAPI:
    app = FastAPI()

    def respond(record: dict, prompt: bytes | None = None):
        status = faults.enter(record)
        if status is not None:
            return JSONResponse(status_code=status, content={"detail": f"injected {status}"})
        try:
            if prompt is not None:
                sf.read(io.BytesIO(prompt))  # load_wav(prompt_wav.file, 16000)
            if "spk_id" in record and record["spk_id"] not in SPEAKERS:
                raise KeyError(record["spk_id"])  # the model's spk2info lookup
            rate = faults.sample_rate or sample_rate
            pcm = to_int16(speak(record["tts_text"], _lang_of(record["tts_text"]), rate)).tobytes()
        finally:
            faults.leave()
        return StreamingResponse(iter([pcm[i : i + 16000] for i in range(0, len(pcm), 16000)]))

    @app.get("/inference_sft")
    @app.post("/inference_sft")
    def inference_sft(tts_text: FormText, spk_id: FormText):
        return respond({"path": "sft", "tts_text": tts_text, "spk_id": spk_id})

    @app.get("/inference_zero_shot")
    @app.post("/inference_zero_shot")
    def inference_zero_shot(
        tts_text: FormText,
        prompt_text: FormText,
        prompt_wav: FormFile,
    ):
        data = prompt_wav.file.read()
        return respond(
            {
                "path": "zero_shot",
                "tts_text": tts_text,
                "prompt_text": prompt_text,
                "prompt_wav_bytes": len(data),
            },
            data,
        )

    @app.get("/inference_cross_lingual")
    @app.post("/inference_cross_lingual")
    def inference_cross_lingual(tts_text: FormText, prompt_wav: FormFile):
        data = prompt_wav.file.read()
        return respond({"path": "cross_lingual", "tts_text": tts_text, "prompt_wav_bytes": len(data)}, data)

    @app.get("/inference_instruct")
    @app.post("/inference_instruct")
    def inference_instruct(
        tts_text: FormText,
        spk_id: FormText,
        instruct_text: FormText,
    ):
        return respond(
            {"path": "instruct", "tts_text": tts_text, "spk_id": spk_id, "instruct_text": instruct_text}
        )

    @app.get("/inference_instruct2")
    @app.post("/inference_instruct2")
    def inference_instruct2(
        tts_text: FormText,
        instruct_text: FormText,
        prompt_wav: FormFile,
    ):
        data = prompt_wav.file.read()
        return respond(
            {
                "path": "instruct2",
                "tts_text": tts_text,
                "instruct_text": instruct_text,
                "prompt_wav_bytes": len(data),
            },
            data,
        )

    return app
