"""Mastering: gain to the profile's level, look-ahead peak limiting, room-tone gate.

Level decisions look at the whole chapter; every sample-changing step runs on one block at a
time (:class:`~.recipe.Chain`), and the chapter is read through :class:`~.samples.Samples`: an
array in memory (:func:`master_chapter`) or a scratch file on disk (:func:`master_samples`, which
holds one block at a time, whatever the chapter's length).

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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from ..errors import AudioError
from ..profiles import Profile, get_profile
from .dynamics import COMP_RATIO, LIMIT_BLOCK
from .io import Audio
from .measure import FLOOR_DB, Measurements, db, integrated_loudness, measure
from .profiles import profile_rules
from .recipe import Chain, Recipe
from .samples import ArraySamples, Samples

TRUE_PEAK_MARGIN_DB = 0.5
SILENT_LEVEL_DB = -60.0
LEVEL_PASSES = 6  # corrective gain + limit passes for the RMS profile (per stage)
LEVEL_MARGIN_DB = 0.5  # land this far inside the RMS window (gate / true-peak safety move it)
MAX_CORRECTION_DB = 12.0  # most corrective gain per stage (beyond it the limiter would only
# be pumping room tone up: compress instead, or report)


@dataclass(frozen=True)
class MasterResult:
    audio: Audio | None  # the master (master_chapter); None from master_samples (it is in the Samples)
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
    result = master_samples(ArraySamples(x, bounds if sr == sample_rate else ()), sr, prof)
    return replace(result, audio=x)


def master_samples(chapter: Samples, sample_rate: int, profile: Profile | str) -> MasterResult:
    """Master ``chapter`` (at the profile's rate) in place, block by block: the same decisions and
    samples as :func:`master_chapter` on the whole array with the same block bounds."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    if sample_rate != prof.sample_rate or chapter.size == 0:
        raise AudioError(
            f"cannot master {chapter.size} samples at {sample_rate} Hz to {prof.name} "
            f"({prof.sample_rate} Hz)",
            fix="resample the chapter to the profile's rate first",
        )
    sr, chain = sample_rate, Chain(chapter, sample_rate)
    gain = _static_gain(level(chapter, sr, prof.level_kind), prof)
    chain.gain(gain)
    ceiling = min(prof.peak_max_dbfs, prof.true_peak_max_dbfs) - TRUE_PEAK_MARGIN_DB
    chain.limit(ceiling)
    notes: tuple[str, ...] = ()
    if prof.level_kind == "lufs" and gain != 0.0:
        fix = prof.target_level - level(chapter, sr, "lufs")
        if abs(fix) > 0.05:
            chain.gain(fix)
            chain.limit(ceiling)
            gain += fix
    elif gain != 0.0:
        fix, notes = settle_rms(chain, prof, ceiling, gain)
        gain += fix
    m = measure(chapter, sr)
    if prof.noise_floor_max_dbfs is not None and m.noise_floor_dbfs > prof.noise_floor_max_dbfs - 1.0:
        chain.gate(m.noise_floor_dbfs, prof.noise_floor_max_dbfs - 3.0)
        m = measure(chapter, sr)
    m, gain = _true_peak_safety(chain, m, prof, gain)
    return MasterResult(
        audio=None,
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
    x, sample_rate = chain.chapter, chain.sample_rate
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
        new = level(chain.chapter, chain.sample_rate, "rms")
        share = min(1.0, max(0.2, (new - lvl) / step)) if step > 0 else 1.0
        total, lvl = total + step, new
    return total, LEVEL_PASSES


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


def level(x: Audio | Samples, sample_rate: int, kind: str) -> float:
    """RMS dBFS (``kind="rms"``) or integrated LUFS (``"lufs"``), without the other measurements."""
    if kind == "lufs":
        return integrated_loudness(x, sample_rate)
    src = x if isinstance(x, Samples) else ArraySamples(x)
    total = 0.0
    for seg in src.chunks(LIMIT_BLOCK):  # float64 sums, no BLAS: same bits on every machine
        total += float(np.einsum("i,i->", seg, seg, dtype=np.float64))
    return db(float(np.sqrt(total / src.size)))


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


def check_profile(m: Measurements, profile: Profile | str) -> tuple[str, ...]:
    """Human-readable violations of ``profile`` (empty tuple = the chapter passes)."""
    return tuple(r.detail for r in profile_rules(m, profile) if not r.ok)
