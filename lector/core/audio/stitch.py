"""Stitch rendered sentences into one chapter with pauses and room tone.

Per sentence: read its take from the store, resample to the output rate (soxr),
trim the engine's leading/trailing silence to a fixed margin (30 ms before the
first and 50 ms after the last 5 ms frame within 40 dB of the take's peak), and
apply 5 ms raised-cosine fades so joins never click.

Layout (in samples at the output rate, so times are exact):
``head_ms`` room tone, sentence 1, its ``pause_after_ms``, sentence 2, …, last
sentence, ``tail_ms``. The last sentence's own pause is replaced by the tail.

Blocks: each paragraph is stitched on its own (:func:`stitch_block`) and its length rounded up to
``GRID`` samples (9216 at 44.1 kHz = whole MP3 and AAC frames) by lengthening its closing pause (or
the tail) by less than 209 ms. Its room tone is seeded by the block's content key, so a block's
samples depend only on its own takes and pauses: after an edit every other paragraph keeps its
exact samples (shifted by whole blocks), so mastering, MP3 and AAC are redone for one block only.

The whole chapter sits on a room tone — seeded, low-passed noise at -70 dBFS
RMS — instead of digital zero, identical on every render so masters are
byte-identical. Sentence takes are added on top of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.signal as ss
import soxr

from ..model import Chapter, Sentence
from ..project import PauseSettings
from .io import Audio
from .store import Store, try_read

ROOM_TONE_DBFS = -70.0
ROOM_TONE_SEED = 20261122
ROOM_TONE_TILE_S = 7.0
FADE_MS = 5.0
LEAD_MARGIN_MS = 30.0
TRAIL_MARGIN_MS = 50.0
TRIM_BELOW_PEAK_DB = 40.0


class TakeResult(Protocol):
    """What stitching reads of one sentence's render result (lector.core.render.RenderResult)."""

    @property
    def sentence_id(self) -> str: ...
    @property
    def cache_key(self) -> str: ...  # "" = no audio
    @property
    def engine_id(self) -> str: ...
    @property
    def fallback_from(self) -> str | None: ...


@dataclass(frozen=True)
class SentenceTime:
    sentence_id: str
    start_s: float
    end_s: float
    start_sample: int
    end_sample: int


@dataclass(frozen=True)
class StitchedChapter:
    index: int
    title: str
    audio: Audio  # float32 mono at sample_rate
    sample_rate: int
    timeline: tuple[SentenceTime, ...]
    missing: tuple[str, ...] = ()  # sentence ids without audio (every engine failed)
    blocks: tuple[BlockSpan, ...] = ()  # one per paragraph, back to back

    @property
    def duration_s(self) -> float:
        return self.audio.size / self.sample_rate


def ms_to_samples(ms: float, sample_rate: int) -> int:
    return round(ms * sample_rate / 1000.0)


def room_tone(
    n: int,
    sample_rate: int,
    *,
    level_dbfs: float = ROOM_TONE_DBFS,
    seed: int = ROOM_TONE_SEED,
    phase: int = 0,
) -> Audio:
    """``n`` samples of deterministic room tone (a seeded noise tile repeated, starting ``phase``
    samples into the tile, so blocks do not all open on the same noise)."""
    out = np.empty(n, dtype=np.float32)
    tile = _tone_tile(sample_rate, level_dbfs, seed)
    tile = np.roll(tile, -(phase % tile.size)) if phase % tile.size else tile
    for a in range(0, n, tile.size):
        out[a : a + tile.size] = tile[: min(tile.size, n - a)]
    return out


@functools.lru_cache(maxsize=8)
def _tone_tile(sample_rate: int, level_dbfs: float, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(int(ROOM_TONE_TILE_S * sample_rate))
    noise = ss.lfilter([0.35], [1.0, -0.65], noise)  # gentle low-pass: less hiss
    noise *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(noise**2))
    tile: Audio = noise.astype(np.float32)
    tile.setflags(write=False)  # cached and shared: never modified
    return tile


def prepare_take(audio: Audio, native_rate: int, sample_rate: int) -> Audio:
    """Resample to ``sample_rate``, trim silence to the margins and fade both edges."""
    x = np.asarray(audio, dtype=np.float32)
    if native_rate != sample_rate:
        x = soxr.resample(x, native_rate, sample_rate, quality="HQ").astype(np.float32, copy=False)
    x = _trim(x, sample_rate)
    fade = min(ms_to_samples(FADE_MS, sample_rate), x.size // 2)
    if fade > 0:
        ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)).astype(np.float32)
        x = x.copy()
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
    return x


def _trim(x: Audio, sample_rate: int) -> Audio:
    frame = max(1, ms_to_samples(5.0, sample_rate))
    n = x.size // frame
    peak = float(np.abs(x).max(initial=0.0))
    if n == 0 or peak == 0.0:
        return x
    frames = np.abs(x[: n * frame]).reshape(n, frame).max(axis=1)
    loud = np.flatnonzero(frames >= peak * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    start = max(0, loud[0] * frame - ms_to_samples(LEAD_MARGIN_MS, sample_rate))
    end = min(x.size, (loud[-1] + 1) * frame + ms_to_samples(TRAIL_MARGIN_MS, sample_rate))
    return x[start:end]


GRID = 9216  # samples at 44.1 kHz = 8 MP3 frames = 9 AAC frames (see blockcodec.py)
GRID_RATE = 44100
STITCH_VERSION = "blocks-1"


@dataclass(frozen=True)
class BlockPlan:
    """One paragraph of a chapter: its sentences (with a take each) and whether it opens/closes it."""

    key: str  # content key: takes, pauses, rate, grid, head/tail
    sentences: tuple[tuple[Sentence, str], ...]  # (sentence, cache key) pairs, in order
    first: bool
    last: bool


@dataclass(frozen=True)
class BlockSpan:
    key: str
    start_sample: int
    length: int


def grid_for(sample_rate: int) -> int:
    """Block lengths are whole MP3 and AAC frames at 44.1 kHz; other rates are not block-encoded."""
    return GRID if sample_rate == GRID_RATE else 1


def plan_blocks(
    chapter: Chapter, results: Sequence[TakeResult], *, pauses: PauseSettings, sample_rate: int
) -> tuple[tuple[BlockPlan, ...], tuple[str, ...]]:
    """Paragraph blocks of the chapter's sentences that have audio, and the ids that have none."""
    by_id = {r.sentence_id: r for r in results if r.cache_key}
    present = [s for s in chapter.sentences if s.id in by_id]
    missing = tuple(s.id for s in chapter.sentences if s.id not in by_id)
    groups: list[list[tuple[Sentence, str]]] = []
    for s in present:
        if not groups or groups[-1][-1][0].paragraph != s.paragraph:
            groups.append([])
        groups[-1].append((s, by_id[s.id].cache_key))
    plans = []
    for i, group in enumerate(groups):
        first, last = i == 0, i == len(groups) - 1
        ident = [
            STITCH_VERSION,
            sample_rate,
            grid_for(sample_rate),
            pauses.head_ms if first else None,
            pauses.tail_ms if last else None,
            [[key, s.pause_after_ms] for s, key in group],
        ]
        key = hashlib.sha256(json.dumps(ident).encode("utf-8")).hexdigest()[:32]
        plans.append(BlockPlan(key, tuple(group), first, last))
    return tuple(plans), missing


def stitch_block(
    plan: BlockPlan,
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
) -> tuple[Audio, tuple[SentenceTime, ...], tuple[str, ...]]:
    """One block's audio (room tone + takes + pauses, padded at its end to the grid), its timeline
    relative to the block start, and the ids whose take could not be read."""
    head = ms_to_samples(pauses.head_ms, sample_rate) if plan.first else 0
    takes, missing = [], []
    for sentence, key in plan.sentences:
        hit = try_read(store, key)
        if hit is None:
            missing.append(sentence.id)
            continue
        takes.append((sentence, prepare_take(hit[0], hit[1], sample_rate)))
    pos, timeline, parts = head, [], []
    for i, (sentence, take) in enumerate(takes):
        timeline.append(
            SentenceTime(
                sentence.id, pos / sample_rate, (pos + take.size) / sample_rate, pos, pos + take.size
            )
        )
        parts.append((pos, take))
        after = pauses.tail_ms if plan.last and i == len(takes) - 1 else sentence.pause_after_ms
        pos += take.size + ms_to_samples(after, sample_rate)
    grid = grid_for(sample_rate)
    out = room_tone(-(-pos // grid) * grid, sample_rate, phase=int(plan.key[:8], 16))
    for at, take in parts:
        out[at : at + take.size] += take
    np.clip(out, -1.0, 1.0, out=out)
    return out, tuple(timeline), tuple(missing)


def stitch_chapter(
    chapter: Chapter,
    results: Sequence[TakeResult],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int = 44100,
) -> StitchedChapter:
    """Join the chapter's rendered sentences (``results``: RenderResult, any order, may cover more):
    one block per paragraph (:func:`stitch_block`), blocks back to back."""
    plans, missing = plan_blocks(chapter, results, pauses=pauses, sample_rate=sample_rate)
    pieces, locals_, lost = stitch_blocks(plans, store, pauses=pauses, sample_rate=sample_rate)
    starts, timeline = place_blocks([p.size for p in pieces], locals_, sample_rate)
    spans = tuple(BlockSpan(plan.key, a, p.size) for plan, a, p in zip(plans, starts, pieces, strict=True))
    audio = (
        np.concatenate(pieces)
        if pieces
        else room_tone(ms_to_samples(pauses.head_ms + pauses.tail_ms, sample_rate), sample_rate)
    )
    order = {s.id: i for i, s in enumerate(chapter.sentences)}
    return StitchedChapter(
        chapter.index,
        chapter.title,
        audio,
        sample_rate,
        timeline,
        tuple(sorted(missing + lost, key=order.__getitem__)),
        spans,
    )


def stitch_blocks(
    plans: Sequence[BlockPlan],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    sink: Callable[[Audio], object] | None = None,
) -> tuple[list[Audio], list[tuple[SentenceTime, ...]], tuple[str, ...]]:
    """:func:`stitch_block` of each plan: the blocks' audio, their own timelines, and the ids whose
    take could not be read. With ``sink`` each block's audio goes there (e.g. a scratch file) and
    the returned audio list is empty, so the chapter is never in memory."""
    pieces: list[Audio] = []
    locals_: list[tuple[SentenceTime, ...]] = []
    missing: tuple[str, ...] = ()
    for plan in plans:
        audio, local, lost = stitch_block(plan, store, pauses=pauses, sample_rate=sample_rate)
        (sink or pieces.append)(audio)
        locals_.append(local)
        missing += lost
    return pieces, locals_, missing


def place_blocks(
    lengths: Sequence[int], locals_: Sequence[Sequence[SentenceTime]], sample_rate: int
) -> tuple[tuple[int, ...], tuple[SentenceTime, ...]]:
    """Blocks of these lengths laid back to back: each one's start sample, and the chapter's
    timeline from the blocks' own timelines."""
    starts, pos = [], 0
    for n in lengths:
        starts.append(pos)
        pos += int(n)
    timeline = tuple(
        shift_time(t, a, sample_rate) for a, local in zip(starts, locals_, strict=True) for t in local
    )
    return tuple(starts), timeline


def shift_time(t: SentenceTime, offset: int, sample_rate: int) -> SentenceTime:
    a, b = t.start_sample + offset, t.end_sample + offset
    return SentenceTime(t.sentence_id, a / sample_rate, b / sample_rate, a, b)
