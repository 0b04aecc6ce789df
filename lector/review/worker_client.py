"""The review app's end of its preview worker (lector.review.preview_worker): one child process,
started on the first request, stopped after ``LECTOR_REVIEW_WORKER_IDLE_S`` seconds without one
(default 900; the next edit starts it again, paying the models' load) and always when the app stops.

Requests go over one socket pair (multiprocessing.connection) as numbered envelopes; a reader
thread hands each answer to the request's future, so several requests may be in flight at once.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path

from .worker_records import Answer, Envelope, PreviewError, Request

log = logging.getLogger("lector.review")
IDLE_ENV = "LECTOR_REVIEW_WORKER_IDLE_S"
DEFAULT_IDLE_S = 900.0
STOP_WAIT_S = 5.0


def _idle_s() -> float:
    try:
        return float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_S))
    except ValueError:
        return DEFAULT_IDLE_S


class _Link:
    """One started worker: its process, socket, and the requests waiting on it."""

    def __init__(self, root: Path) -> None:
        mine, theirs = Pipe(duplex=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lector.review.preview_worker", str(root), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn: Connection = mine
        self.pending: dict[int, Future[Answer]] = {}
        self.send_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, name="lector-preview-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                envelope = self.conn.recv()
            except (EOFError, OSError):
                break
            future = self.pending.pop(envelope.number, None)
            if future is not None:
                future.set_result(envelope.body)
        stopped = PreviewError("the preview worker stopped — try again")
        for number in list(self.pending):
            future = self.pending.pop(number, None)
            if future is not None and not future.done():
                future.set_exception(stopped)

    def send(self, number: int, request: Request) -> Future[Answer]:
        future: Future[Answer] = Future()
        self.pending[number] = future
        try:
            with self.send_lock:
                self.conn.send(Envelope(number, request))
        except OSError:
            self.pending.pop(number, None)
            raise PreviewError("the preview worker stopped — try again") from None
        return future

    def alive(self) -> bool:
        return self.proc.poll() is None and self.reader.is_alive()

    def stop(self) -> None:
        """The socket shut (the worker's cue to exit; shut, not only closed, as the reader thread's
        pending read holds it open), then waited for; terminated, killed if need be."""
        try:
            with socket.socket(fileno=os.dup(self.conn.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed
            pass
        self.conn.close()
        try:
            self.proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=STOP_WAIT_S)


class PreviewWorker:
    """Requests to the project's preview worker process, started when needed."""

    def __init__(self, root: Path, idle_s: float | None = None) -> None:
        self.root = root
        self.idle_s = _idle_s() if idle_s is None else idle_s
        self._link: _Link | None = None
        self._lock = threading.Lock()
        self._number = 0
        self._last_used = time.monotonic()
        self._in_flight = 0
        self._closed = False
        self._wake = threading.Event()
        self._idler: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        link = self._link
        return link.proc.pid if link is not None and link.alive() else None

    def call(self, request: Request) -> Answer:
        """Send ``request`` (starting the worker if none runs) and wait for its answer."""
        with self._lock:
            if self._closed:
                raise PreviewError("the review app is shutting down")
            if self._link is None or not self._link.alive():
                self._start()
            assert self._link is not None
            self._number += 1
            self._in_flight += 1  # counted here, not by the link: an answer in hand is not idle time
            try:
                future = self._link.send(self._number, request)
            except PreviewError:
                self._in_flight -= 1
                raise
        try:
            return future.result()
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_used = time.monotonic()

    def _start(self) -> None:
        if self._link is not None:
            self._link.stop()
        self._link = _Link(self.root)
        if self._idler is None and self.idle_s > 0:
            self._idler = threading.Thread(target=self._idle_watch, name="lector-preview-idle", daemon=True)
            self._idler.start()

    def _idle_watch(self) -> None:
        """Stop the worker (and free its memory) once it has had nothing to do for ``idle_s``."""
        while not self._wake.wait(min(self.idle_s / 4, 30.0)):
            with self._lock:
                link = self._link
                quiet = time.monotonic() - self._last_used >= self.idle_s
                if link is None or self._in_flight or not quiet:
                    continue
                self._link = None
            log.info("review: preview worker idle for %.0f s, stopped", self.idle_s)
            link.stop()

    def memory_mb(self) -> dict[str, float]:
        """The worker's resident memory now and its peak (MiB); empty when none runs."""
        pid = self.pid
        found: dict[str, float] = {}
        if pid is None:
            return found
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            return found
        for line in lines:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found["rss_mb" if name == "VmRSS" else "peak_mb"] = round(int(value.split()[0]) / 1024, 1)
        return found

    def close(self) -> None:
        with self._lock:
            self._closed = True
            link, self._link = self._link, None
        self._wake.set()
        if link is not None:
            link.stop()
