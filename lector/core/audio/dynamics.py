"""Per-block dynamics of mastering: static gain, look-ahead limiter, soft-knee compressor, gate.

Each works in place on one float32 array (a chapter block) in fixed-size chunks; the decisions
(gain, ceiling, threshold, floor) come from :mod:`.master`, which looks at the whole chapter.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.ndimage as nd

from .io import Audio
from .measure import db

BLOCK = 1 << 20
LIMIT_BLOCK = 1 << 16
LOOKAHEAD_MS = 5.0
COMP_RATIO = 3.0  # fallback compressor: 3:1 above the threshold, 6 dB soft knee,
COMP_KNEE_DB = 6.0  # threshold = median level of the voiced 10 ms frames
COMP_FRAME_MS = 10.0


def compress(
    x: Audio,
    sample_rate: int,
    *,
    ratio: float = COMP_RATIO,
    knee_db: float = COMP_KNEE_DB,
    threshold_dbfs: float | None = None,
) -> float:
    """Soft-knee downward compressor in place on 10 ms frame RMS; returns the largest reduction (dB).

    Threshold: ``threshold_dbfs`` or the median level of the voiced frames (within 40 dB of the
    loudest). The frame gains take the minimum over ±2 frames (a 20 ms look-ahead, so the gain is
    down before a loud syllable starts), are smoothed over 9 frames and interpolated per sample."""
    frame = max(1, round(COMP_FRAME_MS * sample_rate / 1000))
    levels = frame_levels(x, sample_rate)
    n = levels.size
    if threshold_dbfs is None:
        threshold_dbfs = voiced_median(levels)
    over = levels - threshold_dbfs
    slope = 1.0 / ratio - 1.0
    gr = np.where(
        over >= knee_db / 2,
        slope * over,
        np.where(over > -knee_db / 2, slope * (over + knee_db / 2) ** 2 / (2 * knee_db), 0.0),
    )
    gr = nd.uniform_filter1d(nd.minimum_filter1d(gr, 5, mode="nearest"), 9, mode="nearest")
    gains = (10 ** (gr / 20)).astype(np.float32)
    centres = np.arange(n) * frame + frame / 2
    span = frame * 4096
    for a in range(0, x.size, span):
        idx = np.arange(a, min(x.size, a + span))
        x[a : a + span] *= np.interp(idx, centres, gains).astype(np.float32)
    return float(-gr.min()) if gr.size else 0.0


def frame_levels(x: Audio, sample_rate: int) -> npt.NDArray[np.float64]:
    """Level (dBFS) of each 10 ms frame of ``x`` (the last one zero-padded)."""
    frame = max(1, round(COMP_FRAME_MS * sample_rate / 1000))
    n = -(-x.size // frame)
    levels = np.empty(n, dtype=np.float64)
    for f0 in range(0, n, 4096):
        seg = x[f0 * frame : min(x.size, (f0 + 4096) * frame)].astype(np.float64)
        pad = np.zeros(-(-seg.size // frame) * frame)
        pad[: seg.size] = seg
        sq = pad.reshape(-1, frame)
        levels[f0 : f0 + sq.shape[0]] = 10 * np.log10(np.maximum((sq * sq).mean(axis=1), 1e-12))
    return levels


def voiced_median(levels: npt.NDArray[np.float64]) -> float:
    """The compressor's threshold: median level of the frames within 40 dB of the loudest."""
    return float(np.median(levels[levels > levels.max() - 40.0]))


def apply_gain(x: Audio, gain_db: float) -> None:
    """Multiply ``x`` in place by ``gain_db``, block by block."""
    factor = np.float32(10 ** (gain_db / 20))
    for a in range(0, x.size, BLOCK):
        x[a : a + BLOCK] *= factor


def limit(x: Audio, sample_rate: int, ceiling_dbfs: float, lookahead_ms: float = LOOKAHEAD_MS) -> float:
    """Look-ahead brick-wall limiter in place; returns the largest gain reduction in dB.

    Works in 64k-sample blocks with 2 look-ahead windows (+1 sample) of *original* context on
    both sides, so the result equals a whole-file pass; blocks without overs are skipped.
    """
    c = np.float32(10 ** (ceiling_dbfs / 20))
    w = max(1, round(lookahead_ms * sample_rate / 1000))
    ctx = 2 * w + 1
    prev = np.zeros(0, dtype=np.float32)  # original samples just left of the block
    most = 1.0
    for a in range(0, x.size, LIMIT_BLOCK):
        b = min(x.size, a + LIMIT_BLOCK)
        seg = np.concatenate([prev, x[a : b + ctx]])
        off = prev.size
        prev = x[max(a, b - ctx) : b].copy()
        if float(np.abs(seg).max()) <= c:
            continue
        g = _gain_curve(seg, c, w)[off : off + (b - a)]
        most = min(most, float(g.min()))
        x[a:b] *= g
        np.clip(x[a:b], -c, c, out=x[a:b])
    return -db(most)


def _gain_curve(seg: Audio, c: np.float32, w: int) -> Audio:
    mag = np.abs(seg)
    g = np.minimum(np.float32(1.0), c / np.maximum(mag, np.float32(1e-12)))
    g = nd.minimum_filter1d(g, 2 * w + 1, mode="nearest")
    smooth: Audio = nd.uniform_filter1d(g, 2 * w + 1, mode="nearest")
    return smooth


def gate_room_tone(x: Audio, sample_rate: int, floor_dbfs: float, target_dbfs: float) -> None:
    """Downward expander: 10 ms frames quieter than floor + 6 dB are pulled down to ``target``."""
    frame = max(1, round(0.01 * sample_rate))
    threshold = 10 ** ((floor_dbfs + 6.0) / 20)
    cut = np.float32(10 ** (min(0.0, target_dbfs - floor_dbfs) / 20))
    span = frame * 4096
    for a in range(0, x.size, span):
        seg = x[a : a + span]
        n = seg.size // frame
        if n == 0:
            continue
        sq = seg[: n * frame].astype(np.float64).reshape(n, frame)
        quiet = np.sqrt((sq * sq).mean(axis=1)) < threshold
        gains = np.where(
            nd.minimum_filter1d(quiet.astype(np.int8), 5, mode="nearest") > 0, cut, np.float32(1.0)
        ).astype(np.float32)
        centres = np.arange(n) * frame + frame / 2
        seg *= np.interp(np.arange(seg.size), centres, gains).astype(np.float32)
