"""One render per project: ``<project>/build/.render.lock``.

``lector render``, the production flows (produce-book, rerender-*) and the review app's edits take
the lock; a second one either refuses at once with who holds it (pid, host, start time) or, with
``wait``, says so and waits.

The lock is an ``fcntl.flock`` on the file, so it belongs to the open file: a process that dies,
``kill -9`` included, releases it with its file descriptors, and the next taker finds the previous
holder's record without the lock (a stale lock) and takes over, saying so. The file is never
deleted (unlinking a flock file lets two processes lock two different inodes); its content, one
JSON line naming the holder, is only for the messages. flock locks taken through separate
``open()`` calls exclude each other inside one process too, so two threads of the review app
(an edit and a re-render job) exclude each other; the same thread may nest (``lector render`` takes
it, then the flow it runs takes it again).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import ProjectBusy
from .fsutil import default_file_mode

LOCK_NAME = ".render.lock"
POLL_S = 0.25
log = logging.getLogger("lector.progress")


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started_utc: str
    purpose: str

    def describe(self, now: float | None = None) -> str:
        try:
            started = datetime.fromisoformat(self.started_utc)
            age_s = max(0, int((now or time.time()) - started.timestamp()))
            age = f", {age_s // 60} min {age_s % 60} s ago"
        except ValueError:
            age = ""
        return f"{self.purpose} (pid {self.pid} on {self.host}, since {self.started_utc}{age})"


@dataclass
class _Held:
    fd: int
    thread: int
    depth: int


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def lock_path(build_dir: str | Path) -> Path:
    return Path(build_dir) / LOCK_NAME


def read_holder(path: Path) -> Holder | None:
    """The record in a lock file (its holder's, or a dead holder's), None when empty or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return Holder(int(data["pid"]), str(data["host"]), str(data["started_utc"]), str(data["purpose"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def say_waiting(holder: Holder | None) -> None:
    log.warning(
        "waiting for %s to release the project lock ...", holder.describe() if holder else "another process"
    )


def say_stale(previous: Holder) -> None:
    log.warning("taking over the project lock left by %s: that process is gone", previous.describe())


def _acquire(
    path: Path,
    purpose: str,
    wait_s: float,
    on_wait: Callable[[Holder | None], None] | None,
    on_stale: Callable[[Holder], None] | None,
) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), default_file_mode())
    try:
        deadline, told = time.monotonic() + wait_s, False
        while not _try_flock(fd):
            holder = read_holder(path)
            if time.monotonic() >= deadline:
                who = holder.describe() if holder else "another process"
                raise ProjectBusy(
                    f"the project is busy: {who} holds its lock",
                    file=path,
                    fix="wait for it to finish (or use `lector render --wait` to queue "
                    "behind it); a killed holder releases the lock by itself",
                )
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
        previous = read_holder(path)
        if previous is not None and on_stale is not None and previous.pid != os.getpid():
            on_stale(previous)  # its process died (or lost its file) without releasing
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "purpose": purpose,
            "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode("utf-8"), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def project_lock(
    build_dir: str | Path,
    purpose: str = "render",
    *,
    wait_s: float = 0.0,
    on_wait: Callable[[Holder | None], None] | None = say_waiting,
    on_stale: Callable[[Holder], None] | None = say_stale,
) -> Iterator[Path]:
    """Hold the project's lock for the ``with`` body. ``wait_s``: how long to wait for a holder
    (0 = refuse at once with ProjectBusy; ``float("inf")`` = wait as long as it takes);
    ``on_wait(holder)`` is called once when waiting starts, ``on_stale(previous)`` when a dead
    holder's lock is taken over."""
    path = lock_path(build_dir).absolute()
    key, me = str(path), threading.get_ident()
    with _guard:
        held = _held.get(key)
        if held is not None and held.thread == me:
            held.depth += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _guard:
                _held[key].depth -= 1
        return
    fd = _acquire(path, purpose, wait_s, on_wait, on_stale)
    with _guard:
        _held[key] = _Held(fd, me, 1)
    try:
        yield path
    finally:
        with _guard:
            _held.pop(key, None)
        try:
            os.ftruncate(fd, 0)  # not unlinked: see the module docstring
        finally:
            os.close(fd)  # releases the flock


def wait_from_env(default_s: float = 0.0) -> float:
    """``LECTOR_LOCK_WAIT_S`` (seconds; "inf" waits for ever) for flows started without a CLI."""
    raw = os.environ.get("LECTOR_LOCK_WAIT_S", "")
    try:
        return float(raw) if raw.strip() else default_s
    except ValueError:
        return default_s
