"""Level measurements for mastering and QC, in one memory-frugal pass.

All figures are computed block-wise (3.2 s of audio read at a time, from an array or from
:class:`~.samples.Samples` on disk), so a chapter of any length costs a few MB beyond its audio.

Methods (documented because profiles are judged by them):

- ``rms_dbfs``: RMS of the whole file, 20*log10(rms); a sine of amplitude 1 reads
  -3.01 dBFS (the ACX / Audacity convention).
- ``peak_dbfs``: highest absolute sample value.
- ``true_peak_dbfs``: ITU-R BS.1770-4 Annex 2 style 4x oversampled peak (49-tap
  polyphase low-pass, 4 x 12 taps + 1). Only 1024-sample blocks whose neighbourhood could beat
  the current estimate are oversampled: a block's interpolated peak is bounded
  by its neighbourhood sample peak times the filter's largest phase L1 norm, so
  skipping the others is exact, not an approximation.
- ``lufs_integrated``: BS.1770-4 K-weighting (two biquads, coefficients derived
  for any rate as in libebur128), 400 ms blocks with 75 % overlap, absolute gate
  -70 LUFS and relative gate -10 LU.
- ``noise_floor_dbfs``: RMS of the quietest 500 ms window (5 consecutive 100 ms
  frames, hop 100 ms) — what ACX measures on the room tone. Files shorter than
  500 ms use their overall RMS.
- ``head_s`` / ``tail_s``: leading / trailing time before the first / after the
  last 10 ms frame louder than min(max(noise floor + 20 dB, -60 dBFS), RMS - 10 dB).

Values below -120 dB (digital silence) are reported as -120.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import scipy.signal as ss

from ..errors import AudioError
from .io import Audio
from .samples import ArraySamples, Samples

F64 = npt.NDArray[np.float64]
Floats = npt.NDArray[np.floating[Any]]

FLOOR_DB = -120.0
TP_BLOCK = 512  # samples per true-peak candidate block
TP_UP = 4  # oversampling factor


@dataclass(frozen=True)
class Measurements:
    rms_dbfs: float
    peak_dbfs: float
    true_peak_dbfs: float
    noise_floor_dbfs: float
    lufs_integrated: float
    duration_s: float
    head_s: float = 0.0
    tail_s: float = 0.0


def db(value: float) -> float:
    """20*log10 of an amplitude, floored at -120 dB."""
    return FLOOR_DB if value <= 10 ** (FLOOR_DB / 20) else max(FLOOR_DB, 20.0 * math.log10(value))


def power_db(mean_square: float) -> float:
    """10*log10 of a mean square, floored at -120 dB."""
    return FLOOR_DB if mean_square <= 10 ** (FLOOR_DB / 10) else max(FLOOR_DB, 10.0 * math.log10(mean_square))


@lru_cache(maxsize=16)
def k_weighting_sos(sample_rate: int) -> F64:
    """BS.1770 K-weighting (pre-filter shelf + RLB high-pass) as second-order sections."""
    fs = float(sample_rate)
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / fs)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / fs)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


@lru_cache(maxsize=1)
def true_peak_filter() -> tuple[F64, float]:
    """49-tap 4x interpolation filter (odd length: integer delay, so one phase lands on the
    original samples) and the largest per-phase L1 norm (the overshoot bound)."""
    taps: F64 = ss.firwin(12 * TP_UP + 1, 0.9 / TP_UP, window=("kaiser", 8.0)) * TP_UP
    assert (taps.size - 1) // 2 % TP_UP == 0
    bound = max(float(np.abs(taps[p::TP_UP]).sum()) for p in range(TP_UP))
    return taps, bound


@dataclass
class _Acc:
    sum_sq: float = 0.0
    peak: float = 0.0
    frames_ms: list[F64] = field(default_factory=list)  # unweighted 100 ms mean squares
    kframes_ms: list[F64] = field(default_factory=list)  # K-weighted 100 ms mean squares
    block_peaks: list[Floats] = field(default_factory=list)  # per TP_BLOCK sample peaks


def measure(audio: Audio | Samples, sample_rate: int) -> Measurements:
    """Measure ``audio`` (float32 mono, or a :class:`Samples` read chunk by chunk: the same
    figures). See the module docstring for the methods."""
    x = _source(audio, sample_rate)
    step = max(1, round(0.1 * sample_rate))
    acc = _scan(x, sample_rate, step)
    frames = np.concatenate(acc.frames_ms) if acc.frames_ms else np.zeros(0)
    kframes = np.concatenate(acc.kframes_ms) if acc.kframes_ms else np.zeros(0)
    rms = math.sqrt(acc.sum_sq / x.size)
    floor = _noise_floor(frames, rms)
    head_s, tail_s = _head_tail(x, sample_rate, min(max(floor + 20.0, -60.0), db(rms) - 10.0))
    return Measurements(
        rms_dbfs=db(rms),
        peak_dbfs=db(acc.peak),
        true_peak_dbfs=db(_true_peak(x, np.concatenate(acc.block_peaks), acc.peak)),
        noise_floor_dbfs=floor,
        lufs_integrated=_gated_loudness(kframes),
        duration_s=x.size / sample_rate,
        head_s=head_s,
        tail_s=tail_s,
    )


def _source(audio: Audio | Samples, sample_rate: int) -> Samples:
    if isinstance(audio, Samples):
        if audio.size == 0:
            raise AudioError("cannot measure an empty chapter", fix="pass non-empty float32 mono audio")
        return audio
    return ArraySamples(cast(Audio, _check(audio, sample_rate)))


def _check(audio: Audio, sample_rate: int) -> Floats:
    x = np.asarray(audio)
    if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.floating):
        raise AudioError(
            f"cannot measure audio of shape {x.shape} and dtype {x.dtype}",
            fix="pass non-empty float32 mono audio",
        )
    if sample_rate <= 0:
        raise AudioError(f"sample rate must be positive, got {sample_rate}", field="sample_rate")
    return x


def _scan(x: Samples, sample_rate: int, step: int) -> _Acc:
    """Sums are taken per ``step * TP_BLOCK`` chunk; the samples are read in pieces of whole frames
    (K-weighting state carried, TP_BLOCK peaks carried across pieces): the same bits in 2 MB."""
    acc = _Acc()
    sos = k_weighting_sos(sample_rate)
    zi = np.zeros((sos.shape[0], 2))
    block, piece = step * TP_BLOCK, step * 32
    pending = np.zeros(0, dtype=np.float32)  # |samples| of a TP_BLOCK not yet complete
    for start in range(0, x.size, block):
        frames: list[F64] = []
        rest = 0.0  # the samples after the last whole frame (last chunk only)
        for a in range(start, min(x.size, start + block), piece):
            seg = x.read(a, min(a + piece, start + block))
            seg64 = seg.astype(np.float64)
            whole = (seg.size // step) * step
            frames.append(_frame_power(seg64[:whole], step))
            rest += float(np.dot(seg64[whole:], seg64[whole:]))
            peaks = np.concatenate((pending, np.abs(seg)))
            acc.peak = max(acc.peak, float(peaks.max()))
            done = (peaks.size // TP_BLOCK) * TP_BLOCK
            acc.block_peaks.append(peaks[:done].reshape(-1, TP_BLOCK).max(axis=1))
            pending = peaks[done:]
            kw, zi = ss.sosfilt(sos, seg64, zi=zi)
            acc.kframes_ms.append(_frame_power(kw[:whole], step))
        acc.frames_ms.append(np.concatenate(frames))
        acc.sum_sq += float(acc.frames_ms[-1].sum()) * step + rest
    if pending.size:
        acc.block_peaks.append(pending.max(keepdims=True))
    return acc


def _frame_power(x: F64, step: int) -> F64:
    """Mean square of consecutive ``step``-sample frames (x.size must be a multiple of step)."""
    r = x.reshape(-1, step)
    power: F64 = np.einsum("ij,ij->i", r, r) / step
    return power


def integrated_loudness(audio: Audio | Samples, sample_rate: int) -> float:
    """BS.1770 integrated loudness (LUFS) alone, block-wise (cheaper than :func:`measure`)."""
    x = _source(audio, sample_rate)
    step = max(1, round(0.1 * sample_rate))
    sos = k_weighting_sos(sample_rate)
    zi = np.zeros((sos.shape[0], 2))
    frames: list[F64] = []
    for start in range(0, x.size, step * 64):
        kw, zi = ss.sosfilt(sos, x.read(start, start + step * 64).astype(np.float64), zi=zi)
        frames.append(_frame_power(kw[: (kw.size // step) * step], step))
    return _gated_loudness(np.concatenate(frames))


def _gated_loudness(kframes: F64) -> float:
    """BS.1770 integrated loudness from 100 ms K-weighted mean squares."""
    if kframes.size < 4:
        return FLOOR_DB
    csum = np.concatenate(([0.0], np.cumsum(kframes)))
    blocks = (csum[4:] - csum[:-4]) / 4.0  # 400 ms blocks, hop 100 ms
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(blocks)
    gated = blocks[loud > -70.0]
    if gated.size == 0:
        return FLOOR_DB
    rel = -0.691 + 10 * math.log10(gated.mean()) - 10.0
    final = blocks[(loud > -70.0) & (loud > rel)]
    return max(FLOOR_DB, -0.691 + 10 * math.log10(final.mean()))


def _noise_floor(frames: F64, rms: float) -> float:
    if frames.size < 5:
        return db(rms)
    csum = np.concatenate(([0.0], np.cumsum(frames)))
    windows = (csum[5:] - csum[:-5]) / 5.0
    return power_db(float(max(windows.min(), 0.0)))


def _true_peak(x: Samples, block_peaks: Floats, sample_peak: float) -> float:
    """Exact 4x peak: oversample only blocks whose bound (neighbourhood peak x filter L1) beats the best."""
    taps, bound = true_peak_filter()
    hood = block_peaks.copy()
    hood[1:] = np.maximum(hood[1:], block_peaks[:-1])
    hood[:-1] = np.maximum(hood[:-1], block_peaks[1:])
    order = np.argsort(-hood, kind="stable")
    best = max(sample_peak, _oversampled_peaks(x, order[:16], taps))
    rest = order[16:]
    rest = rest[hood[rest] * bound > best]
    for i in range(0, rest.size, 128):
        best = max(best, _oversampled_peaks(x, rest[i : i + 128], taps))
    return best


def _oversampled_peaks(x: Samples, blocks: npt.NDArray[np.intp], taps: F64) -> float:
    """Largest 4x-interpolated magnitude inside the given TP_BLOCK blocks (context on both sides).

    Polyphase form: output phase p is x convolved with taps[p::4] (13 shifted multiply-adds in
    float32). The blocks are laid side by side with ``ctx`` samples of context each; outputs that
    mix two rows only land in a row's context, never in its block.
    """
    if blocks.size == 0:
        return 0.0
    ctx = taps.size // TP_UP + 1
    width = TP_BLOCK + 2 * ctx
    rows = np.zeros((blocks.size, width), dtype=np.float32)
    for r, b in enumerate(blocks):
        a = int(b) * TP_BLOCK
        lo, hi = max(0, a - ctx), min(x.size, a + TP_BLOCK + ctx)
        rows[r, lo - (a - ctx) : hi - (a - ctx)] = x.read(lo, hi)
    flat = rows.ravel()
    phases = _phase_matrix(taps)  # (k, phase): taps[phase + 4k], reversed in k
    k = phases.shape[0]
    m = flat.size - k + 1  # output i belongs to input sample i + k - 1
    first = ctx + (taps.size - 1) // 2 // TP_UP  # the filter delay is a whole number of input samples
    best = 0.0
    acc = np.empty(flat.size, dtype=np.float32)
    for p in range(TP_UP):
        acc[: k - 1] = 0.0
        out = acc[k - 1 :]
        np.multiply(flat[:m], phases[0, p], out=out)
        for j in range(1, k):
            out += flat[j : j + m] * phases[j, p]
        best = max(best, float(np.abs(acc.reshape(blocks.size, width)[:, first : first + TP_BLOCK]).max()))
    return best


@lru_cache(maxsize=1)
def _phase_matrix_cached(n: int) -> npt.NDArray[np.float32]:
    taps, _ = true_peak_filter()
    k = -(-taps.size // TP_UP)
    padded = np.zeros(k * TP_UP)
    padded[: taps.size] = taps
    return np.ascontiguousarray(padded.reshape(k, TP_UP)[::-1]).astype(np.float32)


def _phase_matrix(taps: F64) -> npt.NDArray[np.float32]:
    return _phase_matrix_cached(taps.size)


def _head_tail(x: Samples, sample_rate: int, threshold_dbfs: float) -> tuple[float, float]:
    frame = max(1, round(0.01 * sample_rate))
    threshold = 10 ** (threshold_dbfs / 20)
    head = _first_loud(x, frame, threshold)
    tail = _first_loud(x, frame, threshold, backwards=True)
    return head * frame / sample_rate, tail * frame / sample_rate


def _first_loud(
    x: Samples, frame: int, threshold: float, chunk_frames: int = 1000, *, backwards: bool = False
) -> int:
    """Index (in frames, counted from the end when ``backwards``) of the first frame whose RMS
    exceeds ``threshold``; all frames if none."""
    n_frames = x.size // frame
    for f0 in range(0, n_frames, chunk_frames):
        f1 = min(n_frames, f0 + chunk_frames)
        if backwards:  # frames laid from the end, samples in reverse order: as x[::-1]
            raw = x.read(x.size - f1 * frame, x.size - f0 * frame)[::-1]
        else:
            raw = x.read(f0 * frame, f1 * frame)
        seg = np.asarray(raw, dtype=np.float64).reshape(-1, frame)
        loud = np.flatnonzero(np.sqrt((seg * seg).mean(axis=1)) > threshold)
        if loud.size:
            return f0 + int(loud[0])
    return n_frames


# -- per-block partial measurements (chapters assembled from blocks, see assemble.py) -------------


@dataclass(frozen=True)
class BlockStats:
    """What :func:`measure` needs from one block, so a chapter's figures combine from its blocks
    without reading their audio: exact for RMS and peaks; frame-based figures (LUFS, noise floor,
    head/tail) use frames laid from each block's start (a block's last partial frame is left out,
    and K-weighting starts from rest at each block; blocks start and end in room tone)."""

    n: int  # samples
    sum_sq: float
    peak: float
    true_peak: float
    frames: F64  # 100 ms mean squares
    kframes: F64  # K-weighted 100 ms mean squares
    rms10: npt.NDArray[np.float32]  # 10 ms frame RMS (head / tail)

    def to_npz(self) -> bytes:
        import io

        buf = io.BytesIO()
        np.savez(
            buf,
            scalars=np.array([self.n, self.sum_sq, self.peak, self.true_peak], np.float64),
            frames=self.frames,
            kframes=self.kframes,
            rms10=self.rms10,
        )
        return buf.getvalue()

    @classmethod
    def from_npz(cls, data: bytes) -> BlockStats:
        import io

        with np.load(io.BytesIO(data)) as z:
            n, sum_sq, peak, true_peak = (float(v) for v in z["scalars"])
            return cls(int(n), sum_sq, peak, true_peak, z["frames"], z["kframes"], z["rms10"])


def block_stats(audio: Audio, sample_rate: int) -> BlockStats:
    x = _check(audio, sample_rate)
    step = max(1, round(0.1 * sample_rate))
    src = ArraySamples(cast(Audio, x))
    acc = _scan(src, sample_rate, step)
    block_peaks = np.concatenate(acc.block_peaks)
    frame = max(1, round(0.01 * sample_rate))
    seg = x[: (x.size // frame) * frame].astype(np.float64).reshape(-1, frame)
    return BlockStats(
        x.size,
        acc.sum_sq,
        acc.peak,
        _true_peak(src, block_peaks, acc.peak),
        np.concatenate(acc.frames_ms),
        np.concatenate(acc.kframes_ms),
        np.sqrt((seg * seg).mean(axis=1)).astype(np.float32),
    )


def combine_stats(stats: list[BlockStats], sample_rate: int) -> Measurements:
    """A chapter's Measurements from its blocks' BlockStats, in order."""
    if not stats:
        raise AudioError("no blocks to measure", fix="assemble at least one block")
    n = sum(s.n for s in stats)
    rms = math.sqrt(sum(s.sum_sq for s in stats) / n)
    floor = _noise_floor(np.concatenate([s.frames for s in stats]), rms)
    rms10 = np.concatenate([s.rms10 for s in stats])
    threshold = 10 ** (min(max(floor + 20.0, -60.0), db(rms) - 10.0) / 20)
    loud = np.flatnonzero(rms10 > threshold)
    frame = max(1, round(0.01 * sample_rate))
    head, tail = (int(loud[0]), int(rms10.size - 1 - loud[-1])) if loud.size else (rms10.size, rms10.size)
    return Measurements(
        rms_dbfs=db(rms),
        peak_dbfs=db(max(s.peak for s in stats)),
        true_peak_dbfs=db(max(s.true_peak for s in stats)),
        noise_floor_dbfs=floor,
        lufs_integrated=_gated_loudness(np.concatenate([s.kframes for s in stats])),
        duration_s=n / sample_rate,
        head_s=head * frame / sample_rate,
        tail_s=(tail * frame + stats[-1].n % frame) / sample_rate,
    )  # + the last block's partial frame
