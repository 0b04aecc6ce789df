"""Reading and writing one JSON record under build/: the schema check and the atomic write.

Every record file carries ``"schema": "lector-<kind>-v<N>"``. A file without one was written
before records were versioned and reads as version 1; a file naming another kind or a version
this Lector does not know (a newer Lector wrote it) is refused with :class:`BuildRecordError`
instead of being half-read or overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import BuildRecordError
from ..fsutil import atomic_write_bytes

JsonObject = dict[str, Any]


def schema_of(kind: str, version: int = 1) -> str:
    return f"lector-{kind}-v{version}"


def check_schema(data: JsonObject, kind: str, path: Path, version: int = 1) -> None:
    """Refuse ``data`` unless it is a ``kind`` record of ``version`` (or older and unversioned)."""
    found = data.get("schema", schema_of(kind, 1))
    if found != schema_of(kind, version):
        raise BuildRecordError(
            f"{path.name} has schema {found!r}; this Lector reads {schema_of(kind, version)!r}",
            file=path,
            field="schema",
            fix="use the Lector version that wrote this build, or delete the file and render again",
        )


def read_object(path: Path, kind: str, version: int = 1) -> JsonObject | None:
    """The JSON object in ``path`` after the schema check; None when the file is absent.
    Unreadable JSON or a non-object is a BuildRecordError naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BuildRecordError(f"cannot read {path.name}: {exc}", file=path, fix="check the file") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildRecordError(
            f"{path.name} is damaged: {exc}", file=path, fix="delete it and render again"
        ) from None
    if not isinstance(data, dict):
        raise BuildRecordError(
            f"{path.name} holds a JSON {type(data).__name__}, not an object",
            file=path,
            fix="delete it and render again",
        )
    check_schema(data, kind, path, version)
    return data


def write_object(
    path: Path,
    data: JsonObject,
    *,
    indent: int | None = 2,
    ensure_ascii: bool = False,
    sort_keys: bool = False,
    newline: bool = True,
    fsync: bool = True,
) -> Path:
    """``data`` as JSON at ``path``, atomically (lector.core.fsutil), in the file's own format."""
    text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)
    return atomic_write_bytes(path, (text + ("\n" if newline else "")).encode("utf-8"), fsync=fsync)


def field_error(path: Path, exc: Exception) -> BuildRecordError:
    """A record whose fields do not fit (missing key, wrong type)."""
    return BuildRecordError(
        f"{path.name} does not hold the expected fields: {type(exc).__name__}: {exc}",
        file=path,
        fix="delete it and render again",
    )
