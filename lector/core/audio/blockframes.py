"""A chapter's mastered blocks as MP3/AAC frames (blockcodec.py per block, kept per block), and the
removal of a block's own frame files once a chapter file holds them (spliced.py)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import AudioError
from ..fsutil import atomic_write_bytes
from .block_store import MasteredBlock, block_path, read_block
from .blockcodec import CODEC_VERSION, encode_block, frame_samples, holds_frames
from .export import ffmpeg_exe
from .io import Audio
from .spliced import Spliced


def encoded_path(block_dir: Path, block: MasteredBlock, codec: str, kbps: int) -> Path:
    """Where a mastered block's frames are kept: named by the block id (its samples are a function
    of it), the codec recipe and the ffmpeg build, so nothing needs reading or hashing to find it."""
    return block_path(block_dir, block.key, block.recipe).with_suffix(f".{codec_tag(kbps)}.{codec}")


def codec_tag(kbps: int) -> str:
    """Names the block encoder's recipe, the ffmpeg build and the bitrate (frames made by another
    are not reused)."""
    return hashlib.sha256(f"{CODEC_VERSION}\0{Path(ffmpeg_exe()).name}\0{kbps}".encode()).hexdigest()[:10]


def encode_chapter_blocks(
    block_dir: Path,
    blocks: Sequence[MasteredBlock],
    codec: str,
    *,
    kbps: int,
    workers: int | None = None,
    previous: Spliced | None = None,
    source: Callable[[], Spliced | None] | None = None,
) -> tuple[list[bytes], int]:
    """The frames of every block (``codec`` "mp3" or "aac"): kept ones read back from their file or
    from ``previous`` (the chapter's last file of that codec; a damaged one is encoded again), the
    rest encoded in parallel ffmpeg processes from their audio (``source``: gives the chapter FLAC
    that holds blocks whose own file is gone, asked when one is: the FLAC step may remove block
    files while this runs). Returns (frames, encoded count)."""
    frame = frame_samples(codec)
    reuse = previous if previous is not None and previous.codec == codec_tag(kbps) else None
    out: list[bytes | None] = []
    for block in blocks:
        try:
            data: bytes | None = encoded_path(block_dir, block, codec, kbps).read_bytes()
        except OSError:
            data = reuse.read(block.id) if reuse is not None else None
        out.append(
            data if data is not None and holds_frames(codec, data, block.length // frame, kbps) else None
        )
    todo = [i for i, d in enumerate(out) if d is None]

    def work(i: int) -> None:
        data = encode_block(_block_audio(block_dir, blocks[i], source), codec, kbps=kbps)
        atomic_write_bytes(encoded_path(block_dir, blocks[i], codec, kbps), data)
        out[i] = data

    if todo:
        with ThreadPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 4)) as pool:
            list(pool.map(work, todo))  # list(): the first worker error is raised here
    return [d for d in out if d is not None], len(todo)


def _block_audio(block_dir: Path, block: MasteredBlock, source: Callable[[], Spliced | None] | None) -> Audio:
    try:
        return read_block(block_dir, block)
    except AudioError:
        held = source() if source is not None else None
        if held is None or block.id not in held:
            raise
        return read_block(block_dir, block, held)


def drop_block_files(block_dir: Path, blocks: Sequence[MasteredBlock], suffix: str) -> int:
    """Remove the blocks' own ``suffix`` files ("flac", or a codec: "mp3") once a chapter file
    holds their frames (its Spliced spans); returns the bytes freed."""
    freed = 0
    for block in blocks:
        base = block_path(block_dir, block.key, block.recipe)
        paths = [base] if suffix == "flac" else list(base.parent.glob(f"{base.name[:-5]}.*.{suffix}"))
        for path in paths:
            try:
                freed += path.stat().st_size
                path.unlink()
            except OSError:
                pass  # already gone
    return freed
