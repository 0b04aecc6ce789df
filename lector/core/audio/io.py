"""Audio file boundaries: FLAC/WAV encode, decode and atomic writes.

In memory audio is float32 mono in [-1, 1]. On disk the cache and masters are
FLAC 24-bit (WAV 24-bit for ``export_wav``). Every write goes to a temporary
file in the destination folder and is moved into place with ``os.replace`` so a
killed process never leaves a half-written file under the final name.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..errors import AudioError
from ..fsutil import atomic_path

__all__ = [
    "WRITE_BLOCK",
    "Audio",
    "as_mono_float32",
    "decode_audio",
    "encode_flac",
    "read_json_object",
    "write_flac",
    "write_wav",
]

WRITE_BLOCK = 1 << 18

# In-memory audio: float32 mono samples in [-1, 1].
Audio = npt.NDArray[np.float32]


def read_json_object(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``, or {} when it is missing, unreadable or not an object (for build
    files a later render makes again: stamps, timelines, master documents)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def as_mono_float32(audio: npt.ArrayLike, *, what: str = "audio") -> Audio:
    """Validate and return ``audio`` as a contiguous 1-D float32 array."""
    arr = np.asarray(audio)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise AudioError(
            f"{what} must be mono (1-D), got shape {arr.shape}", fix="mix down to one channel before writing"
        )
    if not np.issubdtype(arr.dtype, np.floating):
        raise AudioError(
            f"{what} must be float audio in [-1, 1], got dtype {arr.dtype}",
            fix="convert with audio.astype(np.float32) / 32768 for int16 PCM",
        )
    return np.ascontiguousarray(arr, dtype=np.float32)


def _check_rate(sample_rate: int) -> int:
    if int(sample_rate) <= 0:
        raise AudioError(
            f"sample rate must be positive, got {sample_rate}",
            field="sample_rate",
            fix="pass the engine's native rate, e.g. 22050",
        )
    return int(sample_rate)


def encode_flac(audio: Audio, sample_rate: int) -> bytes:
    """FLAC 24-bit bytes of mono float32 ``audio`` (clipped to [-1, 1])."""
    arr = np.clip(as_mono_float32(audio), -1.0, 1.0)
    buf = io.BytesIO()
    sf.write(buf, arr, _check_rate(sample_rate), format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def decode_audio(data: bytes) -> tuple[Audio, int]:
    """Decode FLAC/WAV bytes to (float32 mono, sample_rate). Raises AudioError if undecodable."""
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(
            f"cannot decode audio ({len(data)} bytes): {exc}",
            fix="delete the file; it is re-created on the next render",
        ) from None
    return _to_mono(audio), int(sr)


def _to_mono(audio: npt.NDArray[np.float32]) -> Audio:
    if audio.shape[1] == 1:
        return np.ascontiguousarray(audio[:, 0])
    mono: Audio = audio.mean(axis=1, dtype=np.float32)
    return mono


def _write_file(path: str | Path, audio: Audio, sample_rate: int, fmt: str) -> Path:
    arr = as_mono_float32(audio)
    rate = _check_rate(sample_rate)
    final = Path(path)
    with (
        atomic_path(final) as tmp,
        sf.SoundFile(str(tmp), "w", samplerate=rate, channels=1, format=fmt, subtype="PCM_24") as fh,
    ):
        for a in range(0, arr.size, WRITE_BLOCK):  # block-wise: no full-size copy
            fh.write(np.clip(arr[a : a + WRITE_BLOCK], -1.0, 1.0))
    return final


def write_flac(path: str | Path, audio: Audio, sample_rate: int) -> Path:
    """Write FLAC 24-bit atomically; returns the path."""
    return _write_file(path, audio, sample_rate, "FLAC")


def write_wav(path: str | Path, audio: Audio, sample_rate: int) -> Path:
    """Write WAV PCM 24-bit atomically; returns the path."""
    return _write_file(path, audio, sample_rate, "WAV")
