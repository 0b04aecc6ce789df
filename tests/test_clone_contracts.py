"""The contract servers reject malformed requests the way the real servers do, so the adapter
tests above mean something."""

from __future__ import annotations

import httpx

from .servers import cosyvoice_server, gpt_sovits_server, openai_speech_server
from .servers.harness import Faults, serve

GOOD = {"text": "Hello.", "text_lang": "en", "ref_audio_path": "/nonexistent.wav", "prompt_lang": "en"}


def test_gpt_sovits_contract_errors():
    with serve(gpt_sovits_server.make_app(Faults())) as srv:
        post = lambda body: httpx.post(srv.url + "/tts", json=body, timeout=10)  # noqa: E731
        r = post({k: v for k, v in GOOD.items() if k != "text"})
        assert (r.status_code, r.json()) == (400, {"message": "text is required"})
        r = post({k: v for k, v in GOOD.items() if k != "ref_audio_path"})
        assert (r.status_code, r.json()) == (400, {"message": "ref_audio_path is required"})
        r = post({**GOOD, "prompt_lang": "xx"})
        assert r.json() == {"message": "prompt_lang: xx is not supported in version v2"}
        r = post({**GOOD, "text_split_method": "cut9"})
        assert r.json() == {"message": "text_split_method:cut9 is not supported"}
        r = post({**GOOD, "batch_size": "many"})
        assert r.status_code == 422
        r = post(GOOD)
        assert r.status_code == 400
        assert r.json()["message"] == "tts failed"


def test_cosyvoice_contract_errors():
    with serve(cosyvoice_server.make_app(Faults())) as srv:
        r = httpx.post(
            srv.url + "/inference_zero_shot",
            data={"tts_text": "Hi."},
            files={"prompt_wav": ("p", b"RIFF", "application/octet-stream")},
            timeout=10,
        )
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["detail"]] == [["body", "prompt_text"]]
        r = httpx.post(srv.url + "/inference_sft", data={"tts_text": "Hi.", "spk_id": "nobody"}, timeout=10)
        assert r.status_code == 500


def test_openai_speech_contract_errors():
    with serve(openai_speech_server.make_app(Faults())) as srv:
        post = lambda body: httpx.post(srv.url + "/v1/audio/speech", json=body, timeout=10)  # noqa: E731
        assert post({"voice": "af_heart"}).status_code == 422
        assert post({"input": "Hi.", "speed": 5}).status_code == 422
        assert post({"input": "Hi.", "response_format": "ogg"}).status_code == 422
        r = post({"input": "Hi.", "model": "tts-9"})
        assert (r.status_code, r.json()["detail"]["message"]) == (400, "Unsupported model: tts-9")
