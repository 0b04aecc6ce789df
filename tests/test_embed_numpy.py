"""The numpy speaker encoder (lector.core.voices.encoder_np) gives resemblyzer's embeddings without
torch or librosa in the process; its converted weights are cached and reused."""

from __future__ import annotations

import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from lector.core.errors import EngineUnavailable
from lector.core.voices import embed as embed_mod
from lector.core.voices import encoder_np

REPO = Path(__file__).resolve().parents[1]


def _voice_encoder():
    """resemblyzer's torch VoiceEncoder (webrtcvad 2.0.10 imports pkg_resources, gone in setuptools 81)."""
    if "pkg_resources" not in sys.modules:
        shim = types.ModuleType("pkg_resources")
        shim.__dict__["get_distribution"] = lambda name: types.SimpleNamespace(version="unknown")
        sys.modules["pkg_resources"] = shim
        try:
            import webrtcvad  # noqa: F401
        finally:
            del sys.modules["pkg_resources"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from resemblyzer import VoiceEncoder
    return VoiceEncoder("cpu", verbose=False)


@pytest.fixture(scope="module")
def clips(piper_takes):
    """Real piper speech: a short (<1.6 s: one zero-padded partial), a normal and a long (>5 s) clip."""
    audio, rate = piper_takes
    return rate, {
        "short": audio[0][: int(1.2 * rate)],
        "normal": audio[1],
        "long": np.concatenate(audio[2:5]),
    }


def test_embedding_equals_resemblyzer(clips):
    rate, named = clips
    reference = _voice_encoder()
    assert [round(len(x) / rate, 2) for x in named.values()] == [1.2, 3.19, 9.43]
    for name, clip in named.items():
        ours = embed_mod.speaker_embedding(clip, rate)
        theirs = reference.embed_utterance(embed_mod._prepare(clip, rate))
        assert ours.dtype == np.float32 and ours.shape == (256,)
        assert float(np.max(np.abs(ours - theirs))) < 1e-4, name
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-6


def test_mel_equals_librosa(clips):
    import librosa

    rate, named = clips
    encoder = embed_mod._get_encoder()
    for clip in named.values():
        wav = embed_mod._prepare(clip, rate)
        theirs = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
        ours = encoder.mel(wav)
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6 * float(theirs.max()))


def test_partial_slices_equal_resemblyzer():
    from resemblyzer import VoiceEncoder

    for n_samples in [1600, 16000, 25599, 25600, 25601, 30000, 37000, 48000, 100001, 160000, 333333]:
        _, mel_slices = VoiceEncoder.compute_partial_slices(n_samples, rate=1.3, min_coverage=0.75)
        assert encoder_np.partial_slices(n_samples) == mel_slices, n_samples
    assert encoder_np.partial_slices(16000) == [slice(0, 160)]
    assert encoder_np.partial_slices(48000) == [slice(0, 160), slice(77, 237), slice(154, 314)]


def test_render_process_imports_neither_torch_nor_librosa():
    code = (
        "import sys, numpy as np\n"
        "from lector.core.voices.embed import speaker_embedding\n"
        "t = np.arange(32000) / 16000\n"
        "x = 0.3 * np.sin(2 * np.pi * 140 * t) * (1 + np.sin(2 * np.pi * 3 * t))\n"
        "e = speaker_embedding(x.astype(np.float32), 16000)\n"
        "print(e.shape, sorted(m for m in ('torch', 'librosa', 'resemblyzer') if m in sys.modules))\n"
    )
    embed_mod._get_encoder()  # the converted weights are in the cache before the child starts
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(256,) []"


def test_weights_converted_once_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_CACHE_DIR", str(tmp_path))
    path = encoder_np.cached_weights()  # converts in a child process
    assert path.parent == tmp_path / "models"
    assert path.name.startswith(f"resemblyzer-encoder.np-v{encoder_np.FORMAT_VERSION}.")
    with np.load(path) as npz:
        shapes = {k: npz[k].shape for k in npz.files}
    assert shapes["lstm_weight_ih_l0"] == (1024, 40) and shapes["linear_weight"] == (256, 256)
    assert shapes["mel_basis"] == (40, 201) and shapes["window"] == (400,)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".sha256"]

    def no_child(src):
        raise AssertionError("converted again")

    monkeypatch.setattr(encoder_np, "_convert_in_child", no_child)
    assert encoder_np.cached_weights() == path
    stamp = path.stat().st_mtime_ns
    assert encoder_np.NumpyEncoder(path).embed_utterance(np.zeros(1600, np.float32)).shape == (256,)
    assert path.stat().st_mtime_ns == stamp


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_CACHE_DIR", str(tmp_path))
    calls = []

    def fake_child(src):
        calls.append(src)
        return b"converted"

    monkeypatch.setattr(encoder_np, "_convert_in_child", fake_child)
    path = encoder_np.cached_weights()
    path.write_bytes(b"conv")  # a partial write
    assert encoder_np.cached_weights() == path
    assert path.read_bytes() == b"converted" and len(calls) == 2
    assert encoder_np.cached_weights() == path and len(calls) == 2


def test_missing_resemblyzer_names_the_fix(monkeypatch):
    monkeypatch.setattr(encoder_np.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EngineUnavailable) as info:
        encoder_np.weights_source()
    assert info.value.message == "speaker encoder unavailable: No module named 'resemblyzer'"
    assert info.value.fix == encoder_np.FIX


def test_failed_conversion_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_CACHE_DIR", str(tmp_path))
    bogus = tmp_path / "pretrained.pt"
    bogus.write_bytes(b"not a torch checkpoint")
    with pytest.raises(EngineUnavailable) as info:
        encoder_np.cached_weights(bogus)
    assert info.value.message.startswith(f"speaker encoder unavailable: converting {bogus} failed (exit 1): ")
    assert info.value.file == str(bogus)
    assert not (tmp_path / "models").exists()
