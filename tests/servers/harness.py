"""Run a FastAPI app on 127.0.0.1 (a free port) in a thread, with fault injection.

``Faults`` is shared by the contract servers: queued HTTP statuses to answer instead of audio
(``fail_with``), a per-request delay, a sample-rate override, and a count of concurrent
requests (``max_active``) so tests can check the client's per-server limit.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn


@dataclass
class Faults:
    fail_with: list[int] = field(default_factory=list)  # statuses for the next requests
    delay_s: float = 0.0
    sample_rate: int | None = None  # answer at this rate instead
    active: int = 0
    max_active: int = 0
    calls: int = 0
    requests: list[dict] = field(default_factory=list)  # what each request carried
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, record: dict) -> int | None:
        """Count a request in; return a status to fail with, if one is queued."""
        with self.lock:
            self.calls += 1
            self.requests.append(record)
            if self.fail_with:
                return self.fail_with.pop(0)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        if self.delay_s:
            time.sleep(self.delay_s)
        return None

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


class ServerThread:
    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("contract server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@contextmanager
def serve(app):
    server = ServerThread(app).start()
    try:
        yield server
    finally:
        server.stop()
