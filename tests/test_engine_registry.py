"""Registry: ids, entry points, caching, errors; shared engine helpers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from lector.core import fsutil
from lector.core.engines.base import Capabilities, SynthRequest
from lector.core.engines.registry import (
    BUILTIN,
    check_request,
    engine_class,
    get_engine,
    list_engines,
)
from lector.core.errors import EngineError
from lector.core.model import Span
from lector.core.modelcache import cached_model
from lector.core.project import EngineOptions

ROOT = Path(__file__).resolve().parents[1]


def test_list_engines_has_embedded_engines():
    ids = list_engines()
    assert {"fastspeech2-zh", "piper-en", "espeak-draft", "fake"} <= set(ids)
    assert list(ids) == sorted(ids)


def test_pyproject_entry_points_match_builtin_table():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    eps = data["project"]["entry-points"]["lector.engines"]
    for engine_id in ("fastspeech2-zh", "piper-en", "espeak-draft", "fake"):
        assert eps[engine_id] == BUILTIN[engine_id]
    assert BUILTIN["gpt-sovits"] == "lector.core.engines.gpt_sovits:GptSovitsEngine"
    assert BUILTIN["cosyvoice"] == "lector.core.engines.cosyvoice:CosyVoiceEngine"
    assert BUILTIN["openai-speech"] == "lector.core.engines.openai_speech:OpenAISpeechEngine"


def test_engine_class_names():
    assert engine_class("fastspeech2-zh").__name__ == "FastSpeech2Zh"
    assert engine_class("piper-en").__name__ == "PiperEngine"
    assert engine_class("espeak-draft").__name__ == "EspeakDraft"
    assert engine_class("fake").__name__ == "FakeEngine"


def test_unknown_engine_lists_known_ids():
    with pytest.raises(EngineError) as exc:
        get_engine("no-such-engine")
    assert "no-such-engine" in str(exc.value)
    assert "piper-en" in str(exc.value) and "fastspeech2-zh" in str(exc.value)


def test_missing_module_is_skipped_in_listing(monkeypatch):
    monkeypatch.setitem(BUILTIN, "ghost", "lector.core.engines.ghost_engine:Ghost")
    assert "ghost" not in list_engines()
    with pytest.raises(EngineError, match="cannot be imported"):
        get_engine("ghost")


def test_get_engine_caches_per_options():
    a = get_engine("fake")
    assert get_engine("fake") is a
    assert get_engine("fake", EngineOptions()) is a
    b = get_engine("fake", EngineOptions(threads=1))
    assert b is not a
    assert get_engine("fake", threads=1) is b


def test_cached_model_rebuilds_on_source_change_and_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "model.bin"
    src.write_bytes(b"v1")
    calls = []

    def build(source: Path) -> bytes:
        data = source.read_bytes()
        calls.append(data)
        return data + b"-patched"

    out = cached_model(src, "t", ".bin", build)
    assert out.parent == tmp_path / "cache" / "models"
    assert out.read_bytes() == b"v1-patched"
    assert cached_model(src, "t", ".bin", build) == out and len(calls) == 1
    out.write_bytes(b"corrupt")  # wrong hash -> rebuilt
    assert cached_model(src, "t", ".bin", build).read_bytes() == b"v1-patched" and len(calls) == 2
    src.write_bytes(b"v2")  # new source -> new file
    out2 = cached_model(src, "t", ".bin", build)
    assert out2 != out and out2.read_bytes() == b"v2-patched" and len(calls) == 3


def test_default_cache_dir(monkeypatch):
    monkeypatch.delenv("LECTOR_CACHE_DIR", raising=False)
    assert fsutil.model_cache_dir() == Path.home() / ".cache" / "lector" / "models"


def test_check_request_rejects_long_text_and_unknown_emotion():
    caps = Capabilities(
        engine_id="x",
        version="1",
        languages=("zh",),
        sample_rate=16000,
        max_chars=5,
        emotions=("neutral",),
        emotion_method="none",
        accepts_phonemes=False,
        seedable=False,
        batchable=False,
    )
    ok = SynthRequest("s", (Span("一二三四五", "一二三四五", "zh"),))
    check_request(caps, ok)
    with pytest.raises(EngineError, match="6 characters, more than x's max_chars=5"):
        check_request(caps, SynthRequest("s", (Span("一二三四五六", "一二三四五六", "zh"),)))
    with pytest.raises(EngineError, match="use one of: neutral"):
        check_request(caps, SynthRequest("s", ok.spans, emotion="sulky"))
