"""Editors' per-sentence overrides, stored in ``<project>/overrides.json``.

The review app writes them (``save_overrides``), the planner applies them:
``seeds`` (sentence id -> seed, a new take), ``emotions`` (id -> emotion name,
optionally ``name:degree``), ``voices`` (id -> cast name) and ``pronunciations`` (id -> {word:
pronunciation}, read in that sentence only; written only when there is one, so older files stay as
they were). Writes are atomic
(fsutil.atomic_write_text), so a reader never sees half a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError
from .fsutil import atomic_write_text

FILE_NAME = "overrides.json"


@dataclass(frozen=True)
class Overrides:
    seeds: dict[str, int] = field(default_factory=dict)
    emotions: dict[str, str] = field(default_factory=dict)
    voices: dict[str, str] = field(default_factory=dict)
    pronunciations: dict[str, dict[str, str]] = field(default_factory=dict)

    def with_seed(self, sentence_id: str, seed: int) -> Overrides:
        return replace(self, seeds={**self.seeds, sentence_id: int(seed)})

    def with_emotion(self, sentence_id: str, emotion: str) -> Overrides:
        return replace(self, emotions={**self.emotions, sentence_id: emotion})

    def with_voice(self, sentence_id: str, voice: str) -> Overrides:
        return replace(self, voices={**self.voices, sentence_id: voice})

    def with_pronunciation(self, sentence_id: str, word: str, pron: str) -> Overrides:
        words = {**self.pronunciations.get(sentence_id, {}), word: pron}
        return replace(self, pronunciations={**self.pronunciations, sentence_id: words})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seeds": dict(sorted(self.seeds.items())),
            "emotions": dict(sorted(self.emotions.items())),
            "voices": dict(sorted(self.voices.items())),
        }
        if self.pronunciations:
            out["pronunciations"] = {k: dict(v) for k, v in sorted(self.pronunciations.items())}
        return out


def overrides_path(project_root: str | Path) -> Path:
    return Path(project_root) / FILE_NAME


def load_overrides(project_root: str | Path) -> Overrides:
    """Read ``overrides.json`` (missing file = no overrides). Raises ConfigError."""
    path = overrides_path(project_root)
    if not path.is_file():
        return Overrides()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"invalid JSON: {exc.msg} (column {exc.colno})",
            file=path,
            line=exc.lineno,
            fix="fix the JSON or delete the file to drop all overrides",
        ) from None
    if not isinstance(data, dict) or set(data) - {"seeds", "emotions", "voices", "pronunciations"}:
        raise ConfigError(
            "expected an object with keys seeds, emotions, voices, pronunciations",
            file=path,
            fix='write {"seeds": {}, "emotions": {}, "voices": {}}',
        )
    seeds = _mapping(data, "seeds", int, path)
    for key, value in seeds.items():
        if not 0 <= value <= 0x7FFFFFFF:
            raise ConfigError(
                f"seed {value} out of range", file=path, field=f"seeds.{key}", fix="use 0..2147483647"
            )
    return Overrides(
        seeds=seeds,
        emotions=_mapping(data, "emotions", str, path),
        voices=_mapping(data, "voices", str, path),
        pronunciations=_pronunciations(data, path),
    )


def _pronunciations(data: dict[str, Any], path: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for sid, words in _mapping(data, "pronunciations", dict, path).items():
        if not all(isinstance(w, str) and isinstance(p, str) and w and p for w, p in words.items()):
            raise ConfigError(
                f"pronunciations[{sid!r}] must map words to pronunciations",
                file=path,
                field=f"pronunciations.{sid}",
                fix='write {"<word>": "<IPA or pinyin>"}',
            )
        out[sid] = dict(words)
    return out


T = TypeVar("T")


def _mapping(data: dict[str, Any], key: str, kind: type[T], path: Path) -> dict[str, T]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(
            f"{key} must be an object (sentence id -> value)",
            file=path,
            field=key,
            fix=f'write "{key}": {{"<sentence id>": ...}}',
        )
    for sid, item in value.items():
        if not isinstance(item, kind) or isinstance(item, bool):
            raise ConfigError(
                f"{key}[{sid!r}] = {item!r} is not a {kind.__name__}",
                file=path,
                field=f"{key}.{sid}",
                fix=f"use a {kind.__name__}",
            )
    return dict(value)


def save_overrides(project_root: str | Path, overrides: Overrides) -> Path:
    """Write ``overrides.json`` atomically; returns its path."""
    path = overrides_path(project_root)
    text = json.dumps(overrides.to_dict(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_text(path, text)  # keeps the file's mode; the umask default when new
    return path
