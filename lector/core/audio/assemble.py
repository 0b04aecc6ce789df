"""Chapter masters from paragraph blocks; after an edit only the changed paragraphs are redone.

A chapter is a row of blocks (one per paragraph, see :mod:`.stitch`). Mastering decides its
steps on the whole chapter and applies them block by block (``master_chapter(bounds=...)``),
and the decisions are kept as a :class:`Recipe`. Each mastered block is stored under
``<block key>.<recipe tag>`` (16-bit FLAC, plus its sentence timeline in ``<block key>.json``).

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..errors import AudioError
from ..fsutil import atomic_path, atomic_write_bytes
from ..hashing import FACTS
from ..model import Chapter
from ..profiles import get_profile
from ..project import PauseSettings
from .flacsplice import (
    BITS,
    FULL_SCALE,
    STREAM_HEADER,
    block_file_bytes,
    frame_number,
    pcm_words,
    renumbered_lengths,
    retag,
    write_spliced,
)
from .flacsplice import FRAME as FLAC_FRAME
from .flacsplice import encode_block as encode_flac_block
from .io import Audio
from .master import Recipe, check_profile, level_inside, master_chapter, replay
from .measure import BlockStats, Measurements, block_stats, combine_stats
from .spliced import Span, Spliced, lay_out
from .stitch import (
    BlockPlan,
    SentenceTime,
    TakeResult,
    grid_for,
    place_blocks,
    plan_blocks,
    stitch_block,
    stitch_blocks,
)
from .store import Store


@dataclass(frozen=True)
class MasteredBlock:
    key: str  # the stitched block's content key
    recipe: str  # recipe_tag() of the recipe it was mastered with
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
    audio: Audio | None = None  # the master, only when not block-encoded

    @property
    def master_id(self) -> str:
        """Names the master's exact samples: its block ids in order (block-encoded chapters)."""
        return hashlib.sha256(" ".join(b.id for b in self.blocks).encode()).hexdigest()[:32]


def quantize_master(x: Audio) -> Audio:
    """Round to the masters' 16-bit grid in place (what the FLAC masters hold), so a block read
    back from the store is bit-identical to the one just mastered. Plain rounding, no dither: the
    room tone under every block (ACX: -60 dB or louder) is far above the 16-bit step (-96 dB), and
    a block's samples must depend on the block alone."""
    np.multiply(x, FULL_SCALE, out=x)
    np.rint(x, out=x)
    np.clip(x, -FULL_SCALE, FULL_SCALE - 1, out=x)
    np.add(x, 0.0, out=x)  # -0.0 -> 0.0: the FLAC read-back has no negative zero
    np.multiply(x, 1.0 / FULL_SCALE, out=x)
    return x


def recipe_tag(recipe: Recipe) -> str:
    """Names a block's stored samples: the recipe and the masters' sample size (a block stored at
    another size is never spliced into this one's stream)."""
    return hashlib.sha256(f"{recipe.key}\0pcm{BITS}".encode()).hexdigest()[:16]


def write_master_flac(path: str | Path, audio: Audio | Sequence[Audio], sample_rate: int) -> Path:
    """16-bit FLAC of 16-bit-grid audio (one array or blocks in order), exact: integers, not
    libsndfile's float scaling; atomic."""
    pieces = [audio] if isinstance(audio, np.ndarray) else list(audio)
    final = Path(path)
    with (
        atomic_path(final, suffix=".flac") as tmp,
        sf.SoundFile(str(tmp), "w", sample_rate, 1, f"PCM_{BITS}", format="FLAC") as fh,
    ):
        for piece in pieces:
            for a in range(0, piece.size, 1 << 20):
                fh.write(pcm_words(piece[a : a + (1 << 20)]))
    return final


def read_master_flac(path: str | Path) -> Audio:
    ints, _ = sf.read(str(path), dtype="int32", always_2d=False)
    return _from_words(ints)


def _from_words(ints: npt.NDArray[np.int32]) -> Audio:
    """libsndfile's int32 words (any file sample size, left-aligned) as float32 on the master's grid."""
    out: Audio = (ints >> (32 - BITS)).astype(np.float32)
    out *= np.float32(1.0 / FULL_SCALE)
    return out


def assemble_chapter(
    chapter: Chapter,
    results: Sequence[TakeResult],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    previous: Recipe | None = None,
    spliced: Spliced | None = None,
) -> AssembledChapter:
    """Stitch + master one chapter, reusing stored blocks mastered with ``previous`` when it holds;
    ``spliced``: the previous chapter FLAC, which holds the frames of blocks whose files are gone."""
    plans, missing = plan_blocks(chapter, results, pauses=pauses, sample_rate=sample_rate)
    if missing or not plans:
        return _nothing(missing or tuple(s.id for s in chapter.sentences))
    blockwise = grid_for(sample_rate) > 1 and get_profile(profile).sample_rate == sample_rate
    if blockwise and previous is not None and previous.profile == profile:
        kept = _replay_previous(
            plans,
            store,
            pauses=pauses,
            sample_rate=sample_rate,
            profile=profile,
            block_dir=block_dir,
            recipe=previous,
            spliced=spliced,
        )
        if kept is not None:
            return kept
    return _master_afresh(
        plans,
        store,
        pauses=pauses,
        sample_rate=sample_rate,
        profile=profile,
        block_dir=block_dir if blockwise else None,
    )


def _nothing(missing: tuple[str, ...]) -> AssembledChapter:
    return AssembledChapter(None, 0.0, None, (), (), (), (), missing, 0, False)


def _replay_previous(
    plans: Sequence[BlockPlan],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    recipe: Recipe,
    spliced: Spliced | None,
) -> AssembledChapter | None:
    """The chapter from stored blocks + ``recipe`` replayed on new ones (no stored audio is read);
    None when it no longer passes the profile inside the level margin."""
    locals_, stats, redone = [], [], 0
    for plan in plans:
        got = _load_meta(block_dir, plan.key, recipe_tag(recipe), spliced)
        if got is None:
            audio, local, lost = stitch_block(plan, store, pauses=pauses, sample_rate=sample_rate)
            if lost:
                return None  # a take vanished from the cache: the full path reports it
            mastered = quantize_master(replay(recipe, audio, sample_rate))
            got = (
                local,
                _save_block(
                    block_dir, plan.key, recipe_tag(recipe), mastered, local=local, sample_rate=sample_rate
                ),
            )
            redone += 1
        locals_.append(got[0])
        stats.append(got[1])
    starts, timeline = place_blocks([st.n for st in stats], locals_, sample_rate)
    blocks = tuple(
        MasteredBlock(p.key, recipe_tag(recipe), a, st.n)
        for p, a, st in zip(plans, starts, stats, strict=True)
    )
    m = combine_stats(stats, sample_rate)
    if check_profile(m, profile) or not level_inside(m, profile):
        return None
    gain = sum(s.a for s in recipe.steps if s.op == "gain")
    note = f"kept the previous mastering recipe: {redone} of {len(plans)} block(s) re-mastered"
    return AssembledChapter(recipe, gain, m, (), (note,), timeline, blocks, (), redone, True, sample_rate)


def _master_afresh(
    plans: Sequence[BlockPlan],
    store: Store,
    *,
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
    assert result.recipe is not None  # master_chapter always records its steps
    x = quantize_master(result.audio)
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
    blocks = tuple(
        MasteredBlock(p.key, recipe_tag(result.recipe), a, b - a)
        for p, a, b in zip(plans, starts, ends, strict=True)
    )
    stats = [
        _save_block(
            block_dir,
            b.key,
            b.recipe,
            x[b.start_sample : b.start_sample + b.length],
            local=local,
            sample_rate=sample_rate,
        )
        for b, local in zip(blocks, locals_, strict=True)
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


_NO_AUDIO: Audio = np.empty(0, np.float32)  # what a released piece is replaced with


def _join_releasing(pieces: list[Audio]) -> Audio:
    """np.concatenate(pieces), dropping each piece once copied: the joined array's pages become
    resident as they are filled while the pieces' go back, so the chapter is never held twice."""
    whole = np.empty(sum(p.size for p in pieces), np.float32)
    at = 0
    for i, piece in enumerate(pieces):
        whole[at : at + piece.size] = piece
        at += piece.size
        pieces[i] = _NO_AUDIO
    pieces.clear()
    return whole


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
    return _from_words(ints)


def chapter_audio(
    block_dir: Path, blocks: Sequence[MasteredBlock], source: Spliced | None = None
) -> list[Audio]:
    """The master's blocks in order (read_block each)."""
    return [read_block(block_dir, b, source) for b in blocks]


def write_chapter_flac(
    path: str | Path,
    block_dir: Path,
    blocks: Sequence[MasteredBlock],
    sample_rate: int,
    metadata: bytes = b"",
    *,
    previous: Spliced | None = None,
) -> Path:
    """:func:`splice_chapter_flac`, returning the file."""
    splice_chapter_flac(path, block_dir, blocks, sample_rate, metadata, previous=previous)
    return Path(path)


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


def _save_block(
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


def _load_meta(
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
