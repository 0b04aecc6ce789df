"""Keep a long render's heap from growing with the book (glibc only; elsewhere nothing changes).

glibc serves a freed buffer's memory again from the heap arena it came from, and raises its
mmap threshold (up to 32 MiB) each time a large buffer is freed; a render frees thousands of
paragraph-sized numpy arrays from many threads, so the arenas keep their high-water mark.
A fixed threshold sends every buffer of 1 MiB or more (a paragraph block is several) to mmap,
returned to the system when freed, and fewer arenas bound what the small allocations keep."""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # glibc mallopt parameters (malloc.h)
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 1 << 20
ARENA_MAX = 4


def bound_heap() -> bool:
    """Apply the settings above to this process; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_ARENA_MAX, ARENA_MAX))


def trim_heap() -> bool:
    """Hand the heap's free memory back to the system now (glibc ``malloc_trim``), e.g. after
    dropping a model; False where the C library has no such call."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return False
    if trim is None:
        return False
    trim(0)
    return True
