"""A loopback TCP proxy that can cut connections, for network-fault tests (publish to moto).

``CutProxy(port)`` listens on 127.0.0.1 and pipes every connection to ``127.0.0.1:port``.
``cut_after(n, outage=False)``: once ``n`` more client->server bytes have gone through, the
connection carrying byte ``n`` is reset (RST, like a dropped link) and, with ``outage``, every
later connection too until ``restore()``; without it only that one connection is cut.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


def _reset(sock: socket.socket) -> None:
    """Drop a connection at once (RST); shutdown() first wakes a thread blocked reading it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class CutProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._budget: int | None = None  # client->server bytes left before the cut
        self._outage = False
        self._flip_at: int | None = None  # client->server byte offset to corrupt
        self.down = False
        self.cuts = 0
        self.bytes_up = 0
        self._thread = threading.Thread(target=self._accept, daemon=True, name="cut-proxy")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_after(self, n_bytes: int, *, outage: bool = False) -> None:
        with self._lock:
            self._budget, self._outage = n_bytes, outage

    def flip_byte(self, offset: int) -> None:
        """Corrupt (XOR 0xFF) the client->server byte ``offset`` bytes from now: bad RAM or a bad
        middlebox, which only checksums over the stored bytes can catch."""
        with self._lock:
            self._flip_at = self.bytes_up + offset

    def restore(self) -> None:
        with self._lock:
            self._budget, self._outage, self.down = None, False, False

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _reset(client)
                continue
            pair = (client, upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, True, pair), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False, pair), daemon=True).start()

    def _take(self, n: int) -> bool:
        """Count ``n`` bytes going up; False when the link must be cut now."""
        with self._lock:
            self.bytes_up += n
            if self._budget is None:
                return True
            self._budget -= n
            if self._budget > 0:
                return True
            self.cuts += 1
            self.down = self._outage
            self._budget = None
            return False

    def _corrupt(self, data: bytes) -> bytes:
        with self._lock:
            start = self.bytes_up - len(data)
            if self._flip_at is None or not start <= self._flip_at < self.bytes_up:
                return data
            k, self._flip_at = self._flip_at - start, None
        return data[:k] + bytes([data[k] ^ 0xFF]) + data[k + 1 :]

    def _pipe(self, src: socket.socket, dst: socket.socket, up: bool, pair) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data or self.down or (up and not self._take(len(data))):
                    break
                if up:
                    data = self._corrupt(data)
                dst.sendall(data)
        except OSError:
            pass
        for sock in pair:
            _reset(sock)
