"""Speaker embeddings (resemblyzer's d-vector encoder) for voice consistency QC and
reference-clip validation.

``speaker_embedding`` returns an L2-normalised float32 vector of 256 values; two
takes of the same voice score a ``cosine`` around 0.9, other voices well below
(see ``lector/core/qc/voice.py`` for the calibrated threshold). The encoder runs in
numpy (:mod:`.encoder_np`), loaded lazily once per process; its weights ship inside the
``resemblyzer`` wheel and are converted once, in a child process, so this process never
imports torch or librosa. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..errors import AudioError
from .encoder_np import NumpyEncoder, cached_weights

ENCODER_RATE = 16000  # resemblyzer works on 16 kHz audio
NORM_TARGET_DBFS = -30.0  # resemblyzer's own volume normalisation target (increase only)
MIN_SAMPLES = ENCODER_RATE // 10  # shorter than 100 ms cannot be embedded

_lock = threading.Lock()


def _get_encoder() -> NumpyEncoder:
    with _lock:  # threads asking at once still load the encoder once
        return _load_encoder()


@functools.cache
def _load_encoder() -> NumpyEncoder:
    return NumpyEncoder(cached_weights())


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
    x = _prepare(audio, sample_rate)
    encoder = _get_encoder()
    with _lock:  # the BLAS thread limit is process-wide; one embedding at a time
        emb = encoder.embed_utterance(x)
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
