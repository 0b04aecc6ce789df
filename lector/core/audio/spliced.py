"""Where each mastered block's encoded frames lie inside a chapter file made of them.

A chapter FLAC is its blocks' FLAC frames back to back (flacsplice.py) and a chapter MP3 is its
blocks' MP3 frames back to back (blockcodec.py), so once the chapter file is written a block's own
frame file is a second copy of the same bytes. :class:`Spliced` records each block's byte span in
the chapter file (kept in the file's stamp, lector.core.build.Stamp.extra), the block files are
removed, and the next splice after an edit reads the unchanged blocks' frames back from the
previous chapter file instead. A span is used only while the file is the one its stamp describes
(size and sha256 checked by the caller), and a block read back must hold the frames its frame
table says (checked by the reader), so a stale span costs a re-encode, never a wrong byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPANS_KEY = "blocks"  # the stamp's extra key holding the spans


@dataclass(frozen=True)
class Span:
    offset: int  # byte offset of the block's first frame in the chapter file
    nbytes: int
    start_sample: int  # where the block starts in that file's audio

    def to_list(self) -> list[int]:
        return [self.offset, self.nbytes, self.start_sample]


@dataclass(frozen=True)
class Spliced:
    """A chapter file and the byte span of each block (by block id) in it."""

    path: Path
    spans: Mapping[str, Span] = field(default_factory=dict)
    codec: str = ""  # the block encoder's tag (MP3: blockcodec recipe + ffmpeg build); "" for FLAC

    def __contains__(self, block_id: object) -> bool:
        return block_id in self.spans

    def read(self, block_id: str) -> bytes | None:
        """The block's frames as they lie in the chapter file; None when unknown or unreadable."""
        span = self.spans.get(block_id)
        if span is None:
            return None
        try:
            with open(self.path, "rb") as fh:
                fh.seek(span.offset)
                data = fh.read(span.nbytes)
        except OSError:
            return None
        return data if len(data) == span.nbytes else None

    def to_extra(self) -> dict[str, Any]:
        """What the chapter file's stamp keeps (Stamp.extra)."""
        spans = {k: s.to_list() for k, s in self.spans.items()}
        return {SPANS_KEY: spans, "codec": self.codec} if self.codec else {SPANS_KEY: spans}

    @classmethod
    def from_extra(cls, path: Path, extra: Mapping[str, Any]) -> Spliced | None:
        """The spans a stamp kept for ``path``; None when it kept none or they do not parse."""
        raw = extra.get(SPANS_KEY)
        if not isinstance(raw, dict):
            return None
        try:
            spans = {str(k): Span(int(v[0]), int(v[1]), int(v[2])) for k, v in raw.items()}
        except (TypeError, ValueError, IndexError):
            return None
        return cls(path, spans, str(extra.get("codec", "")))


def lay_out(path: Path, head_bytes: int, blocks: Iterable[tuple[str, int, int]], codec: str = "") -> Spliced:
    """The spans of blocks written back to back after ``head_bytes``: (block id, bytes, start sample)
    each, in file order."""
    spans, at = {}, head_bytes
    for block_id, nbytes, start in blocks:
        spans[block_id] = Span(at, nbytes, start)
        at += nbytes
    return Spliced(path, spans, codec)


def covers(spliced: Spliced | None, block_ids: Sequence[str]) -> bool:
    """Every block of ``block_ids`` has a span in ``spliced``."""
    return spliced is not None and all(b in spliced for b in block_ids)
