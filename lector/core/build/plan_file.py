"""build/plan.json a chapter at a time: where each chapter's entry lies in the file, one entry read,
one entry replaced.

A long book's plan.json is tens of MB (every sentence with its spans and tokens) and its parsed
dicts several times that; the review app shows one chapter at a time and its preview worker
re-plans one chapter per edit. ``scan_plan`` walks the file once, one chapter decoded at a time,
and keeps the byte span of each chapter's entry with its sentences' ids and sources;
``read_entry`` decodes one entry from its span, ``replace_entry`` rewrites one entry (and the
plan's hash and warnings) in place of the old, formatted as ``planner.plan_to_json`` writes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Chapter, PlanWarning

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
CHAPTER_INDENT = "\n    "  # plan_to_json (indent=2) nests a chapter entry two levels deep
FIELD_INDENT = "\n  "


class PlanFileError(ValueError):
    """plan.json is not a plan object as the planner writes it."""


@dataclass(frozen=True)
class PlanEntry:
    index: int
    title: str
    start: int  # byte offsets of the chapter's JSON object in plan.json
    end: int
    sentences: tuple[tuple[str, str], ...]  # (id, source) of each sentence, in order


@dataclass(frozen=True)
class PlanLayout:
    fields: Mapping[str, tuple[int, int]]  # top-level key -> byte span of its value
    chapters: tuple[PlanEntry, ...]
    identity: tuple[int, ...] = ()  # the file's (hashing.FileFacts.identity) these spans are of

    def entry(self, index: int) -> PlanEntry | None:
        return next((c for c in self.chapters if c.index == index), None)


def scan_plan(data: bytes) -> PlanLayout:
    """The layout of a plan.json's bytes. Raises PlanFileError when they are not a plan object.

    The bytes are read as latin-1, one character per byte, so offsets are byte offsets: UTF-8's
    multi-byte sequences are all >= 0x80 and never read as JSON syntax."""
    text = data.decode("latin-1")
    try:
        return _scan(text, data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise PlanFileError(f"plan.json is not a plan: {exc}") from None


def _skip(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _scan(text: str, data: bytes) -> PlanLayout:
    pos = _skip(text, 0)
    if text[pos] != "{":
        raise ValueError("not an object")
    pos = _skip(text, pos + 1)
    fields: dict[str, tuple[int, int]] = {}
    chapters: tuple[PlanEntry, ...] = ()
    while text[pos] != "}":
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] != ":":
            raise ValueError(f"no ':' after {key!r}")
        start = _skip(text, pos + 1)
        if key == "chapters":
            chapters, end = _chapters(text, data, start)
        else:
            end = _DECODER.raw_decode(text, start)[1]
        fields[str(key)] = (start, end)
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        elif text[pos] != "}":
            raise ValueError(f"unexpected {text[pos]!r} at byte {pos}")
    return PlanLayout(fields, chapters)


def _chapters(text: str, data: bytes, pos: int) -> tuple[tuple[PlanEntry, ...], int]:
    if text[pos] != "[":
        raise ValueError("chapters is not a list")
    pos, out = _skip(text, pos + 1), []
    while text[pos] != "]":
        value, end = _DECODER.raw_decode(text, pos)
        out.append(_entry(value, data, pos, end))
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        elif text[pos] != "]":
            raise ValueError(f"unexpected {text[pos]!r} at byte {pos}")
    return tuple(out), pos + 1


def _entry(value: Any, data: bytes, start: int, end: int) -> PlanEntry:
    title = value.get("title", "")
    rows = tuple((str(s["id"]), str(s.get("source", ""))) for s in value.get("sentences", []))
    if not (title.isascii() and all(i.isascii() and src.isascii() for i, src in rows)):
        value = json.loads(data[start:end].decode("utf-8"))  # read as latin-1 above: decode again
        title = value.get("title", "")
        rows = tuple((str(s["id"]), str(s.get("source", ""))) for s in value.get("sentences", []))
    return PlanEntry(int(value["index"]), str(title), start, end, rows)


def read_entry(chunk: bytes, index: int) -> dict[str, Any]:
    """Chapter ``index``'s entry (Chapter.to_dict's form) from the bytes of its span."""
    value = json.loads(chunk.decode("utf-8"))
    if not isinstance(value, dict) or value.get("index") != index:
        raise PlanFileError(f"plan.json changed: chapter {index} is not where it was")
    return value


def replace_entry(
    data: bytes,
    layout: PlanLayout,
    chapter: Chapter,
    *,
    plan_hash: str,
    warnings: Sequence[PlanWarning],
) -> tuple[bytes, PlanLayout]:
    """plan.json's bytes with ``chapter``'s entry, ``plan_hash`` and ``warnings`` replaced (the rest
    byte for byte as it was), and their new layout. Raises PlanFileError when the chapter or
    those fields are not in the file."""
    entry = layout.entry(chapter.index)
    if entry is None or "plan_hash" not in layout.fields or "warnings" not in layout.fields:
        raise PlanFileError(f"plan.json has no entry for chapter {chapter.index}")
    body = json.dumps(chapter.to_dict(), ensure_ascii=False, indent=2).replace("\n", CHAPTER_INDENT)
    notes = json.dumps([w.to_dict() for w in warnings], ensure_ascii=False, indent=2)
    edits = sorted(
        [
            (*layout.fields["plan_hash"], json.dumps(plan_hash).encode()),
            (entry.start, entry.end, body.encode("utf-8")),
            (*layout.fields["warnings"], notes.replace("\n", FIELD_INDENT).encode("utf-8")),
        ]
    )
    pieces, at, moved = [], 0, []  # moved: (old end, shift after it)
    for start, end, new in edits:
        pieces += [data[at:start], new]
        at = end
        moved.append((end, start + len(new) - end))
    pieces.append(data[at:])

    def shift(offset: int) -> int:
        return offset + sum(delta for end, delta in moved if end <= offset)

    rows = tuple((s.id, s.source) for s in chapter.sentences)
    chapters = tuple(
        replace(c, start=shift(c.start), end=shift(c.end))
        if c.index != chapter.index
        else PlanEntry(c.index, chapter.title, shift(c.start), shift(c.end), rows)
        for c in layout.chapters
    )
    fields = {k: (shift(s), shift(e)) for k, (s, e) in layout.fields.items()}
    return b"".join(pieces), PlanLayout(fields, chapters, layout.identity)
