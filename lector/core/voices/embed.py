"""Speaker embeddings (resemblyzer's d-vector encoder) for voice consistency QC and
reference-clip validation.

``speaker_embedding`` returns an L2-normalised float32 vector of 256 values; two
takes of the same voice score a ``cosine`` around 0.9, other voices well below
(see ``lector/core/qc/voice.py`` for the calibrated threshold). The encoder is
loaded lazily, once per process, on CPU; the weights ship inside the
``resemblyzer`` wheel, nothing is downloaded.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import AudioError, EngineUnavailable

if TYPE_CHECKING:
    from resemblyzer import VoiceEncoder

ENCODER_RATE = 16000  # resemblyzer works on 16 kHz audio
NORM_TARGET_DBFS = -30.0  # resemblyzer's own volume normalisation target (increase only)
MIN_SAMPLES = ENCODER_RATE // 10  # shorter than 100 ms cannot be embedded

_lock = threading.Lock()


def _import_webrtcvad() -> None:
    """webrtcvad 2.0.10 (a resemblyzer dependency) imports ``pkg_resources`` only to read
    its own version string, and setuptools >= 81 no longer ships it. Provide a stand-in for
    the duration of that one import; nothing else sees it."""
    try:
        import webrtcvad

        return
    except ModuleNotFoundError as exc:
        if exc.name != "pkg_resources":
            raise
    shim = types.ModuleType("pkg_resources")
    shim.__dict__["get_distribution"] = lambda name: types.SimpleNamespace(version="unknown")
    sys.modules["pkg_resources"] = shim
    try:
        import webrtcvad  # noqa: F401
    finally:
        if sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]


def _get_encoder() -> VoiceEncoder:
    with _lock:  # threads asking at once still load the encoder once
        return _load_encoder()


@functools.cache
def _load_encoder() -> VoiceEncoder:
    try:
        _import_webrtcvad()
        with warnings.catch_warnings():  # scipy.ndimage.morphology deprecation inside resemblyzer
            warnings.simplefilter("ignore", DeprecationWarning)
            from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise EngineUnavailable(
            f"speaker encoder unavailable: {exc}",
            field="resemblyzer",
            fix="pip install 'lector[qc]' (resemblyzer)",
        ) from None
    return VoiceEncoder("cpu", verbose=False)


def encoder_loaded() -> bool:
    return _load_encoder.cache_info().currsize > 0


def release_encoder() -> bool:
    """Forget the loaded encoder (QC releases its models between passes); True when one was loaded."""
    with _lock:
        loaded = encoder_loaded()
        _load_encoder.cache_clear()
    return loaded


def _prepare(audio: npt.ArrayLike, sample_rate: int) -> npt.NDArray[np.float32]:
    import soxr

    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sample_rate <= 0:
        raise AudioError(
            f"sample_rate {sample_rate} is not positive",
            field="sample_rate",
            fix="pass the audio's rate in Hz",
        )
    if sample_rate != ENCODER_RATE:
        x = soxr.resample(x, sample_rate, ENCODER_RATE).astype(np.float32)
    if x.size < MIN_SAMPLES:
        raise AudioError(
            f"audio of {x.size / ENCODER_RATE:.3f} s is too short for a speaker embedding",
            fix="embed at least 0.1 s (1 s or more for a reliable score)",
        )
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if rms <= 1e-6:
        raise AudioError("audio is silent; no speaker embedding", fix="check the render")
    gain_db = NORM_TARGET_DBFS - 20.0 * np.log10(rms)
    if gain_db > 0:
        x = np.clip(x * np.float32(10 ** (gain_db / 20)), -1.0, 1.0)
    return x


def speaker_embedding(audio: npt.ArrayLike, sample_rate: int) -> npt.NDArray[np.float32]:
    """L2-normalised float32 (256,) speaker embedding of mono ``audio`` at ``sample_rate``."""
    import torch

    x = _prepare(audio, sample_rate)
    encoder = _get_encoder()
    threads = torch.get_num_threads()
    # one thread: the small LSTM is 10-50x faster than with contended intra-op threads
    torch.set_num_threads(1)
    try:
        with _lock:
            emb = encoder.embed_utterance(x)
    finally:
        torch.set_num_threads(threads)
    emb = np.asarray(emb, dtype=np.float32)
    return (emb / max(float(np.linalg.norm(emb)), 1e-12)).astype(np.float32)


def cosine(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cosine similarity of two embeddings (1.0 = same direction)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise AudioError(
            f"embedding shapes differ: {a.shape} vs {b.shape}", fix="compare embeddings from the same encoder"
        )
    den = float(np.linalg.norm(a) * np.linalg.norm(b))
    return 0.0 if den == 0.0 else float(np.dot(a, b) / den)


def centroid(embeddings: Sequence[npt.ArrayLike]) -> npt.NDArray[np.float32]:
    """L2-normalised mean of embeddings (a voice's centroid)."""
    if not embeddings:
        raise AudioError("no embeddings to average", fix="embed at least one clip")
    mean: npt.NDArray[np.float32] = np.mean(
        np.stack([np.asarray(e, dtype=np.float32) for e in embeddings]), axis=0
    )
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
