"""Render cache: key identity, local store layout, atomic writes, corrupt entries as misses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lector.core.cache import BytesStore, LocalStore, Store, project_store, render_key, try_read
from lector.core.engines.base import Capabilities, SynthRequest
from lector.core.errors import CacheError
from lector.core.model import Prosody, Span, Token

CAPS = Capabilities(
    engine_id="eng",
    version="1",
    languages=("zh",),
    sample_rate=24000,
    max_chars=100,
    emotions=("neutral", "sad"),
    emotion_method="none",
    accepts_phonemes=True,
    seedable=True,
    batchable=True,
)
SPAN = Span(
    text="银行。",
    spoken="银行。",
    lang="zh",
    tokens=(Token("银", "yin2"), Token("行", "hang2"), Token("。", "")),
)
REQ = SynthRequest(
    sentence_id="abc123",
    spans=(SPAN,),
    voice="v1",
    emotion="neutral",
    emotion_degree=1.0,
    seed=7,
    prosody=Prosody(),
    speed=1.0,
    pitch=1.0,
)


def _variants() -> list[tuple[str, SynthRequest, Capabilities, dict]]:
    tok = SPAN.tokens
    return [
        ("engine", REQ, replace(CAPS, engine_id="other"), {}),
        ("version", REQ, replace(CAPS, version="2"), {}),
        ("voice", replace(REQ, voice="v2"), CAPS, {}),
        ("spoken", replace(REQ, spans=(replace(SPAN, spoken="银行!"),)), CAPS, {}),
        ("lang", replace(REQ, spans=(replace(SPAN, lang="en"),)), CAPS, {}),
        (
            "pron",
            replace(REQ, spans=(replace(SPAN, tokens=(tok[0], Token("行", "xing2"), tok[2])),)),
            CAPS,
            {},
        ),
        ("emotion", replace(REQ, emotion="sad"), CAPS, {}),
        ("degree", replace(REQ, emotion_degree=0.5), CAPS, {}),
        ("seed", replace(REQ, seed=8), CAPS, {}),
        ("rate", replace(REQ, prosody=Prosody(rate=1.1)), CAPS, {}),
        ("prosody-pitch", replace(REQ, prosody=Prosody(pitch=0.9)), CAPS, {}),
        ("volume", replace(REQ, prosody=Prosody(volume_db=-3.0)), CAPS, {}),
        ("speed", replace(REQ, speed=1.2), CAPS, {}),
        ("pitch", replace(REQ, pitch=0.8), CAPS, {}),
        ("params", REQ, CAPS, {"model_path": "/m/voice.onnx"}),
    ]


def test_key_is_sha256_hex_and_stable():
    key = render_key(REQ, CAPS)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert render_key(REQ, CAPS) == key
    assert render_key(REQ, CAPS, {}) == key
    # golden value: changing it invalidates every cache; bump KEY_SCHEMA deliberately if needed
    assert key == "96b3b30ed944b57f6e9ca7e58e0c06be03b1f6d41445cc023a44459a527746ff"


def test_key_changes_with_each_identity_field():
    base = render_key(REQ, CAPS)
    keys = {name: render_key(req, caps, params) for name, req, caps, params in _variants()}
    assert all(k != base for k in keys.values()), [n for n, k in keys.items() if k == base]
    assert len(set(keys.values())) == len(keys)


def test_key_ignores_non_audio_fields():
    base = render_key(REQ, CAPS)
    assert render_key(replace(REQ, sentence_id="zzz999"), CAPS) == base
    assert render_key(replace(REQ, spans=(replace(SPAN, text="銀行。"),)), CAPS) == base
    origin = tuple(replace(t, origin="lexicon:lexicon.tsv") for t in SPAN.tokens)
    assert render_key(replace(REQ, spans=(replace(SPAN, tokens=origin),)), CAPS) == base
    assert render_key(REQ, replace(CAPS, sample_rate=22050, max_chars=5, concurrency=4)) == base
    assert render_key(REQ, CAPS, {"model_path": None}) == base


def test_pronunciation_ignored_by_engines_without_phonemes():
    caps = replace(CAPS, accepts_phonemes=False)
    other = replace(REQ, spans=(replace(SPAN, tokens=(Token("银", "yin2"), Token("行", "xing2"))),))
    assert render_key(other, caps) == render_key(REQ, caps)
    assert render_key(REQ, caps) != render_key(REQ, CAPS)


def _tone(n: int = 2400) -> np.ndarray:
    return (0.5 * np.sin(np.arange(n) * 0.05)).astype(np.float32)


def test_local_store_layout_and_roundtrip(tmp_path):
    store = project_store(tmp_path / "build")
    assert isinstance(store, Store)
    key = render_key(REQ, CAPS)
    assert store.exists(key) is False
    assert try_read(store, key) is None
    store.write(key, _tone(), 24000)
    assert store.path_for(key) == tmp_path / "build" / "cache" / key[:2] / f"{key}.flac"
    assert store.exists(key) is True
    audio, sr = store.read(key)
    assert sr == 24000
    assert audio.dtype == np.float32
    assert audio.shape == (2400,)
    assert float(np.abs(audio - _tone()).max()) <= 2.0**-23
    assert store.get_bytes(key)[:4] == b"fLaC"
    assert sorted(p.name for p in store.path_for(key).parent.iterdir()) == [f"{key}.flac"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_or_partial_entry_is_a_miss(tmp_path, damage):
    store = LocalStore(tmp_path)
    key = render_key(REQ, CAPS)
    store.write(key, _tone(24000), 24000)
    path = store.path_for(key)
    data = path.read_bytes()
    path.write_bytes({"truncate": data[:60], "garbage": b"\x00junk" * 100, "empty": b""}[damage])
    assert store.exists(key) is True
    with pytest.raises(CacheError):
        store.read(key)
    assert try_read(store, key) is None
    store.write(key, _tone(), 24000)
    assert try_read(store, key)[0].shape == (2400,)


def test_invalid_key_rejected(tmp_path):
    with pytest.raises(CacheError):
        LocalStore(tmp_path).path_for("../../etc/passwd")


class DictStore(BytesStore):
    """A bytes-only store like the flows' S3 store: only exists/get_bytes/put_bytes are written."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def exists(self, key: str) -> bool:
        return key in self.blobs

    def get_bytes(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.blobs[key] = data


def test_bytes_only_store_serves_render_and_stitch():
    from lector.core.audio.stitch import stitch_chapter
    from lector.core.casting import ResolvedVoice, VoiceResolver
    from lector.core.engines.fake import FakeEngine
    from lector.core.model import Chapter, Sentence
    from lector.core.project import PauseSettings
    from lector.core.render import render_sentences

    store = DictStore()
    assert isinstance(store, Store)
    assert store.path_for(render_key(REQ, CAPS)) is None
    resolver = VoiceResolver(
        {"narrator": ResolvedVoice("narrator", "fake", "tone-zh", "zh")}, lambda _: FakeEngine()
    )
    sentences = tuple(
        Sentence(id=f"s{i}", text="银行。", spans=(SPAN,), lang="zh", voice="narrator", seed=i)
        for i in range(3)
    )
    report = render_sentences(sentences, resolver, store)
    assert (report.synthesized, report.cached, len(store.blobs)) == (3, 0, 3)
    assert render_sentences(sentences, resolver, store).cached == 3
    stitched = stitch_chapter(Chapter(1, "One", sentences), report.results, store, pauses=PauseSettings())
    assert len(stitched.timeline) == 3
    assert stitched.missing == ()


def test_take_info_trusts_a_verified_local_entry_until_the_file_changes(tmp_path, monkeypatch):
    import lector.core.cache as cache_mod

    store = LocalStore(tmp_path / "cache")
    key = "ab" * 32
    store.write(key, np.full(2400, 0.25, np.float32), 24000)
    monkeypatch.setattr(
        cache_mod, "decode_audio", lambda data: (_ for _ in ()).throw(AssertionError("decoded"))
    )
    assert cache_mod.take_info(store, key) == (2400, 24000)  # remembered at write: no decode
    path = store.path_for(key)
    path.write_bytes(path.read_bytes()[:50])  # damaged on disk: size changes
    monkeypatch.undo()
    assert cache_mod.take_info(store, key) is None
    assert cache_mod.take_info(store, "cd" * 32) is None
