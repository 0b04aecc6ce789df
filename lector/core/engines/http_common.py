"""Shared plumbing for engines that synthesize on a remote HTTP server.

- :func:`resolve_url` — server URL from ``LECTOR_<ID>_URL`` (wins) or ``[engines.<id>].url``.
- :class:`HttpClient` — sync httpx client with retries and exponential backoff on 5xx,
  connection errors and timeouts (never on 4xx: the server's message is raised at once as
  :class:`EngineError`), and a per-server concurrency limit (one semaphore per base URL,
  shared by every engine instance in the process). Exhausted retries raise
  :class:`EngineUnavailable` naming the URL and the fix.
- :func:`decode_audio` — every response is decoded (WAV/FLAC/MP3 via soundfile, raw PCM16)
  and checked: not empty, expected sample rate, finite, not silent -> float32 mono in [-1, 1].
- :func:`map_parallel` — runs one request per item, at most ``concurrency`` at a time.
"""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..errors import ConfigError, EngineError, EngineUnavailable
from ..project import EngineOptions
from .base import Capabilities, SynthRequest, VoiceInfo

if TYPE_CHECKING:
    from ..voices.store import Voice

AudioFormat = Literal["wav", "flac", "mp3", "pcm16"]
T = TypeVar("T")
R = TypeVar("R")

MAX_BACKOFF_S = 8.0
_SEMAPHORES: dict[str, threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def env_var_for(engine_id: str) -> str:
    """``gpt-sovits`` -> ``LECTOR_GPT_SOVITS_URL``."""
    return "LECTOR_" + engine_id.upper().replace("-", "_") + "_URL"


def resolve_url(engine_id: str, url_option: str | None) -> str:
    """The server's base URL: the environment wins over ``[engines.<id>].url``."""
    env_name = env_var_for(engine_id)
    url = os.environ.get(env_name) or url_option
    if not url:
        raise ConfigError(
            f"engine {engine_id!r} has no server URL",
            field=f"engines.{engine_id}.url",
            fix=f'set {env_name}=http://host:port or url = "http://host:port" '
            f"under [engines.{engine_id}] in project.toml",
        )
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"engine {engine_id!r} URL {url!r} is not http(s)",
            field=f"engines.{engine_id}.url",
            fix="write it as http://host:port",
        )
    return url.rstrip("/")


def server_semaphore(base_url: str, limit: int) -> threading.BoundedSemaphore:
    """One semaphore per server; the first limit configured for a URL wins."""
    with _SEMAPHORES_LOCK:
        sem = _SEMAPHORES.get(base_url)
        if sem is None:
            sem = _SEMAPHORES[base_url] = threading.BoundedSemaphore(limit)
        return sem


@dataclass(frozen=True)
class ServerConfig:
    engine_id: str
    url: str  # base URL, no trailing slash
    timeout_s: float = 60.0
    retries: int = 3  # extra attempts after the first
    concurrency: int = 1  # requests in flight to this server at once
    backoff_s: float = 0.5  # first retry waits this long, then doubles (capped at 8 s)


def server_message(resp: httpx.Response) -> str:
    """The error text a server put in its body (JSON ``message``/``detail``/``error``, or text)."""
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return resp.text.strip()[:300] or resp.reason_phrase
    if isinstance(body, dict):
        parts = []
        for key in ("message", "Exception", "detail", "error"):
            val = body.get(key)
            if isinstance(val, dict):
                val = val.get("message", val)
            if val not in (None, ""):
                parts.append(str(val))
        if parts:
            return "; ".join(parts)[:300]
    return str(body)[:300]


class HttpClient:
    """POSTs to one server with retries, backoff and the server's concurrency limit."""

    def __init__(self, config: ServerConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        timeout = httpx.Timeout(config.timeout_s, connect=min(config.timeout_s, 10.0))
        self._client = httpx.Client(base_url=config.url, timeout=timeout, transport=transport)
        self._sem = server_semaphore(config.url, config.concurrency)

    def close(self) -> None:
        self._client.close()

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST ``path``; kwargs go to httpx (``json=``, ``data=``, ``files=``, ``headers=``)."""
        cfg = self.config
        attempts = cfg.retries + 1
        last = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(cfg.backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
            try:
                with self._sem:
                    resp = self._client.post(path, **kwargs)
            except httpx.TimeoutException:
                last = f"no answer within {cfg.timeout_s:g} s"
                continue
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
                continue
            if resp.status_code >= 500:
                last = f"HTTP {resp.status_code}: {server_message(resp)}"
                continue
            if resp.status_code >= 400:
                raise EngineError(
                    f"{cfg.engine_id} server at {cfg.url}{path} refused the request "
                    f"(HTTP {resp.status_code}): {server_message(resp)}",
                    field=f"engines.{cfg.engine_id}",
                    fix="check the voice, language and text this sentence sends; "
                    "the server's message above says which field it rejects",
                )
            return resp
        raise EngineUnavailable(
            f"{cfg.engine_id} server at {cfg.url}{path} failed after {attempts} attempt(s): {last}",
            field=f"engines.{cfg.engine_id}.url",
            fix=f"start the {cfg.engine_id} server or point {env_var_for(cfg.engine_id)} / "
            f"[engines.{cfg.engine_id}].url at a running one (raise timeout_s for slow models)",
        )


def _riff_pcm(body: bytes) -> tuple[npt.NDArray[np.float32], int] | None:
    """Tolerant RIFF/WAVE reader for streamed WAVs whose size fields are 0 or 0xFFFFFFFF."""
    if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        return None
    pos, fmt = 12, None
    while pos + 8 <= len(body):
        cid, size = body[pos : pos + 4], struct.unpack("<I", body[pos + 4 : pos + 8])[0]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[pos + 8 : pos + 24])
        elif cid == b"data" and fmt is not None:
            tag, channels, rate, _, _, bits = fmt
            if tag != 1 or bits != 16:
                return None
            end = len(body) if size in (0, 0xFFFFFFFF) else min(len(body), pos + 8 + size)
            raw = body[pos + 8 : end]
            raw = raw[: len(raw) // (2 * channels) * 2 * channels]
            pcm = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
            return pcm.reshape(-1, channels), rate
        pos += 8 + size + (size & 1)
    return None


def _decode(body: bytes, fmt: AudioFormat, rate: int) -> tuple[npt.NDArray[np.float32], int]:
    if fmt == "pcm16":
        if len(body) % 2:
            raise ValueError(f"raw PCM16 body has an odd length ({len(body)} bytes)")
        return (np.frombuffer(body, "<i2").astype(np.float32) / 32768.0).reshape(-1, 1), rate
    try:
        data, got_rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=True)
        return data, int(got_rate)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        riff = _riff_pcm(body) if fmt == "wav" else None
        if riff is None:
            raise ValueError(f"not a readable {fmt} file ({exc})") from None
        return riff


def decode_audio(
    body: bytes, fmt: AudioFormat, expected_rate: int, *, engine_id: str, where: str
) -> npt.NDArray[np.float32]:
    """Decode and check one response body -> float32 mono in [-1, 1] at ``expected_rate``."""

    def bad(what: str, fix: str) -> EngineError:
        return EngineError(
            f"{engine_id} server at {where} returned bad audio: {what}", field=f"engines.{engine_id}", fix=fix
        )

    if not body:
        raise bad("empty body", "check the server log; the model produced no audio")
    try:
        data, rate = _decode(body, fmt, expected_rate)
    except ValueError as exc:
        raise bad(str(exc), f"make the server answer {fmt} audio") from None
    if rate != expected_rate:
        raise bad(
            f"{rate} Hz audio, expected {expected_rate} Hz",
            f"set sample_rate = {rate} under [engines.{engine_id}] if the server's model "
            f"really runs at {rate} Hz",
        )
    audio = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if audio.size == 0:
        raise bad("no samples", "check the server log; the model produced no audio")
    if not np.all(np.isfinite(audio)):
        raise bad("NaN or infinite samples", "restart the server; the model diverged")
    peak = float(np.max(np.abs(audio)))
    if peak < 1e-4:
        raise bad(f"silence (peak {peak:.1e})", "check the reference clip and the text sent")
    return np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False)


def map_parallel(func: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    """``[func(x) for x in items]`` with at most ``concurrency`` calls at once, order kept."""
    if concurrency <= 1 or len(items) <= 1:
        return [func(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(func, items))


class RemoteEngine:
    """Base of the HTTP engines: URL, client, voice folders, parallel requests, checked audio.

    Subclasses set ``ENGINE_ID``/``DEFAULT_SAMPLE_RATE``, build ``capabilities`` in
    :meth:`_capabilities` and synthesize one request in :meth:`_synthesize_one`.
    """

    ENGINE_ID = ""
    DEFAULT_SAMPLE_RATE = 24000
    VERSION = "1"

    def __init__(
        self,
        options: EngineOptions | None = None,
        *,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.url = resolve_url(self.ENGINE_ID, self.options.url)
        self.sample_rate = self.options.sample_rate or self.DEFAULT_SAMPLE_RATE
        self.capabilities = self._capabilities()
        self.client = HttpClient(
            ServerConfig(
                engine_id=self.ENGINE_ID,
                url=self.url,
                timeout_s=self.options.timeout_s,
                retries=self.options.retries,
                concurrency=self.options.concurrency,
                backoff_s=backoff_s,
            ),
            transport=transport,
        )

    def _capabilities(self) -> Capabilities:  # pragma: no cover - abstract
        raise NotImplementedError

    def _synthesize_one(self, req: SynthRequest) -> npt.NDArray[np.float32]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def version(self) -> str:
        return self.VERSION + (f"+{self.options.model}" if self.options.model else "")

    def voices_root(self) -> Path:
        root = self.options.voices_dir or os.environ.get("LECTOR_VOICES_DIR")
        if not root:
            raise ConfigError(
                f"engine {self.ENGINE_ID!r} needs the project's voices folder",
                field=f"engines.{self.ENGINE_ID}.voices_dir",
                fix="render through the project (it sets voices_dir) or set "
                "LECTOR_VOICES_DIR=<project>/voices",
            )
        return Path(root)

    def voice(self, name: str) -> Voice:
        from ..voices.store import load_voice

        return load_voice(self.voices_root(), name)

    def voices(self) -> tuple[VoiceInfo, ...]:
        from ..voices.store import list_voices

        if not (self.options.voices_dir or os.environ.get("LECTOR_VOICES_DIR")):
            return ()
        return tuple(
            VoiceInfo(v.name, v.config.language, v.config.description)
            for v in list_voices(self.voices_root())
            if v.config.engine == self.ENGINE_ID
        )

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]:
        from .registry import check_request

        for req in requests:
            check_request(self.capabilities, req)
        return map_parallel(self._synthesize_one, list(requests), self.options.concurrency)

    def decode(self, resp: httpx.Response, fmt: AudioFormat, path: str) -> npt.NDArray[np.float32]:
        return decode_audio(
            resp.content, fmt, self.sample_rate, engine_id=self.ENGINE_ID, where=f"{self.url}{path}"
        )

    def close(self) -> None:
        self.client.close()


def request_speed(req: SynthRequest, low: float, high: float) -> float:
    """Cast speed x SSML rate, clamped to what the API accepts."""
    return float(min(high, max(low, req.speed * req.prosody.rate)))


def request_lang(req: SynthRequest, default: str) -> str:
    """The request's language: the one span language, ``zh`` for zh+en mixes, else ``default``."""
    langs = {s.lang for s in req.spans if s.spoken.strip()}
    if len(langs) == 1:
        return langs.pop()
    if langs == {"zh", "en"}:
        return "zh"
    return default
