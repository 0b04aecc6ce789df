"""Mastering: gain to the profile's level, look-ahead peak limiting, room-tone gate.

Everything runs block-wise and in place on one float32 copy of the chapter, so
a 60-minute chapter (635 MB at 44.1 kHz) needs little more than twice its size.

Steps:
1. resample to the profile's rate (soxr) when needed;
2. static gain so the RMS (acx) or the integrated loudness (podcast, ebu-r128)
   hits the target (none when the chapter is below -60, i.e. room tone only);
3. look-ahead brick-wall limiter at the ceiling minus a 0.5 dB true-peak margin
   (gain curve = running minimum over ±5 ms, then a ±5 ms moving average: the
   smoothed gain at a peak never exceeds the gain that peak needs);
4. corrective gain + limit passes (limiting lowers the level): LUFS profiles one pass; the RMS
   profile (acx) up to ``LEVEL_PASSES`` passes until the RMS lies ``LEVEL_MARGIN_DB`` inside the
   window (each step scaled by how much of the last gain survived the limiter). A chapter whose
   crest factor is too high for that (short speech in long room tone, loud transients) gets a
   gentle soft-knee compressor (``compress``) and the passes again; what still fails is reported
   in ``violations``, never hidden;
5. acx: if the noise floor is above the limit, a downward expander pulls 10 ms
   frames quieter than floor + 6 dB down (gain interpolated per sample);
6. measure; if the 4x true peak is still over the ceiling, scale down by the
   excess (measurements shifted arithmetically, no second pass).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.ndimage as nd
import soxr

from ..errors import AudioError
from ..profiles import Profile, get_profile
from .io import Audio
from .measure import FLOOR_DB, Measurements, db, integrated_loudness, measure
from .profiles import profile_rules

BLOCK = 1 << 20
LIMIT_BLOCK = 1 << 16
TRUE_PEAK_MARGIN_DB = 0.5
LOOKAHEAD_MS = 5.0
SILENT_LEVEL_DB = -60.0
LEVEL_PASSES = 6  # corrective gain + limit passes for the RMS profile (per stage)
LEVEL_MARGIN_DB = 0.5  # land this far inside the RMS window (gate / true-peak safety move it)
MAX_CORRECTION_DB = 12.0  # most corrective gain per stage (beyond it the limiter would only
# be pumping room tone up: compress instead, or report)
COMP_RATIO = 3.0  # fallback compressor: 3:1 above the threshold, 6 dB soft knee,
COMP_KNEE_DB = 6.0  # threshold = median level of the voiced 10 ms frames
COMP_FRAME_MS = 10.0


@dataclass(frozen=True)
class MasterResult:
    audio: Audio
    gain_db: float  # total static gain applied
    measurements: Measurements  # of the mastered audio
    sample_rate: int = 44100
    violations: tuple[str, ...] = ()  # check_profile() of the result; empty = passes
    notes: tuple[str, ...] = ()  # corrective steps taken ("rms: 2 passes", "compressed ...")
    recipe: Recipe | None = None  # the steps taken, replayable per block (see replay)


def master_chapter(
    audio: npt.NDArray[np.floating[Any]],
    sample_rate: int,
    profile: Profile | str,
    *,
    in_place: bool = False,
    bounds: Sequence[int] = (),
) -> MasterResult:
    """Master ``audio`` to ``profile``. ``in_place=True`` reuses ``audio``'s buffer (float32 only).

    ``bounds``: start samples of the chapter's blocks (paragraphs, see stitch.py). Level decisions
    look at the whole chapter, but every sample-changing step runs on each block alone, so the
    returned ``recipe`` replayed on one block (:func:`replay`) gives exactly that block's samples."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    x, sr = _prepare(audio, sample_rate, prof, in_place)
    chain = Chain(x, sr, bounds if sr == sample_rate else ())
    gain = _static_gain(level(x, sr, prof.level_kind), prof)
    chain.gain(gain)
    ceiling = min(prof.peak_max_dbfs, prof.true_peak_max_dbfs) - TRUE_PEAK_MARGIN_DB
    chain.limit(ceiling)
    notes: tuple[str, ...] = ()
    if prof.level_kind == "lufs" and gain != 0.0:
        fix = prof.target_level - level(x, sr, "lufs")
        if abs(fix) > 0.05:
            chain.gain(fix)
            chain.limit(ceiling)
            gain += fix
    elif gain != 0.0:
        fix, notes = settle_rms(chain, prof, ceiling, gain)
        gain += fix
    m = measure(x, sr)
    if prof.noise_floor_max_dbfs is not None and m.noise_floor_dbfs > prof.noise_floor_max_dbfs - 1.0:
        chain.gate(m.noise_floor_dbfs, prof.noise_floor_max_dbfs - 3.0)
        m = measure(x, sr)
    m, gain = _true_peak_safety(chain, m, prof, gain)
    return MasterResult(
        audio=x,
        gain_db=gain,
        measurements=m,
        sample_rate=sr,
        violations=check_profile(m, prof),
        notes=notes,
        recipe=Recipe(prof.name, tuple(chain.steps)),
    )


def settle_rms(
    chain: Chain, prof: Profile, ceiling_dbfs: float, first_gain_db: float
) -> tuple[float, tuple[str, ...]]:
    """After the first gain + limit: bring the RMS into the window in place; returns (added gain dB, notes).

    Limiter passes first; when they cannot reach the window, one soft-knee compression and the
    passes again. ``first_gain_db`` (the static gain just applied) seeds the step estimate."""
    x, sample_rate = chain.x, chain.sample_rate
    start = level(x, sample_rate, "rms")
    fix, passes = _rms_passes(chain, prof, ceiling_dbfs, start, _yield(first_gain_db, prof, start))
    notes = (f"rms: {passes} corrective pass(es)",) if passes else ()
    if _inside(level(x, sample_rate, "rms"), prof):
        return fix, notes
    reduction = chain.compress()
    after = level(x, sample_rate, "rms")
    more, again = _rms_passes(chain, prof, ceiling_dbfs, after, 1.0)
    return fix + more, (
        *notes,
        f"compressed {COMP_RATIO:g}:1 soft knee (up to {reduction:.1f} dB), {again} more pass(es)",
    )


def _yield(gain_db: float, prof: Profile, reached_db: float) -> float:
    """Share of a gain step that survived the limiter (1.0 = none lost), from the first stage."""
    if gain_db <= 0.0:
        return 1.0
    return min(1.0, max(0.2, (gain_db - (prof.target_level - reached_db)) / gain_db))


def _inside(level_db: float, prof: Profile) -> bool:
    return prof.min_level + LEVEL_MARGIN_DB <= level_db <= prof.max_level - LEVEL_MARGIN_DB


def level_inside(m: Measurements, profile: Profile | str) -> bool:
    """The chapter's level (RMS or LUFS, per profile) lies LEVEL_MARGIN_DB inside the window."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    return _inside(m.rms_dbfs if prof.level_kind == "rms" else m.lufs_integrated, prof)


def _rms_passes(
    chain: Chain, prof: Profile, ceiling_dbfs: float, lvl: float, share: float
) -> tuple[float, int]:
    """Up to LEVEL_PASSES (gain toward the target, limit) passes; each step is the deficit divided
    by the share of the previous step that survived the limiter. Returns (gain dB, passes)."""
    total = 0.0
    for n in range(LEVEL_PASSES):
        deficit = prof.target_level - lvl
        if _inside(lvl, prof) or (deficit > 0 and total >= MAX_CORRECTION_DB):
            return total, n
        step = min(deficit / share, MAX_CORRECTION_DB - total) if deficit > 0 else deficit
        chain.gain(step)
        chain.limit(ceiling_dbfs)
        new = level(chain.x, chain.sample_rate, "rms")
        share = min(1.0, max(0.2, (new - lvl) / step)) if step > 0 else 1.0
        total, lvl = total + step, new
    return total, LEVEL_PASSES


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


def _static_gain(level_db: float, prof: Profile) -> float:
    """Gain to the target; none for a (near-)silent chapter (level below -60), which is left
    as it is and flagged by check_profile instead of being blown up by 80 dB."""
    return 0.0 if level_db < SILENT_LEVEL_DB else prof.target_level - level_db


def _prepare(
    audio: npt.NDArray[np.floating[Any]], sample_rate: int, prof: Profile, in_place: bool
) -> tuple[Audio, int]:
    x = np.asarray(audio)
    if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.floating):
        raise AudioError(
            f"cannot master audio of shape {x.shape} and dtype {x.dtype}",
            fix="pass non-empty float32 mono audio",
        )
    if sample_rate != prof.sample_rate:
        out = soxr.resample(x.astype(np.float32, copy=False), sample_rate, prof.sample_rate, quality="HQ")
        return np.ascontiguousarray(out, dtype=np.float32), prof.sample_rate
    if in_place and x.dtype == np.float32 and x.flags.c_contiguous and x.flags.writeable:
        return x, sample_rate
    return np.array(x, dtype=np.float32, order="C", copy=True), sample_rate


def level(x: Audio, sample_rate: int, kind: str) -> float:
    """RMS dBFS (``kind="rms"``) or integrated LUFS (``"lufs"``), without the other measurements."""
    if kind == "lufs":
        return integrated_loudness(x, sample_rate)
    total = 0.0
    for a in range(0, x.size, LIMIT_BLOCK):  # float64 sums, no BLAS: same bits on every machine
        seg = x[a : a + LIMIT_BLOCK]
        total += float(np.einsum("i,i->", seg, seg, dtype=np.float64))
    return db(float(np.sqrt(total / x.size)))


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


def _true_peak_safety(
    chain: Chain, m: Measurements, prof: Profile, gain: float
) -> tuple[Measurements, float]:
    over = max(m.true_peak_dbfs - prof.true_peak_max_dbfs, m.peak_dbfs - prof.peak_max_dbfs)
    if over <= 0:
        return m, gain
    delta = -(over + 0.02)
    chain.gain(delta)

    def shift(v: float) -> float:
        return v if v <= FLOOR_DB else v + delta

    m = replace(
        m,
        rms_dbfs=shift(m.rms_dbfs),
        peak_dbfs=shift(m.peak_dbfs),
        true_peak_dbfs=shift(m.true_peak_dbfs),
        noise_floor_dbfs=shift(m.noise_floor_dbfs),
        lufs_integrated=shift(m.lufs_integrated),
    )
    return m, gain + delta


# -- recipes: what mastering did, replayable block by block -----------------------------------------


@dataclass(frozen=True)
class Step:
    op: str  # "gain" (a = dB) | "limit" (a = ceiling dBFS) | "compress" (a = threshold dBFS)
    a: float  # | "gate" (a = measured floor dBFS, b = target dBFS)
    b: float = 0.0


@dataclass(frozen=True)
class Recipe:
    """The sample-changing steps of one mastering, in order (decisions already taken)."""

    profile: str
    steps: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "steps": [[s.op, s.a, s.b] for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        return cls(str(d["profile"]), tuple(Step(str(op), float(a), float(b)) for op, a, b in d["steps"]))

    @property
    def key(self) -> str:
        data = json.dumps(self.to_dict(), sort_keys=True).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:16]


class Chain:
    """Applies (and records) mastering steps to ``x``; the local ones block by block."""

    def __init__(self, x: Audio, sample_rate: int, bounds: Sequence[int] = ()) -> None:
        self.x, self.sample_rate = x, sample_rate
        self.steps: list[Step] = []
        edges = [*sorted({0, *(int(b) for b in bounds if 0 < b < x.size)}), x.size]
        self.slices = [slice(a, b) for a, b in pairwise(edges)]

    def gain(self, gain_db: float) -> None:
        self.steps.append(Step("gain", float(gain_db)))
        apply_gain(self.x, gain_db)

    def limit(self, ceiling_dbfs: float) -> None:
        self.steps.append(Step("limit", float(ceiling_dbfs)))
        for sl in self.slices:
            limit(self.x[sl], self.sample_rate, ceiling_dbfs)

    def compress(self, threshold_dbfs: float | None = None) -> float:
        if threshold_dbfs is None:
            levels = np.concatenate([frame_levels(self.x[sl], self.sample_rate) for sl in self.slices])
            threshold_dbfs = voiced_median(levels)
        self.steps.append(Step("compress", float(threshold_dbfs)))
        return max(
            compress(self.x[sl], self.sample_rate, threshold_dbfs=threshold_dbfs) for sl in self.slices
        )

    def gate(self, floor_dbfs: float, target_dbfs: float) -> None:
        self.steps.append(Step("gate", float(floor_dbfs), float(target_dbfs)))
        for sl in self.slices:
            gate_room_tone(self.x[sl], self.sample_rate, floor_dbfs, target_dbfs)


def replay(recipe: Recipe, block: Audio, sample_rate: int) -> Audio:
    """``recipe`` applied to one block (a float32 copy): the same samples master_chapter gave that
    block when it mastered the whole chapter with the block's bounds."""
    chain = Chain(np.array(block, dtype=np.float32, order="C", copy=True), sample_rate)
    ops: dict[str, Callable[[Step], object]] = {
        "gain": lambda s: chain.gain(s.a),
        "limit": lambda s: chain.limit(s.a),
        "compress": lambda s: chain.compress(s.a),
        "gate": lambda s: chain.gate(s.a, s.b),
    }
    for step in recipe.steps:
        if step.op not in ops:
            raise AudioError(
                f"unknown mastering step {step.op!r} in a stored recipe",
                fix="delete build/chapters/*/master.json and render again",
            )
        ops[step.op](step)
    return chain.x


def check_profile(m: Measurements, profile: Profile | str) -> tuple[str, ...]:
    """Human-readable violations of ``profile`` (empty tuple = the chapter passes)."""
    return tuple(r.detail for r in profile_rules(m, profile) if not r.ok)
