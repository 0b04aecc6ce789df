"""Where rendered sentences (takes) live, as the audio code sees them.

:class:`Store` is the protocol that stitching and assembly read takes through; the render cache
(lector.core.cache: LocalStore, BytesStore) and the flows' S3 store implement it. It lives here,
below the cache, so the audio package needs nothing from the layer that renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import CacheError
from .io import Audio


@runtime_checkable
class Store(Protocol):
    """Where rendered sentences live. ``read`` raises CacheError on a missing/corrupt entry."""

    def exists(self, key: str) -> bool: ...

    def get_bytes(self, key: str) -> bytes | None: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> tuple[Audio, int]: ...

    def write(self, key: str, audio: Audio, sample_rate: int) -> None: ...

    def path_for(self, key: str) -> Path | None: ...


def try_read(store: Store, key: str) -> tuple[Audio, int] | None:
    """``store.read(key)``, or None for a miss (absent, partial or corrupt entry)."""
    try:
        return store.read(key)
    except CacheError:
        return None
