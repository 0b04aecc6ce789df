"""Content hashes of files (models, masters, published objects), read in 1 MiB blocks, and facts
about files remembered while the file is unchanged."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


class FileFacts:
    """Facts about files (a sha256, a sample count) kept in this process while the file's identity
    is unchanged: device, inode, size and mtime. Lector replaces the files it writes atomically (a
    new inode each time, fsutil.atomic_path), so a rewritten file is a new identity and its facts are
    worked out again; a file edited in place by hand keeps its inode but gets a new mtime."""

    def __init__(self, limit: int = 8192) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, int, int, int, int], object] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def identity(st: os.stat_result) -> tuple[int, int, int, int]:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def get(self, path: str | Path, kind: str, st: os.stat_result | None = None) -> object | None:
        """The fact, or None when unknown (or the file is missing)."""
        try:
            key = (kind, *self.identity(st or os.stat(path)))
        except OSError:
            return None
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, path: str | Path, kind: str, value: object, st: os.stat_result | None = None) -> None:
        """Remember ``value`` for the file as it is now (or as ``st`` saw it)."""
        key = (kind, *self.identity(st or os.stat(path)))
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.limit:
                self._items.popitem(last=False)


FACTS = FileFacts()
SHA256 = "sha256"  # the FileFacts kind of file_digest


def file_digest(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """:func:`sha256_file`, computed once per file identity in this process (see FileFacts): the
    flow's stamps and the manifest ask for the same masters' hashes one after the other. Publish
    verification does not use it; it always reads the bytes."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())  # the identity of the bytes read below
        known = FACTS.get(path, SHA256, st)
        if isinstance(known, str):
            return known
        digest = hashlib.sha256()
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            digest.update(block)
    FACTS.put(path, SHA256, digest.hexdigest(), st)
    return digest.hexdigest()


def remember_digest(path: str | Path, digest: str) -> None:
    """Record ``digest`` for the file as it is now: for a caller that has just checked the bytes
    and then changed only the file's times (a touch gives it a new identity)."""
    FACTS.put(path, SHA256, digest)
