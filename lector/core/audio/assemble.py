"""Chapter masters from paragraph blocks; after an edit only the changed paragraphs are redone.

A chapter is a row of blocks (one per paragraph, see :mod:`.stitch`). Mastering decides its
steps on the whole chapter and applies them block by block (``master_chapter(bounds=...)``),
and the decisions are kept as a :class:`Recipe`. Each mastered block is stored under
``<block key>.<recipe key>`` (24-bit FLAC, plus its sentence timeline in ``<block key>.json``).

After an edit the previous recipe is replayed on the changed blocks only, the others come from
the store byte for byte, and the chapter is measured. The recipe is kept when the chapter still
passes its profile with the level inside the window's margin (so the editor's approved
paragraphs do not move by a fraction of a dB); otherwise the chapter is mastered afresh. A
clean render always masters afresh, so two clean renders give identical masters; an edited
chapter may differ from a clean render of the same text by that kept recipe (see
docs/ARCHITECTURE.md, "Incremental masters").
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..cache import Store
from ..errors import AudioError
from ..hashing import FACTS
from ..model import Chapter
from ..project import PauseSettings
from .blockcodec import CODEC_VERSION, encode_block, frame_samples, holds_frames
from .export import ffmpeg_exe
from .flacsplice import FRAME as FLAC_FRAME
from .flacsplice import INT24, STREAM_HEADER, block_file_bytes, pcm24_words, retag, write_spliced
from .flacsplice import encode_block as encode_flac_block
from .io import atomic_path, atomic_write_bytes
from .master import Recipe, check_profile, level_inside, master_chapter, replay
from .measure import BlockStats, Measurements, block_stats, combine_stats
from .profiles import get_profile
from .stitch import BlockPlan, SentenceTime, grid_for, place_blocks, plan_blocks, stitch_block, stitch_blocks


@dataclass(frozen=True)
class MasteredBlock:
    key: str  # the stitched block's content key
    recipe: str  # the recipe key it was mastered with
    start_sample: int
    length: int

    @property
    def id(self) -> str:
        return f"{self.key}.{self.recipe}"


@dataclass(frozen=True)
class AssembledChapter:
    recipe: Recipe | None
    gain_db: float
    measurements: Measurements | None  # combined from the blocks' stats (see measure.BlockStats)
    violations: tuple[str, ...]
    notes: tuple[str, ...]
    timeline: tuple[SentenceTime, ...]
    blocks: tuple[MasteredBlock, ...]  # empty when the rate is not block-encoded (not 44.1 kHz)
    missing: tuple[str, ...]  # sentence ids without audio: nothing was assembled
    remastered: int  # blocks stitched and mastered in this call
    recipe_kept: bool  # the previous render's recipe was replayed
    sample_rate: int = 44100
    audio: np.ndarray | None = None  # the master, only when not block-encoded

    @property
    def master_id(self) -> str:
        """Names the master's exact samples: its block ids in order (block-encoded chapters)."""
        return hashlib.sha256(" ".join(b.id for b in self.blocks).encode()).hexdigest()[:32]


def quantize24(x: np.ndarray) -> np.ndarray:
    """Round to the 24-bit grid in place (what the FLAC masters hold), so a block read back from
    the store is bit-identical to the one just mastered."""
    np.multiply(x, INT24, out=x)
    np.rint(x, out=x)
    np.clip(x, -INT24, INT24 - 1, out=x)
    np.add(x, 0.0, out=x)  # -0.0 -> 0.0: the FLAC read-back has no negative zero
    np.multiply(x, 1.0 / INT24, out=x)
    return x


def write_master_flac(path: str | Path, audio: np.ndarray | Sequence[np.ndarray], sample_rate: int) -> Path:
    """24-bit FLAC of 24-bit-grid audio (one array or blocks in order), exact: integers, not
    libsndfile's float scaling; atomic."""
    pieces = [audio] if isinstance(audio, np.ndarray) else list(audio)
    final = Path(path)
    with atomic_path(final, suffix=".flac") as tmp:
        with sf.SoundFile(str(tmp), "w", sample_rate, 1, "PCM_24", format="FLAC") as fh:
            for piece in pieces:
                for a in range(0, piece.size, 1 << 20):
                    fh.write(pcm24_words(piece[a : a + (1 << 20)]))
    return final


def read_master_flac(path: str | Path) -> np.ndarray:
    ints, _ = sf.read(str(path), dtype="int32", always_2d=False)
    out = (ints >> 8).astype(np.float32)
    out *= np.float32(1.0 / INT24)
    return out


def assemble_chapter(
    chapter: Chapter,
    results: Sequence,
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    previous: Recipe | None = None,
) -> AssembledChapter:
    """Stitch + master one chapter, reusing stored blocks mastered with ``previous`` when it holds."""
    plans, missing = plan_blocks(chapter, results, pauses=pauses, sample_rate=sample_rate)
    if missing or not plans:
        return _nothing(missing or tuple(s.id for s in chapter.sentences))
    blockwise = grid_for(sample_rate) > 1 and get_profile(profile).sample_rate == sample_rate
    if blockwise and previous is not None and previous.profile == profile:
        kept = _replay_previous(plans, store, pauses, sample_rate, profile, block_dir, previous)
        if kept is not None:
            return kept
    return _master_afresh(plans, store, pauses, sample_rate, profile, block_dir if blockwise else None)


def _nothing(missing: tuple[str, ...]) -> AssembledChapter:
    return AssembledChapter(None, 0.0, None, (), (), (), (), missing, 0, False)


def _replay_previous(
    plans: Sequence[BlockPlan],
    store: Store,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    recipe: Recipe,
) -> AssembledChapter | None:
    """The chapter from stored blocks + ``recipe`` replayed on new ones (no stored audio is read);
    None when it no longer passes the profile inside the level margin."""
    locals_, stats, redone = [], [], 0
    for plan in plans:
        got = _load_meta(block_dir, plan.key, recipe.key)
        if got is None:
            audio, local, lost = stitch_block(plan, store, pauses=pauses, sample_rate=sample_rate)
            if lost:
                return None  # a take vanished from the cache: the full path reports it
            mastered = quantize24(replay(recipe, audio, sample_rate))
            got = (local, _save_block(block_dir, plan.key, recipe.key, mastered, local, sample_rate))
            redone += 1
        locals_.append(got[0])
        stats.append(got[1])
    starts, timeline = place_blocks([st.n for st in stats], locals_, sample_rate)
    blocks = tuple(MasteredBlock(p.key, recipe.key, a, st.n) for p, a, st in zip(plans, starts, stats))
    m = combine_stats(stats, sample_rate)
    if check_profile(m, profile) or not level_inside(m, profile):
        return None
    gain = sum(s.a for s in recipe.steps if s.op == "gain")
    note = f"kept the previous mastering recipe: {redone} of {len(plans)} block(s) re-mastered"
    return AssembledChapter(recipe, gain, m, (), (note,), timeline, blocks, (), redone, True, sample_rate)


def _master_afresh(
    plans: Sequence[BlockPlan],
    store: Store,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path | None,
) -> AssembledChapter:
    pieces, locals_, missing = stitch_blocks(plans, store, pauses=pauses, sample_rate=sample_rate)
    if missing:
        return _nothing(missing)
    starts, timeline = place_blocks([p.size for p in pieces], locals_, sample_rate)
    whole = _join_releasing(pieces)  # one copy of the chapter while it is mastered, not two
    result = master_chapter(
        whole, sample_rate, profile, in_place=True, bounds=starts if block_dir is not None else ()
    )
    del whole
    x = quantize24(result.audio)
    if block_dir is None:
        return AssembledChapter(
            result.recipe,
            result.gain_db,
            result.measurements,
            result.violations,
            result.notes,
            timeline,
            (),
            (),
            len(plans),
            False,
            result.sample_rate,
            x,
        )
    ends = (*starts[1:], x.size)
    blocks = tuple(MasteredBlock(p.key, result.recipe.key, a, b - a) for p, a, b in zip(plans, starts, ends))
    stats = [
        _save_block(
            block_dir, b.key, b.recipe, x[b.start_sample : b.start_sample + b.length], local, sample_rate
        )
        for b, local in zip(blocks, locals_)
    ]
    m = combine_stats(stats, sample_rate)
    return AssembledChapter(
        result.recipe,
        result.gain_db,
        m,
        check_profile(m, profile),
        result.notes,
        timeline,
        blocks,
        (),
        len(plans),
        False,
        sample_rate,
    )


def _join_releasing(pieces: list[np.ndarray]) -> np.ndarray:
    """np.concatenate(pieces), dropping each piece once copied: the joined array's pages become
    resident as they are filled while the pieces' go back, so the chapter is never held twice."""
    whole = np.empty(sum(p.size for p in pieces), np.float32)
    at = 0
    for i, piece in enumerate(pieces):
        whole[at : at + piece.size] = piece
        at += piece.size
        pieces[i] = None
    pieces.clear()
    return whole


def block_path(block_dir: Path, key: str, recipe_key: str) -> Path:
    return Path(block_dir) / key[:2] / f"{key}.{recipe_key}.flac"


def read_block(block_dir: Path, block: MasteredBlock) -> np.ndarray:
    """A stored mastered block (float32 on the 24-bit grid); AudioError when it is gone or damaged
    (its files are then removed, so the next render makes it again)."""
    path = block_path(block_dir, block.key, block.recipe)
    cached = _BLOCKS.get(block.id)
    if cached is not None:
        return cached
    try:
        audio = read_master_flac(path)
        problem = None if audio.size == block.length else f"{audio.size} samples, expected {block.length}"
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        problem = str(exc)
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


def chapter_audio(block_dir: Path, blocks: Sequence[MasteredBlock]) -> list[np.ndarray]:
    """The master's blocks in order (read_block each)."""
    return [read_block(block_dir, b) for b in blocks]


def write_chapter_flac(
    path: str | Path,
    block_dir: Path,
    blocks: Sequence[MasteredBlock],
    sample_rate: int,
    metadata: bytes = b"",
) -> Path:
    """The chapter's 24-bit FLAC spliced from its blocks' stored frames (flacsplice.py: nothing is
    encoded); a block whose frames are not usable is decoded and the chapter encoded instead.
    ``metadata``: FLAC metadata blocks (the tags) after STREAMINFO."""
    parts = []
    for block in blocks:
        got = _block_frames(block_dir, block)
        if got is None:
            out = write_master_flac(path, chapter_audio(block_dir, blocks), sample_rate)
            return retag(out, metadata) if metadata else out
        parts.append((*got, block.start_sample))
    return write_spliced(path, parts, sample_rate, metadata)


def _block_frames(block_dir: Path, block: MasteredBlock) -> tuple[bytes, list[int], list[int]] | None:
    path = block_path(block_dir, block.key, block.recipe)
    try:
        data = path.read_bytes()
        lengths, powers = _frame_table(path.with_suffix(".frames.npz"))
    except (OSError, ValueError, KeyError):
        return None
    frames = data[STREAM_HEADER:]
    if sum(lengths) != len(frames) or len(lengths) * FLAC_FRAME != block.length:
        return None
    return frames, lengths, powers


def _frame_table(path: Path) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A stored block's FLAC frame lengths and CRC factors, read once per file identity."""
    known = FACTS.get(path, "flac-frame-table")
    if known is not None:
        return known
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        with np.load(fh) as z:
            table = (tuple(z["lengths"].tolist()), tuple(z["powers"].tolist()))
    FACTS.put(path, "flac-frame-table", table, st)
    return table


def _save_block(
    block_dir: Path,
    key: str,
    recipe_key: str,
    audio: np.ndarray,
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


def _load_meta(
    block_dir: Path, key: str, recipe_key: str
) -> tuple[tuple[SentenceTime, ...], BlockStats] | None:
    """A stored block's timeline and stats (not its audio); None when absent or incomplete."""
    path = block_path(block_dir, key, recipe_key)
    try:
        meta = json.loads(path.with_name(f"{key}.json").read_text(encoding="utf-8"))
        stats = BlockStats.from_npz(path.with_suffix(".stats.npz").read_bytes())
        if not path.is_file() or stats.n != meta["length"]:
            return None
    except (OSError, ValueError, KeyError):
        return None
    sr = meta["sample_rate"]
    return tuple(SentenceTime(sid, a / sr, b / sr, a, b) for sid, a, b in meta["timeline"]), stats


class _BlockMemo:
    """Recently mastered / read blocks kept in memory (a long-running process: the review app, a
    served worker, the bench), up to ``limit_bytes``; a cold process reads them from disk."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit, self.items, self.size = limit_bytes, OrderedDict(), 0
        self.lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key: str, audio: np.ndarray) -> None:
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


# -- block-wise MP3 / AAC ---------------------------------------------------------------------------


def encoded_path(block_dir: Path, block: MasteredBlock, codec: str, kbps: int) -> Path:
    """Where a mastered block's frames are kept: named by the block id (its samples are a function
    of it), the codec recipe and the ffmpeg build, so nothing needs reading or hashing to find it."""
    tag = hashlib.sha256(f"{CODEC_VERSION}\0{Path(ffmpeg_exe()).name}\0{kbps}".encode()).hexdigest()[:10]
    return block_path(block_dir, block.key, block.recipe).with_suffix(f".{tag}.{codec}")


def encode_chapter_blocks(
    block_dir: Path, blocks: Sequence[MasteredBlock], codec: str, *, kbps: int, workers: int | None = None
) -> tuple[list[bytes], int]:
    """The frames of every block (``codec`` "mp3" or "aac"): kept ones read back (a damaged one is
    encoded again), the rest encoded in parallel ffmpeg processes. Returns (frames, encoded count)."""
    frame = frame_samples(codec)
    out: list[bytes | None] = []
    for block in blocks:
        try:
            data = encoded_path(block_dir, block, codec, kbps).read_bytes()
        except OSError:
            data = None
        out.append(
            data if data is not None and holds_frames(codec, data, block.length // frame, kbps) else None
        )
    todo = [i for i, d in enumerate(out) if d is None]

    def work(i: int) -> None:
        data = encode_block(read_block(block_dir, blocks[i]), codec, kbps=kbps)
        atomic_write_bytes(encoded_path(block_dir, blocks[i], codec, kbps), data)
        out[i] = data

    if todo:
        with ThreadPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 4)) as pool:
            list(pool.map(work, todo))  # list(): the first worker error is raised here
    return [d for d in out if d is not None], len(todo)


# -- chapters/NN/master.json ------------------------------------------------------------------------

MASTER_DOC = "master.json"


def write_master_doc(
    folder: Path, built: AssembledChapter, master_id: str, extra: dict | None = None
) -> Path:
    """The chapter master's record: ``master_id`` (names its exact samples), the recipe, the blocks,
    the measurements and violations (what QC's profile check reads), plus ``extra``."""
    doc = {
        "master_id": master_id,
        "recipe": built.recipe.to_dict() if built.recipe else None,
        "notes": list(built.notes),
        "sample_rate": built.sample_rate,
        "gain_db": built.gain_db,
        "measurements": {k: float(v) for k, v in vars(built.measurements).items()},
        "violations": list(built.violations),
        "blocks": [[b.key, b.recipe, b.start_sample, b.length] for b in built.blocks],
        **(extra or {}),
    }
    path = Path(folder) / MASTER_DOC
    atomic_write_bytes(path, json.dumps(doc, indent=1).encode("utf-8"))
    return path


def read_master_doc(folder: Path) -> dict | None:
    """chapters/NN/master.json of the last render, or None (absent, damaged, older layout)."""
    try:
        doc = json.loads((Path(folder) / MASTER_DOC).read_text(encoding="utf-8"))
        Recipe.from_dict(doc["recipe"])
        Measurements(**doc["measurements"])
        str(doc["master_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return doc


def master_blocks(doc: dict) -> tuple[MasteredBlock, ...]:
    """The mastered blocks a master.json lists (empty: the chapter is not block-encoded)."""
    return tuple(MasteredBlock(k, r, a, n) for k, r, a, n in doc.get("blocks") or [])
