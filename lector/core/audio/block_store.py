"""Mastered blocks on disk and in memory: where each block lives, how it is saved and read back.

A mastered block is stored under ``<block key>.<recipe tag>`` (16-bit FLAC, its FLAC frame table,
its partial measurements, plus its sentence timeline in ``<block key>.json``), written so the
stats file, written last, marks it complete. Reads go through a bounded in-memory memo so a
long-running process does not decode the same block twice. Kept apart from the mastering
decisions (:mod:`.assemble`) and from splicing chapter files (:mod:`.chapter_flac`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from ..fsutil import atomic_write_bytes
from .flacsplice import BITS, block_file_bytes
from .flacsplice import encode_block as encode_flac_block
from .io import Audio
from .master_flac import from_words, read_master_flac
from .measure import BlockStats, block_stats
from .recipe import Recipe
from .spliced import Span, Spliced
from .stitch import SentenceTime


@dataclass(frozen=True)
class MasteredBlock:
    key: str  # the stitched block's content key
    recipe: str  # recipe_tag() of the recipe it was mastered with
    start_sample: int
    length: int

    @property
    def id(self) -> str:
        return f"{self.key}.{self.recipe}"


def recipe_tag(recipe: Recipe) -> str:
    """Names a block's stored samples: the recipe and the masters' sample size (a block stored at
    another size is never spliced into this one's stream)."""
    return hashlib.sha256(f"{recipe.key}\0pcm{BITS}".encode()).hexdigest()[:16]


def block_path(block_dir: Path, key: str, recipe_key: str) -> Path:
    return Path(block_dir) / key[:2] / f"{key}.{recipe_key}.flac"


def read_block(block_dir: Path, block: MasteredBlock, source: Spliced | None = None) -> Audio:
    """A stored mastered block (float32 on the 16-bit grid), from its own file or else from the
    chapter FLAC ``source`` holding it; AudioError when it is gone or damaged (a damaged block's
    files are then removed, so the next render makes it again)."""
    path = block_path(block_dir, block.key, block.recipe)
    cached = _BLOCKS.get(block.id)
    if cached is not None:
        return cached
    gone = False
    try:
        span = source.spans.get(block.id) if source is not None and not path.is_file() else None
        audio = read_master_flac(path) if source is None or span is None else _read_span(source, span, block)
        problem = None if audio.size == block.length else f"{audio.size} samples, expected {block.length}"
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        problem, gone = str(exc), not path.exists()
    if problem is not None and gone:  # its frames may lie in a chapter FLAC: keep its tables
        raise AudioError(
            f"mastered block unreadable ({problem})",
            file=path,
            fix="run the render again: the block is made again from the render cache",
        )
    if problem is not None:
        for stale in (path, path.with_suffix(".stats.npz"), path.with_suffix(".frames.npz")):
            stale.unlink(missing_ok=True)
        raise AudioError(
            f"mastered block unreadable ({problem})",
            file=path,
            fix="run the render again: the damaged block is made again from the render cache",
        )
    _BLOCKS.put(block.id, audio)
    return audio


def _read_span(source: Spliced, span: Span, block: MasteredBlock) -> Audio:
    """A block's samples decoded from the chapter FLAC that holds it."""
    with sf.SoundFile(str(source.path)) as fh:
        fh.seek(span.start_sample)
        ints = fh.read(block.length, dtype="int32", always_2d=False)
    return from_words(ints)


def chapter_audio(
    block_dir: Path, blocks: Sequence[MasteredBlock], source: Spliced | None = None
) -> list[Audio]:
    """The master's blocks in order (read_block each)."""
    return [read_block(block_dir, b, source) for b in blocks]


def save_block(
    block_dir: Path,
    key: str,
    recipe_key: str,
    audio: Audio,
    *,
    local: Sequence[SentenceTime],
    sample_rate: int,
) -> BlockStats:
    meta = {
        "length": int(audio.size),
        "sample_rate": sample_rate,
        "timeline": [[t.sentence_id, t.start_sample, t.end_sample] for t in local],
    }
    path = block_path(block_dir, key, recipe_key)
    stats = block_stats(audio, sample_rate)
    flac = encode_flac_block(audio, sample_rate)  # frames the chapter FLAC is spliced from
    atomic_write_bytes(path.with_name(f"{key}.json"), json.dumps(meta).encode("utf-8"))
    atomic_write_bytes(path, block_file_bytes(flac, sample_rate))
    frames = io.BytesIO()
    np.savez(frames, lengths=np.array(flac.lengths, np.int64), powers=np.array(flac.powers, np.int64))
    atomic_write_bytes(path.with_suffix(".frames.npz"), frames.getvalue())
    atomic_write_bytes(path.with_suffix(".stats.npz"), stats.to_npz())  # last: marks the block complete
    _BLOCKS.put(f"{key}.{recipe_key}", audio)
    return stats


def load_meta(
    block_dir: Path, key: str, recipe_key: str, spliced: Spliced | None = None
) -> tuple[tuple[SentenceTime, ...], BlockStats] | None:
    """A stored block's timeline and stats (not its audio); None when absent or incomplete, or when
    its frames are neither in its own file nor in the chapter FLAC ``spliced``."""
    path = block_path(block_dir, key, recipe_key)
    try:
        meta = json.loads(path.with_name(f"{key}.json").read_text(encoding="utf-8"))
        stats = BlockStats.from_npz(path.with_suffix(".stats.npz").read_bytes())
        held = path.is_file() or (spliced is not None and f"{key}.{recipe_key}" in spliced)
        if not held or stats.n != meta["length"]:
            return None
    except (OSError, ValueError, KeyError):
        return None
    sr = meta["sample_rate"]
    return tuple(SentenceTime(sid, a / sr, b / sr, a, b) for sid, a, b in meta["timeline"]), stats


class _BlockMemo:
    """Recently mastered / read blocks kept in memory (a long-running process: the review app, a
    served worker, the bench), up to ``limit_bytes``; a cold process reads them from disk."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit, self.size = limit_bytes, 0
        self.items: OrderedDict[str, Audio] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Audio | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key: str, audio: Audio) -> None:
        frozen = np.array(audio, dtype=np.float32, copy=True)
        frozen.setflags(write=False)
        with self.lock:
            if key in self.items:
                return
            self.items[key] = frozen
            self.size += frozen.nbytes
            while self.size > self.limit and self.items:
                _, old = self.items.popitem(last=False)
                self.size -= old.nbytes


_BLOCKS = _BlockMemo(int(os.environ.get("LECTOR_BLOCK_MEMORY_MB", "64")) << 20)
