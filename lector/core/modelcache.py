"""Models derived once from a shipped model (a patched engine graph, converted encoder weights) and
kept in the per-user model cache (:func:`lector.core.fsutil.model_cache_dir`).

The file name carries the sha256 of the source; a sidecar ``.sha256`` holds the derived file's own
hash. A changed source or a corrupt/partial file is rebuilt; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from .fsutil import atomic_write_bytes, model_cache_dir
from .hashing import sha256_file


def cached_model(
    source: Path, tag: str, suffix: str, build: Callable[[Path], bytes], *, stem: str | None = None
) -> Path:
    """``build(source)``'s bytes, made once and kept as ``<stem>.<tag>.<source sha256>[:16]<suffix>``
    (``stem``: the source's own by default)."""
    src_hash = sha256_file(source)
    out_dir = model_cache_dir()
    out = out_dir / f"{stem or source.stem}.{tag}.{src_hash[:16]}{suffix}"
    side = out.with_name(out.name + ".sha256")
    if out.is_file() and side.is_file() and side.read_text().strip() == sha256_file(out):
        return out
    data = build(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, payload in ((out, data), (side, hashlib.sha256(data).hexdigest().encode())):
        atomic_write_bytes(path, payload)  # the umask's mode (fsutil), not mkstemp's 0600
    return out
