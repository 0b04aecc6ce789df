"""Stitch rendered sentences into one chapter with pauses and room tone.

Per sentence: read its take from the store, resample to the output rate (soxr),
trim the engine's leading/trailing silence to a fixed margin (30 ms before the
first and 50 ms after the last 5 ms frame within 40 dB of the take's peak), and
apply 5 ms raised-cosine fades so joins never click.

Layout (in samples at the output rate, so times are exact):
``head_ms`` room tone, sentence 1, its ``pause_after_ms``, sentence 2, …, last
sentence, ``tail_ms``. The last sentence's own pause is replaced by the tail.

The whole chapter sits on a room tone — seeded, low-passed noise at -70 dBFS
RMS — instead of digital zero, identical on every render so masters are
byte-identical. Sentence takes are added on top of it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.signal as ss
import soxr

from ..cache import Store, try_read
from ..model import Chapter
from ..project import PauseSettings
from .io import atomic_write_bytes

ROOM_TONE_DBFS = -70.0
ROOM_TONE_SEED = 20261122
ROOM_TONE_TILE_S = 7.0
FADE_MS = 5.0
LEAD_MARGIN_MS = 30.0
TRAIL_MARGIN_MS = 50.0
TRIM_BELOW_PEAK_DB = 40.0


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
    audio: np.ndarray                  # float32 mono at sample_rate
    sample_rate: int
    timeline: tuple[SentenceTime, ...]
    missing: tuple[str, ...] = ()      # sentence ids without audio (every engine failed)

    @property
    def duration_s(self) -> float:
        return self.audio.size / self.sample_rate


def ms_to_samples(ms: float, sample_rate: int) -> int:
    return int(round(ms * sample_rate / 1000.0))


def room_tone(n: int, sample_rate: int, *, level_dbfs: float = ROOM_TONE_DBFS,
              seed: int = ROOM_TONE_SEED) -> np.ndarray:
    """``n`` samples of deterministic room tone (a seeded noise tile repeated)."""
    out = np.empty(n, dtype=np.float32)
    tile = _tone_tile(sample_rate, level_dbfs, seed)
    for a in range(0, n, tile.size):
        out[a:a + tile.size] = tile[:min(tile.size, n - a)]
    return out


def _tone_tile(sample_rate: int, level_dbfs: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(int(ROOM_TONE_TILE_S * sample_rate))
    noise = ss.lfilter([0.35], [1.0, -0.65], noise)          # gentle low-pass: less hiss
    noise *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(noise ** 2))
    return noise.astype(np.float32)


def prepare_take(audio: np.ndarray, native_rate: int, sample_rate: int) -> np.ndarray:
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


def _trim(x: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = max(1, ms_to_samples(5.0, sample_rate))
    n = x.size // frame
    peak = float(np.abs(x).max(initial=0.0))
    if n == 0 or peak == 0.0:
        return x
    frames = np.abs(x[:n * frame]).reshape(n, frame).max(axis=1)
    loud = np.flatnonzero(frames >= peak * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    start = max(0, loud[0] * frame - ms_to_samples(LEAD_MARGIN_MS, sample_rate))
    end = min(x.size, (loud[-1] + 1) * frame + ms_to_samples(TRAIL_MARGIN_MS, sample_rate))
    return x[start:end]


def stitch_chapter(chapter: Chapter, results: Sequence, store: Store, *, pauses: PauseSettings,
                   sample_rate: int = 44100) -> StitchedChapter:
    """Join the chapter's rendered sentences (``results``: RenderResult, any order, may cover more).

    Memory: one output buffer sized from the results' durations (an upper bound, since trimming
    only shortens) is filled as takes are read, so peak memory is about one chapter, not two.
    """
    by_id = {r.sentence_id: r for r in results if r.cache_key}
    present = [s for s in chapter.sentences if s.id in by_id]
    head = ms_to_samples(pauses.head_ms, sample_rate)
    tail = ms_to_samples(pauses.tail_ms, sample_rate)
    bound = head + tail + sum(int(np.ceil(by_id[s.id].duration_s * sample_rate)) + 2
                              + ms_to_samples(s.pause_after_ms, sample_rate) for s in present)
    out = room_tone(bound, sample_rate)
    pos, timeline, missing = head, [], []
    for sentence in chapter.sentences:
        hit = try_read(store, by_id[sentence.id].cache_key) if sentence.id in by_id else None
        if hit is None:
            missing.append(sentence.id)
            continue
        take = prepare_take(hit[0], hit[1], sample_rate)
        if timeline:
            pos += ms_to_samples(timeline[-1][1].pause_after_ms, sample_rate)
        out = _ensure(out, pos + take.size + tail, sample_rate)
        out[pos:pos + take.size] += take
        timeline.append((SentenceTime(sentence.id, pos / sample_rate, (pos + take.size) / sample_rate,
                                      pos, pos + take.size), sentence))
        pos += take.size
    audio = out[:pos + tail]
    np.clip(audio, -1.0, 1.0, out=audio)
    return StitchedChapter(chapter.index, chapter.title, audio, sample_rate,
                           tuple(t for t, _ in timeline), tuple(missing))


def _ensure(out: np.ndarray, size: int, sample_rate: int) -> np.ndarray:
    """Grow ``out`` (with the continuing room tone) if a take is longer than its result said."""
    if size <= out.size:
        return out
    return np.concatenate([out, room_tone(size, sample_rate)[out.size:]])


def timeline_dict(chapter: Chapter, stitched: StitchedChapter, results: Sequence) -> dict:
    """The ``chapters/<NN>/timeline.json`` document (see docs/ARCHITECTURE.md)."""
    by_id = {r.sentence_id: r for r in results}
    sentences = {s.id: s for s in chapter.sentences}
    rows = []
    for t in stitched.timeline:
        s, r = sentences[t.sentence_id], by_id[t.sentence_id]
        rows.append({"id": s.id, "start_s": round(t.start_s, 6), "end_s": round(t.end_s, 6),
                     "cache_key": r.cache_key, "text": s.text, "pronunciation": s.pronunciation,
                     "voice": s.voice, "emotion": s.emotion, "seed": s.seed, "engine": r.engine_id,
                     "fallback_from": r.fallback_from})
    return {"chapter": chapter.index, "title": chapter.title, "sample_rate": stitched.sample_rate,
            "duration_s": round(stitched.duration_s, 6), "sentences": rows}


def write_timeline(path: str | Path, chapter: Chapter, stitched: StitchedChapter, results: Sequence) -> Path:
    """Write the timeline JSON atomically; returns the path."""
    doc = timeline_dict(chapter, stitched, results)
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    atomic_write_bytes(path, data)
    return Path(path)
