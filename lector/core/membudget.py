"""A memory budget shared by threads: work that holds a large array waits until its share fits,
so a long book's chapters are never all in memory at once.

``LECTOR_MASTER_MEMORY_MB`` (default 384) bounds the float32 audio held by the chapters mastered at
the same time in one process. A chapter streamed from disk (lector.core.audio.assemble.streamed:
the rate is block-encoded and the profile's) holds a few copies of its largest paragraph block
plus ``STREAM_BUFFER_BYTES`` of fixed buffers, whatever its length; one mastered in memory
(another rate: resampled whole) holds a copy of the whole chapter; a request larger than the whole
budget runs alone. QC's model checks take the whole budget while their models are loaded
(lector.core.qc.models), so they never run beside a chapter being mastered."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BYTES_PER_SAMPLE = 4  # float32 mono
DEFAULT_MASTER_MB = 384
STREAM_BLOCK_COPIES = 6  # a streamed block and the compressor's per-sample gain curves
STREAM_BUFFER_BYTES = 8 << 20  # measuring pieces and per-frame arrays (see audio.measure)


class MemoryBudget:
    def __init__(self, limit_bytes: int) -> None:
        self.limit = max(1, int(limit_bytes))
        self.used = 0
        self.cond = threading.Condition()

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[int]:
        """Wait until ``nbytes`` fits beside what others hold (capped at the whole budget, so an
        oversized request waits until it is alone), hold it for the ``with`` block; yields the
        amount held."""
        amount = min(max(0, int(nbytes)), self.limit)
        with self.cond:
            self.cond.wait_for(lambda: self.used + amount <= self.limit)
            self.used += amount
        try:
            yield amount
        finally:
            with self.cond:
                self.used -= amount
                self.cond.notify_all()


def audio_bytes(duration_s: float, sample_rate: int) -> int:
    """float32 bytes of ``duration_s`` of mono audio at ``sample_rate``."""
    return int(duration_s * sample_rate) * BYTES_PER_SAMPLE


MASTER_BUDGET = MemoryBudget(int(os.environ.get("LECTOR_MASTER_MEMORY_MB", str(DEFAULT_MASTER_MB))) << 20)
