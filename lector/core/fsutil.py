"""Atomic file writes that keep the right permissions.

``tempfile.mkstemp`` creates its file 0600 whatever the umask, so a temp file moved into place
with ``os.replace`` leaves every output owner-only: masters a web server cannot read, a
producer's manuscript or lexicon turned from 0644 into 0600 by one edit in the review app.
Every atomic write here therefore gives the temp file, before the rename, either

* the mode (and, where allowed, owner and group) of the file it replaces, so an edit keeps a
  producer's file as it was, or
* for a new file, ``0666 & ~umask`` (what ``open(path, "w")`` would have made).

The umask is read from ``/proc/self/status`` where it is there (reading it with ``os.umask`` means
setting it, which races with other threads creating files), else by the set-and-restore dance
under a lock.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, without changing it where the OS tells it (Linux >= 4.7)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def default_file_mode() -> int:
    """Mode of a new regular file: 0666 minus the umask."""
    return 0o666 & ~current_umask()


def _settle(tmp: Path, final: Path, mode: int | None) -> None:
    """Give ``tmp`` the mode (and owner) ``final`` should end up with."""
    try:
        old = os.stat(final)
    except FileNotFoundError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else default_file_mode()
    if old is not None and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:  # keep a producer's group (or, as root, owner); not allowed otherwise: keep ours
            os.chown(tmp, old.st_uid, old.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.chown(tmp, -1, old.st_gid)
    os.chmod(tmp, mode)


@contextmanager
def atomic_path(path: str | Path, suffix: str | None = None, mode: int | None = None) -> Iterator[Path]:
    """Yield a temp path next to ``path`` to write (by this process or a tool such as ffmpeg); on
    success it gets the right mode and replaces ``path`` in one rename, else it is deleted.
    ``mode``: None = keep the replaced file's mode, or the umask default for a new file."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.name}.", suffix=suffix or final.suffix or ".tmp", dir=final.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _settle(tmp, final, mode)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: str | Path, data: bytes, mode: int | None = None, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename), keeping the mode and owner
    of the file it replaces (or the umask default); returns the path."""
    final = Path(path)
    with atomic_path(final, mode=mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    return final


def atomic_write_text(
    path: str | Path, text: str, mode: int | None = None, *, encoding: str = "utf-8", fsync: bool = True
) -> Path:
    """``atomic_write_bytes`` for text."""
    return atomic_write_bytes(path, text.encode(encoding), mode, fsync=fsync)


def model_cache_dir() -> Path:
    """Where derived models live (patched engine graphs, converted encoder weights):
    ``$LECTOR_CACHE_DIR/models`` or ~/.cache/lector/models."""
    root = os.environ.get("LECTOR_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "lector"
    return base / "models"
