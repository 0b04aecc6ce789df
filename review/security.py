"""Review app security: access token for non-local binds, CSRF for state changes,
safe file serving, upload checks, response headers.

* Token: with a token configured every request needs it, as ``Authorization: Bearer T``
  or the ``lector_token`` cookie, which ``?token=T`` on any GET sets (then redirects
  to the same URL without it). Comparisons are constant time.
* CSRF: each browser gets a random ``lector_csrf`` cookie; a POST must echo it in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field (double-submit cookie). Requests
  that authenticate with a Bearer header (scripts, never sent by a browser on its own)
  are exempt.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from pathlib import Path
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from tts_engine.errors import ConfigError

TOKEN_COOKIE = "lector_token"
CSRF_COOKIE = "lector_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-local bind without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(f"refusing to serve the review app on {host} without an access token",
                          field="--host", fix="pass --token T (or set LECTOR_REVIEW_TOKEN), or bind 127.0.0.1")


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


class SecurityMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, token: str | None = None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next) -> Response:
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
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def _authenticate(self, request: Request) -> Response | None:
        if same(_bearer(request), self.token) or same(request.cookies.get(TOKEN_COOKIE), self.token):
            return None
        query = request.query_params.get("token")
        if request.method == "GET" and same(query, self.token):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            url = URL(str(request.url)).replace(query=urlencode(rest))
            response = RedirectResponse(url.path + (f"?{url.query}" if url.query else ""), status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/")
            return response
        return PlainTextResponse("401: this review server needs its access token (open the URL with ?token=...)",
                                 status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency for every POST route."""
    from fastapi import HTTPException

    if _bearer(request) is not None:      # already authenticated by the middleware
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
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
    """"wav" or "flac" from the magic bytes, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    return None
