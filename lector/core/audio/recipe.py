"""Recipes: the sample-changing steps of one mastering, recorded and replayable block by block.

:class:`Chain` applies each step to a :class:`~.samples.Samples` one block at a time (the block's
samples read, changed, put back), so mastering never needs the whole chapter in one array, and
:func:`replay` of the recipe on one block gives exactly that block's mastered samples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..errors import AudioError
from .dynamics import apply_gain, compress, frame_levels, gate_room_tone, limit, voiced_median
from .io import Audio
from .samples import ArraySamples, Samples

_T = TypeVar("_T")


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
    """Applies (and records) mastering steps to ``chapter``, block by block."""

    def __init__(self, chapter: Samples, sample_rate: int) -> None:
        self.chapter, self.sample_rate = chapter, sample_rate
        self.steps: list[Step] = []

    def _each(self, op: Callable[[Audio], _T]) -> list[_T]:
        out: list[_T] = []
        for i, sl in enumerate(self.chapter.slices):
            if sl.stop <= sl.start:
                continue
            x = self.chapter.block(i)
            out.append(op(x))
            self.chapter.put(i, x)
        return out

    def gain(self, gain_db: float) -> None:
        self.steps.append(Step("gain", float(gain_db)))
        self._each(lambda x: apply_gain(x, gain_db))

    def limit(self, ceiling_dbfs: float) -> None:
        self.steps.append(Step("limit", float(ceiling_dbfs)))
        self._each(lambda x: limit(x, self.sample_rate, ceiling_dbfs))

    def compress(self, threshold_dbfs: float | None = None) -> float:
        """Compress each block; the threshold (when not given) from the whole chapter's frames."""
        if threshold_dbfs is None:
            levels = [
                frame_levels(self.chapter.block(i), self.sample_rate)
                for i, sl in enumerate(self.chapter.slices)
                if sl.stop > sl.start
            ]
            threshold_dbfs = voiced_median(np.concatenate(levels))
        self.steps.append(Step("compress", float(threshold_dbfs)))
        thr = threshold_dbfs
        return max(self._each(lambda x: compress(x, self.sample_rate, threshold_dbfs=thr)))

    def gate(self, floor_dbfs: float, target_dbfs: float) -> None:
        self.steps.append(Step("gate", float(floor_dbfs), float(target_dbfs)))
        self._each(lambda x: gate_room_tone(x, self.sample_rate, floor_dbfs, target_dbfs))


def replay(recipe: Recipe, block: Audio, sample_rate: int) -> Audio:
    """``recipe`` applied to one block (a float32 copy): the same samples master_chapter gave that
    block when it mastered the whole chapter with the block's bounds."""
    x = np.array(block, dtype=np.float32, order="C", copy=True)
    chain = Chain(ArraySamples(x), sample_rate)
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
    return x
