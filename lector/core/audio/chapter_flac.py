"""A chapter's 16-bit FLAC spliced from its stored blocks' frames, encoding nothing.

Owns choosing, per block, where its already-encoded FLAC frames come from (its own file, or the
chapter's previous FLAC when the block file is gone) and checking they are intact before they are
spliced (:mod:`.flacsplice` does the byte work). When any block's frames are unusable the chapter
is decoded and encoded whole instead, so a damaged store never yields a damaged chapter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..hashing import FACTS
from .block_store import MasteredBlock, block_path, chapter_audio
from .flacsplice import FRAME as FLAC_FRAME
from .flacsplice import STREAM_HEADER, frame_number, renumbered_lengths, retag, write_spliced
from .master_flac import write_master_flac
from .spliced import Spliced, lay_out


def splice_chapter_flac(
    path: str | Path,
    block_dir: Path,
    blocks: Sequence[MasteredBlock],
    sample_rate: int,
    metadata: bytes = b"",
    *,
    previous: Spliced | None = None,
) -> Spliced | None:
    """The chapter's 16-bit FLAC spliced from its blocks' stored frames (flacsplice.py: nothing is
    encoded), a block's frames read from its own file or else from ``previous`` (the chapter's last
    FLAC, read before it is replaced). Returns where each block lies in the new file. A block
    whose frames are not usable is decoded and the chapter encoded instead (returns None: its
    frames are not the blocks'). ``metadata``: FLAC metadata blocks (the tags) after STREAMINFO."""
    parts = []
    for block in blocks:
        got = _block_frames(block_dir, block, previous)
        if got is None:
            out = write_master_flac(path, chapter_audio(block_dir, blocks, previous), sample_rate)
            if metadata:
                retag(out, metadata)
            return None
        parts.append((*got, block.start_sample))
    write_spliced(path, parts, sample_rate, metadata)
    head = STREAM_HEADER + len(metadata)
    sizes = (
        sum(renumbered_lengths(ls, 0, b.start_sample // FLAC_FRAME))
        for (_, ls, _, _), b in zip(parts, blocks, strict=True)
    )
    return lay_out(Path(path), head, ((b.id, n, b.start_sample) for b, n in zip(blocks, sizes, strict=True)))


def _block_frames(
    block_dir: Path, block: MasteredBlock, previous: Spliced | None = None
) -> tuple[bytes, tuple[int, ...], tuple[int, ...]] | None:
    """A block's FLAC frames (as numbered where they were read), its frame lengths numbered from
    0 and its CRC factors; None when neither its file nor ``previous`` holds them intact."""
    path = block_path(block_dir, block.key, block.recipe)
    try:
        lengths, powers = _frame_table(path.with_suffix(".frames.npz"))
    except (OSError, ValueError, KeyError):
        return None
    if len(lengths) * FLAC_FRAME != block.length:
        return None
    try:
        frames, first = path.read_bytes()[STREAM_HEADER:], 0
    except OSError:
        span = previous.spans.get(block.id) if previous is not None else None
        got = previous.read(block.id) if previous is not None else None
        if span is None or got is None or span.start_sample % FLAC_FRAME:
            return None
        frames, first = got, span.start_sample // FLAC_FRAME
    if sum(renumbered_lengths(lengths, 0, first)) != len(frames) or not _frames_start(frames, first):
        return None
    return frames, lengths, powers


def _frames_start(frames: bytes, number: int) -> bool:
    """``frames`` begins with a FLAC frame (sync code, fixed 4608-sample blocks) numbered ``number``."""
    return len(frames) > 6 and frames[:2] == b"\xff\xf8" and frame_number(frames) == number


@dataclass(frozen=True)
class _FrameTable:
    lengths: tuple[int, ...]
    powers: tuple[int, ...]


def _frame_table(path: Path) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A stored block's FLAC frame lengths and CRC factors, read once per file identity."""
    known = FACTS.get(path, "flac-frame-table")
    if isinstance(known, _FrameTable):
        return known.lengths, known.powers
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        with np.load(fh) as z:
            table = _FrameTable(tuple(z["lengths"].tolist()), tuple(z["powers"].tolist()))
    FACTS.put(path, "flac-frame-table", table, st)
    return table.lengths, table.powers
