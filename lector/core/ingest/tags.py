"""Inline tags for Markdown/plain-text manuscripts: ``[[kind:value]]``.

Supported (see docs/MANUSCRIPT.md for scope rules)::

    [[emotion:sad]]  [[emotion:sad:0.6]]  [[voice:alice]]
    [[pause:800ms]]  [[pause:1.5s]]       [[seed:123]]

:func:`scan` splits a line into literal text and parsed :class:`Tag` values and
validates them against the project's emotions and voices; errors are
:class:`~lector.core.errors.TagError` naming file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypedDict

from ..errors import TagError, did_you_mean
from .raw import Style

TAG_KINDS = ("emotion", "voice", "pause", "seed")
MAX_PAUSE_MS = 60_000
_PAUSE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)")
_NAME_RE = re.compile(r"[A-Za-z][\w-]*")


@dataclass(frozen=True)
class Vocabulary:
    """What tags may name: the project's emotions and cast names."""

    emotions: tuple[str, ...]
    voices: tuple[str, ...]


@dataclass(frozen=True)
class Tag:
    kind: str  # one of TAG_KINDS
    value: str = ""  # emotion or voice name
    degree: float | None = None  # emotion degree
    ms: int | None = None  # pause length
    seed: int | None = None
    line: int = 0
    column: int = 0


def scan(text: str, *, file: str | Path, line: int, vocab: Vocabulary) -> list[str | Tag]:
    """Split one line into literal strings and tags (in order). Raises TagError."""
    out: list[str | Tag] = []
    pos = 0
    while True:
        start = text.find("[[", pos)
        if start < 0:
            break
        end = text.find("]]", start + 2)
        if end < 0:
            raise TagError(
                f"unclosed tag {text[start : start + 30]!r} (column {start + 1})",
                file=file,
                line=line,
                fix="close it with ]], e.g. [[emotion:sad]]",
            )
        if start > pos:
            out.append(text[pos:start])
        out.append(parse_tag(text[start + 2 : end], file=file, line=line, column=start + 1, vocab=vocab))
        pos = end + 2
    if pos < len(text):
        out.append(text[pos:])
    if "]]" in "".join(s for s in out if isinstance(s, str)):
        raise TagError(
            "stray ']]' without a matching '[['",
            file=file,
            line=line,
            fix="open the tag with [[, e.g. [[voice:alice]]",
        )
    return out


class _Where(TypedDict):
    """Where a tag sits, as TagError keywords."""

    file: str | Path
    line: int


def parse_tag(body: str, *, file: str | Path, line: int, column: int, vocab: Vocabulary) -> Tag:
    """Parse the inside of ``[[...]]``."""
    kind, _, rest = body.strip().partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    where: _Where = {"file": file, "line": line}
    if kind not in TAG_KINDS:
        raise TagError(
            f"unknown tag [[{body}]] (column {column})",
            **where,
            fix=f"use one of: {', '.join(f'[[{k}:...]]' for k in TAG_KINDS)}",
        )
    if not rest:
        raise TagError(
            f"tag [[{body}]] has no value (column {column})", **where, fix=f"write it as [[{kind}:VALUE]]"
        )
    if kind == "emotion":
        return _emotion(rest, body, where, column, vocab)
    if kind == "voice":
        if rest not in vocab.voices:
            raise TagError(
                f"unknown voice {rest!r} in [[{body}]]{did_you_mean(rest, vocab.voices)}",
                **where,
                fix=f"use one of: {', '.join(vocab.voices)} (or add [voices.{rest}] to project.toml)",
            )
        return Tag("voice", value=rest, line=line, column=column)
    if kind == "pause":
        return Tag("pause", ms=parse_duration_ms(rest, file=file, line=line), line=line, column=column)
    if not re.fullmatch(r"\d{1,10}", rest) or int(rest) > 0x7FFFFFFF:
        raise TagError(
            f"bad seed {rest!r} in [[{body}]]",
            **where,
            fix="use a whole number between 0 and 2147483647, e.g. [[seed:123]]",
        )
    return Tag("seed", seed=int(rest), line=line, column=column)


def _emotion(rest: str, body: str, where: _Where, column: int, vocab: Vocabulary) -> Tag:
    name, _, degree_text = rest.partition(":")
    name = name.strip()
    if name not in vocab.emotions:
        raise TagError(
            f"unknown emotion {name!r} in [[{body}]]{did_you_mean(name, vocab.emotions)}",
            **where,
            fix=f"use one of: {', '.join(vocab.emotions)} (or add it to emotions in project.toml)",
        )
    degree = None
    if degree_text:
        try:
            degree = float(degree_text)
        except ValueError:
            degree = -1.0
        if not 0.0 < degree <= 2.0:
            raise TagError(
                f"bad emotion degree {degree_text!r} in [[{body}]]",
                **where,
                fix="use a number in (0, 2], e.g. [[emotion:sad:0.6]]",
            )
    return Tag("emotion", value=name, degree=degree, line=where["line"], column=column)


def parse_duration_ms(text: str, *, file: str | Path | None, line: int | None) -> int:
    """``800ms`` / ``1.5s`` -> milliseconds. Raises TagError."""
    m = _PAUSE_RE.fullmatch(text.strip())
    if not m:
        raise TagError(f"bad pause length {text!r}", file=file, line=line, fix="write it like 800ms or 1.5s")
    value = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
    if value > MAX_PAUSE_MS:
        raise TagError(
            f"pause {text!r} is longer than {MAX_PAUSE_MS // 1000} s",
            file=file,
            line=line,
            fix="use a shorter pause",
        )
    return round(value)


def apply(style: Style, tag: Tag) -> Style:
    """Style after an emotion/voice tag (pause/seed leave the style alone)."""
    if tag.kind == "emotion":
        return replace(style, emotion=tag.value, emotion_degree=tag.degree)
    if tag.kind == "voice":
        return replace(style, voice=tag.value)
    return style


def is_tag_only(parts: list[str | Tag]) -> bool:
    """True when a scanned line holds tags and nothing but whitespace."""
    return any(isinstance(p, Tag) for p in parts) and all(isinstance(p, Tag) or not p.strip() for p in parts)
