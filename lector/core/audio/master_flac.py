"""The masters' 16-bit sample grid and their exact FLAC read/write.

Owns the one place where float32 masters meet 16-bit integers: rounding onto the grid
(:func:`quantize_master`) and writing/reading FLAC as integers rather than through libsndfile's
float scaling, so a master read back is bit-identical to the one written. Block storage
(:mod:`.block_store`), chapter splicing (:mod:`.chapter_flac`) and exports all rely on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..fsutil import atomic_path
from .flacsplice import BITS, FULL_SCALE, pcm_words
from .io import Audio


def quantize_master(x: Audio) -> Audio:
    """Round to the masters' 16-bit grid in place (what the FLAC masters hold), so a block read
    back from the store is bit-identical to the one just mastered. Plain rounding, no dither: the
    room tone under every block (ACX: -60 dB or louder) is far above the 16-bit step (-96 dB), and
    a block's samples must depend on the block alone."""
    np.multiply(x, FULL_SCALE, out=x)
    np.rint(x, out=x)
    np.clip(x, -FULL_SCALE, FULL_SCALE - 1, out=x)
    np.add(x, 0.0, out=x)  # -0.0 -> 0.0: the FLAC read-back has no negative zero
    np.multiply(x, 1.0 / FULL_SCALE, out=x)
    return x


def write_master_flac(path: str | Path, audio: Audio | Sequence[Audio], sample_rate: int) -> Path:
    """16-bit FLAC of 16-bit-grid audio (one array or blocks in order), exact: integers, not
    libsndfile's float scaling; atomic."""
    pieces = [audio] if isinstance(audio, np.ndarray) else list(audio)
    final = Path(path)
    with (
        atomic_path(final, suffix=".flac") as tmp,
        sf.SoundFile(str(tmp), "w", sample_rate, 1, f"PCM_{BITS}", format="FLAC") as fh,
    ):
        for piece in pieces:
            for a in range(0, piece.size, 1 << 20):
                fh.write(pcm_words(piece[a : a + (1 << 20)]))
    return final


def read_master_flac(path: str | Path) -> Audio:
    ints, _ = sf.read(str(path), dtype="int32", always_2d=False)
    return from_words(ints)


def from_words(ints: npt.NDArray[np.int32]) -> Audio:
    """libsndfile's int32 words (any file sample size, left-aligned) as float32 on the master's grid."""
    out: Audio = (ints >> (32 - BITS)).astype(np.float32)
    out *= np.float32(1.0 / FULL_SCALE)
    return out
