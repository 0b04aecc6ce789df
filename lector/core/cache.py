"""Content-addressed render cache.

One rendered sentence = one FLAC file (24-bit, the engine's native rate) named
by :func:`render_key`, the sha256 of everything that changes the audio:

- engine id and engine version (a version bump invalidates the engine's entries);
- engine voice, emotion and emotion degree, seed, prosody (rate, pitch, volume),
  cast speed and pitch;
- per span: spoken text and language, and — when the engine accepts phonemes —
  each token's text and pronunciation (a lexicon edit re-renders exactly the
  sentences whose pronunciation changed; engines that ignore phonemes do not
  re-render for nothing);
- ``params``: engine settings that change the sound (model path, server model).

The seed is always part of the key, also for engines that are not seedable: the
planner derives it from the sentence id, so it only changes on an explicit
re-roll, and a re-roll of a non-deterministic engine must give a new take.
Display text, sentence id, token origins and pauses are *not* in the key.

Stores implement :class:`~lector.core.audio.store.Store` (the protocol stitching reads takes
through, so it lives below this module); :class:`LocalStore` keeps
``<root>/<key[:2]>/<key>.flac`` (``root`` = ``<project>/build/cache``). The flows
side adds an S3 store implementing ``exists``/``get_bytes``/``put_bytes`` and can
inherit ``read``/``write`` from :class:`BytesStore`. A partial or corrupt entry
reads as a miss (:func:`try_read`) and is overwritten by the next render.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .audio.io import Audio, decode_audio, encode_flac
from .audio.store import Store, try_read
from .engines.base import Capabilities, SynthRequest
from .errors import AudioError, CacheError
from .fsutil import atomic_write_bytes
from .model import Span

__all__ = [
    "KEY_SCHEMA",
    "BytesStore",
    "LocalStore",
    "Store",
    "check_key",
    "project_store",
    "render_key",
    "take_info",
    "try_read",
]

KEY_SCHEMA = "lector-render-v1"
_KEY_RE = re.compile(r"[0-9a-f]{64}")


def render_key(request: SynthRequest, caps: Capabilities, params: Mapping[str, str] | None = None) -> str:
    """sha256 hex of the render identity of ``request`` on the engine described by ``caps``."""
    identity = {
        "schema": KEY_SCHEMA,
        "engine": caps.engine_id,
        "version": caps.version,
        "voice": request.voice,
        "spans": [_span_identity(s, caps.accepts_phonemes) for s in request.spans],
        "emotion": request.emotion,
        "emotion_degree": float(request.emotion_degree),
        "seed": int(request.seed),
        "prosody": [
            float(request.prosody.rate),
            float(request.prosody.pitch),
            float(request.prosody.volume_db),
        ],
        "speed": float(request.speed),
        "pitch": float(request.pitch),
        "params": {str(k): str(v) for k, v in sorted((params or {}).items()) if v is not None},
    }
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _span_identity(span: Span, with_tokens: bool) -> list[object]:
    item: list[object] = [span.spoken, span.lang]
    if with_tokens:
        item.append([[t.text, t.pron] for t in span.tokens])
    return item


def check_key(key: str) -> str:
    if not _KEY_RE.fullmatch(key):
        raise CacheError(
            f"invalid cache key {key!r}",
            field="key",
            fix="use render_key(), a 64-character lowercase sha256 hex",
        )
    return key


class BytesStore:
    """Mixin: ``read``/``write`` (FLAC encode/decode) on top of ``get_bytes``/``put_bytes``."""

    def get_bytes(self, key: str) -> bytes | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def put_bytes(self, key: str, data: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, key: str) -> tuple[Audio, int]:
        data = self.get_bytes(check_key(key))
        if data is None:
            raise CacheError(f"no cache entry {key}", field="key", fix="render the sentence first")
        try:
            audio, sr = decode_audio(data)
        except AudioError as exc:
            raise CacheError(
                f"corrupt cache entry {key}: {exc.message}",
                field="key",
                fix="it is re-rendered on the next run",
            ) from None
        if audio.size == 0 or not np.isfinite(audio).all():
            raise CacheError(
                f"empty or invalid cache entry {key}", field="key", fix="it is re-rendered on the next run"
            )
        return audio, sr

    def write(self, key: str, audio: Audio, sample_rate: int) -> None:
        self.put_bytes(check_key(key), encode_flac(audio, sample_rate))

    def path_for(self, key: str) -> Path | None:
        return None


class LocalStore(BytesStore):
    """Cache in a folder: ``<root>/<key[:2]>/<key>.flac``, written atomically."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / f"{key}.flac"

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            return None

    def put_bytes(self, key: str, data: bytes) -> None:
        atomic_write_bytes(self.path_for(key), data)

    def write(self, key: str, audio: Audio, sample_rate: int) -> None:
        super().write(key, audio, sample_rate)
        _remember(self.path_for(key), np.asarray(audio).size, sample_rate)


# local entries known good in this process: path -> (size, mtime_ns, samples, sample rate)
_VERIFIED: dict[str, tuple[int, int, int, int]] = {}
_VERIFIED_LOCK = threading.Lock()


def _remember(path: Path, samples: int, sample_rate: int) -> None:
    try:
        st = path.stat()
    except OSError:
        return
    with _VERIFIED_LOCK:
        _VERIFIED[str(path)] = (st.st_size, st.st_mtime_ns, samples, sample_rate)


def take_info(store: Store, key: str) -> tuple[int, int] | None:
    """(samples, sample rate) of a cached take, or None for a miss (absent, partial or corrupt).

    Every entry is decoded once per process to prove it whole; a local file written or decoded
    before is then trusted while its size and mtime are unchanged, so a long-running process
    (review app, served worker) re-checks an edited chapter's 100 takes with 100 stat calls."""
    path = store.path_for(key)
    if path is not None:
        try:
            st = path.stat()
        except OSError:
            return None
        known = _VERIFIED.get(str(path))
        if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
            return known[2], known[3]
    hit = try_read(store, key)
    if hit is None:
        return None
    if path is not None:
        _remember(path, hit[0].size, hit[1])
    return hit[0].size, hit[1]


def project_store(build_dir: str | Path) -> LocalStore:
    """The project's local cache: ``<build_dir>/cache``."""
    return LocalStore(Path(build_dir) / "cache")
