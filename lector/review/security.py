"""Review app security: who may talk to the app, and how state changes are protected.

* Host allow-list: the ``Host`` header must name the loopback (``localhost``, ``127.0.0.1``,
  ``[::1]``, any loopback address), the bound host, this machine's host name when bound to
  every interface, or an extra allowed host (``--allow-host`` / ``LECTOR_REVIEW_ALLOWED_HOSTS``); else
  400. This is what stops DNS rebinding (a page on ``evil.example`` re-pointed at 127.0.0.1).
* Origin: a state-changing request (POST, ...) that carries ``Origin`` (or, without it,
  ``Referer``) must come from the same host:port as its ``Host``; ``Origin: null`` is refused.
* Token: with a token configured every request needs it, as ``Authorization: Bearer T`` or a
  session cookie that ``?token=T`` on a GET sets (then redirects to the URL without it). The
  cookie never holds the token: it is ``<issued>.<HMAC-SHA256(per-process secret, issued + token
  digest)>``, valid for ``SESSION_MAX_AGE_S`` and for this server process only. Failed token
  attempts (wrong Bearer, wrong ``?token=``) are counted per client address:
  after ``MAX_FAILURES`` in ``FAILURE_WINDOW_S`` the address gets 429 until the window passes.
  (A forged cookie is not counted: guessing an HMAC is hopeless, and a session cookie from an
  earlier server process must not lock its browser out.)
* CSRF: each browser gets a random ``lector_csrf`` cookie; a POST must echo it in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field (double-submit cookie). Only a request
  authenticated by a correct Bearer token (a script; browsers never add the header on their own)
  is exempt, and only when a token is configured; a cookie session always needs the CSRF token.
* Binding: anything but a loopback address or ``localhost`` (so ``""``, ``0``, ``0.0.0.0``,
  ``::``, a host name) needs a token. The startup line never prints the token whole.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from lector.core.errors import ConfigError

SESSION_COOKIE = "lector_session"
CSRF_COOKIE = "lector_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
ALLOWED_HOSTS_ENV = "LECTOR_REVIEW_ALLOWED_HOSTS"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SESSION_MAX_AGE_S = 12 * 3600
MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WILDCARD_BINDS = ("", "0", "0.0.0.0", "::", "[::]", "*")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses only (the empty host binds every interface)."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-local bind (every interface, a LAN address, a host name) without a token."""
    if not is_loopback(host) and not token:
        shown = repr(host) if host.strip() in WILDCARD_BINDS else host
        raise ConfigError(
            f"refusing to serve the review app on {shown} without an access token",
            field="--host",
            fix="pass --token T (or set LECTOR_REVIEW_TOKEN), or bind 127.0.0.1",
        )


def masked(token: str) -> str:
    """How a token may appear in output: its first 4 characters and its length."""
    return f"{token[:4]}… ({len(token)} characters)"


def same(a: str | None, b: str | None) -> bool:
    return (
        a is not None
        and b is not None
        and bool(a)
        and bool(b)
        and hmac.compare_digest(a.encode(), b.encode())
    )


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def host_name(netloc: str) -> str:
    """The host of a ``Host`` header / URL netloc without its port, lower case (``[::1]`` kept)."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0].rstrip(".") if netloc.count(":") == 1 else netloc.rstrip(".")


def allowed_hosts(bind_host: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Host names a request may name (besides any loopback address)."""
    names = {"localhost"}
    bind = bind_host.strip().lower()
    if bind in WILDCARD_BINDS:
        names.add(socket.gethostname().lower())  # not getfqdn(): a DNS lookup that can hang
    else:
        names.add(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
    env = tuple(h for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip())
    names |= {host_name(h) for h in extra + env}
    return frozenset(n for n in names if n)


def host_allowed(netloc: str, allowed: frozenset[str]) -> bool:
    name = host_name(netloc)
    return bool(name) and (name in allowed or is_loopback(name))


class _Failures:
    """Failed token attempts per client address, in a sliding window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = {}

    def blocked(self, client: str, now: float) -> float:
        """Seconds until ``client`` may try again (0 = now)."""
        with self._lock:
            q = self._seen.get(client)
            while q and now - q[0] > FAILURE_WINDOW_S:
                q.popleft()
            return FAILURE_WINDOW_S - (now - q[0]) if q and len(q) >= MAX_FAILURES else 0.0

    def add(self, client: str, now: float) -> None:
        with self._lock:
            self._seen.setdefault(client, deque(maxlen=MAX_FAILURES)).append(now)


class Sessions:
    """Signed session cookies: ``<issued>.<hex HMAC>``; the secret lives in this process only."""

    def __init__(self, token: str) -> None:
        self._secret = secrets.token_bytes(32)
        self._token_digest = hashlib.sha256(token.encode()).hexdigest()

    def _mac(self, issued: str) -> str:
        return hmac.new(self._secret, f"{issued}:{self._token_digest}".encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float) -> str:
        issued = str(int(now))
        return f"{issued}.{self._mac(issued)}"

    def valid(self, cookie: str | None, now: float) -> bool:
        issued, _, mac = (cookie or "").partition(".")
        if not issued.isdigit() or not mac:
            return False
        return hmac.compare_digest(mac, self._mac(issued)) and 0 <= now - int(issued) <= SESSION_MAX_AGE_S


def _same_origin(request: Request) -> bool:
    """A state-changing request's Origin (or Referer) names the host:port it was sent to."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return True  # not a browser (browsers send Origin on POST); CSRF still applies
        origin = referer
    if origin.strip().lower() == "null":
        return False
    parts = urlsplit(origin)
    host = request.headers.get("host", "").strip().lower()
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


class SecurityMiddleware(BaseHTTPMiddleware):
    def __init__(
        self, app, token: str | None = None, host: str = "127.0.0.1", allow_hosts: tuple[str, ...] = ()
    ) -> None:
        super().__init__(app)
        self.token = token or None
        self.sessions = Sessions(token) if token else None
        self.allowed = allowed_hosts(host, tuple(allow_hosts))
        self.failures = _Failures()

    async def dispatch(self, request: Request, call_next) -> Response:
        if not host_allowed(request.headers.get("host", ""), self.allowed):
            return PlainTextResponse(
                "400: this Host is not served here (allowed: loopback, the bound host, "
                f"--allow-host / ${ALLOWED_HOSTS_ENV})",
                status_code=400,
            )
        if request.method not in SAFE_METHODS and not _same_origin(request):
            return PlainTextResponse(
                "403: cross-origin request refused (Origin/Referer is not this server)", status_code=403
            )
        request.state.auth = None
        if self.token:
            denied = self._authenticate(request)
            if denied is not None:
                return denied
        csrf = request.cookies.get(CSRF_COOKIE)
        request.state.csrf = csrf or secrets.token_urlsafe(32)
        response = await call_next(request)
        if not csrf:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict", path="/")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with plain HTML form
        # POSTs, which the Origin check must refuse; same-origin still sends nothing to other sites
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def _authenticate(self, request: Request) -> Response | None:
        assert self.sessions is not None, "only called when the app has an access token"
        now, client = time.time(), request.client.host if request.client else "?"
        wait_s = self.failures.blocked(client, time.monotonic())
        if wait_s > 0:
            return PlainTextResponse(
                "429: too many wrong access tokens from this address; try again later",
                status_code=429,
                headers={"Retry-After": str(int(wait_s) + 1)},
            )
        bearer, cookie = _bearer(request), request.cookies.get(SESSION_COOKIE)
        if bearer is not None:
            if same(bearer, self.token):
                request.state.auth = "bearer"
                return None
            return self._fail(client)
        if self.sessions.valid(cookie, now):
            request.state.auth = "session"
            return None
        query = request.query_params.get("token")
        if request.method == "GET" and query is not None:
            return self._link_login(request, query, client, now)
        return _unauthorized()  # no token, or a session of an earlier server process: not a guess

    def _link_login(self, request: Request, query: str, client: str, now: float) -> Response:
        """A link with ``?token=``: a session cookie and a redirect to the same URL without it."""
        assert self.sessions is not None, "only called when the app has an access token"
        if not same(query, self.token):
            return self._fail(client)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        url = URL(str(request.url)).replace(query=urlencode(rest))
        response = RedirectResponse(url.path + (f"?{url.query}" if url.query else ""), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.sessions.issue(now),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    def _fail(self, client: str) -> Response:
        self.failures.add(client, time.monotonic())
        return _unauthorized()


def _unauthorized() -> Response:
    return PlainTextResponse(
        "401: this review server needs its access token (open the URL with ?token=...)",
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency for every POST route: a cookie session always needs the CSRF token; only a
    correct Bearer token (checked by the middleware, when a token is configured) is exempt."""
    from fastapi import HTTPException

    if getattr(request.state, "auth", None) == "bearer":
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not same(cookie, sent):
        raise HTTPException(status_code=403, detail="CSRF check failed: reload the page and try again")


def safe_path(base: Path, relative: str) -> Path | None:
    """``base/relative`` if it stays inside ``base`` (after resolving links and ``..``), else None."""
    if not relative or "\x00" in relative or relative.startswith(("/", "\\")) or ":" in relative:
        return None
    base = base.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def sniff_audio(head: bytes) -> str | None:
    """ "wav" or "flac" from the magic bytes, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    return None
