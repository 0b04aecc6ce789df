"""A chapter's float32 samples, cut into blocks, held in memory or in a scratch file on disk.

Mastering and measuring only ever touch one block (or one fixed-size chunk) at a time: they go
through :class:`Samples` (``read`` a range, ``block``/``put`` one block), never through a
whole-chapter array. :class:`ArraySamples` wraps an ndarray (tests, callers holding audio);
:class:`ScratchSamples` keeps the samples in an unnamed temporary file (raw float32, gone when
closed) and moves them with explicit ``pread``/``pwrite`` calls, so the process holds one block,
not the chapter: pages of a memory map would stay resident once touched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from types import TracebackType

import numpy as np

from ..errors import AudioError
from .io import Audio

_F32 = 4  # bytes per sample


def block_slices(size: int, bounds: Sequence[int]) -> list[slice]:
    """Blocks from their start samples (0 and out-of-range starts ignored, duplicates merged)."""
    edges = [*sorted({0, *(int(b) for b in bounds if 0 < b < size)}), size]
    return [slice(a, b) for a, b in pairwise(edges)]


class Samples:
    """Samples of one chapter, ``size`` long, cut into ``slices``."""

    size: int
    slices: list[slice]

    def read(self, start: int, stop: int) -> Audio:
        """Samples ``[start, stop)`` (clipped to the chapter); not to be written to."""
        raise NotImplementedError

    def block(self, i: int) -> Audio:
        """Block ``i``, writable; changes are kept once given to :meth:`put`."""
        raise NotImplementedError

    def put(self, i: int, audio: Audio) -> None:
        """Store the (changed) samples of block ``i``."""
        raise NotImplementedError

    def chunks(self, span: int) -> Iterator[Audio]:
        """The samples in order, ``span`` at a time."""
        for a in range(0, self.size, span):
            yield self.read(a, a + span)


class ArraySamples(Samples):
    """An in-memory float32 array (changed in place)."""

    def __init__(self, x: Audio, bounds: Sequence[int] = ()) -> None:
        self.x, self.size = x, int(x.size)
        self.slices = block_slices(self.size, bounds)

    def read(self, start: int, stop: int) -> Audio:
        return self.x[start:stop]

    def block(self, i: int) -> Audio:
        return self.x[self.slices[i]]

    def put(self, i: int, audio: Audio) -> None:
        view = self.x[self.slices[i]]
        if not np.shares_memory(audio, view):  # a block from block() was changed in place already
            view[:] = audio


class ScratchSamples(Samples):
    """Raw float32 samples in an unnamed temporary file under ``folder``, appended block by block
    (:meth:`append`), then read and rewritten in place. Use as a context manager (closing deletes it)."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close()
        self._fd = self._file.fileno()
        self.size = 0
        self.slices = []

    def append(self, audio: Audio) -> None:
        """One more block at the end."""
        x = np.ascontiguousarray(audio, dtype=np.float32)
        self._write(self.size, x)
        self.slices.append(slice(self.size, self.size + x.size))
        self.size += int(x.size)

    def read(self, start: int, stop: int) -> Audio:
        a, b = max(0, start), min(self.size, stop)
        out = np.empty(max(0, b - a), dtype=np.float32)
        view = out.data.cast("B")
        done = 0
        while done < view.nbytes:
            got = os.preadv(self._fd, [view[done:]], a * _F32 + done)
            if got <= 0:
                raise AudioError("chapter scratch file ended early", fix="check the build folder's disk")
            done += got
        return out

    def block(self, i: int) -> Audio:
        sl = self.slices[i]
        return self.read(sl.start, sl.stop)

    def put(self, i: int, audio: Audio) -> None:
        sl = self.slices[i]
        if audio.size != sl.stop - sl.start:
            raise ValueError(f"block {i} holds {sl.stop - sl.start} samples, got {audio.size}")
        self._write(sl.start, np.ascontiguousarray(audio, dtype=np.float32))

    def _write(self, at: int, x: Audio) -> None:
        view = x.data.cast("B")
        done = 0
        while done < view.nbytes:
            done += os.pwrite(self._fd, view[done:], at * _F32 + done)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ScratchSamples:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
