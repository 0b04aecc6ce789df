"""Per-take measurements (signal stats, transcript, speaker embedding), cached in the QC cache.

Owns reading each take's audio at most once and only on a cache miss, measuring takes in blocks
(their audio held at once), and storing what was computed; turning measurements into flags is
:mod:`.scoring`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import AudioError, EngineUnavailable
from ..voices import embed as embed_mod
from . import cache as qc_cache
from .cache import QCCache
from .checks import SignalStats, Thresholds, signal_stats
from .takes import Loader, QCOptions, TakeRef, asr_wanted
from .transcripts import recent_windows, stored_windows, window_transcripts

if TYPE_CHECKING:
    from ..audio.io import Audio


@dataclass(frozen=True)
class Measured:
    stats: SignalStats
    transcript: str | None
    embedding: tuple[bool, npt.NDArray[np.float32] | None]  # (embedded, vector or None when too short)
    voice_unavailable: bool = False


def _asr_sampled(ref: TakeRef, stats: SignalStats, th: Thresholds) -> bool:
    return ref.deep and asr_wanted(ref, stats, th)


ASR_BLOCK = 64  # takes measured together (their audio held at once); ASR packs uncached ones


def _lazy(load: Loader) -> Loader:
    memo: list[tuple[Audio, int]] = []

    def audio() -> tuple[Audio, int]:
        if not memo:
            memo.append(load())
        return memo[0]

    return audio


def models_needed(refs: Sequence[TakeRef], options: QCOptions, cache: QCCache) -> bool:
    """Whether measuring ``refs`` may run a QC model: a sampled take with no embedding (voice) or no
    transcript (ASR) in the QC cache. Cheap (the sampled takes' records only); a take that wants a
    transcript for another window is not foreseen, and is measured all the same."""
    for ref in refs:
        if not ref.deep:
            continue
        entry = cache.load(ref.key)
        if options.voice and entry.get("embedding") not in ("none", "npy"):
            return True
        if options.asr and not stored_windows(entry):
            return True
    return False


def measure_all(refs: Sequence[TakeRef], options: QCOptions, cache: QCCache, asr_ok: bool) -> list[Measured]:
    return [
        m
        for n in range(0, len(refs), ASR_BLOCK)
        for m in _measure_block(refs[n : n + ASR_BLOCK], options, cache, asr_ok)
    ]


def _measure_block(
    refs: Sequence[TakeRef], options: QCOptions, cache: QCCache, asr_ok: bool
) -> list[Measured]:
    """Signal stats, transcripts and embeddings of consecutive takes: from the QC cache, else computed
    (and stored). Transcripts: see ``window_transcripts``."""
    th = options.thresholds
    entries = [cache.load(r.key) for r in refs]
    audios = [_lazy(r.load) for r in refs]
    cached = [cache.stats(e, th) for e in entries]
    stats = [s if s is not None else signal_stats(*a(), th) for s, a in zip(cached, audios, strict=True)]
    dirty = [s is None for s in cached]
    wanted = [i for i, r in enumerate(refs) if options.asr and asr_ok and _asr_sampled(r, stats[i], th)]
    heard = window_transcripts(refs, wanted, stats, entries, audios, th=th)
    transcripts: list[str | None] = [None] * len(refs)
    asr_maps: list[dict[str, str]] = [{} for _ in refs]
    for i, (window, text, fresh) in heard.items():
        transcripts[i] = text
        asr_maps[i] = recent_windows({**stored_windows(entries[i]), window: text})
        dirty[i] = dirty[i] or fresh
    return [
        _embed_and_store(r, options, cache, entry=e, stats=s, transcript=t, asr_map=m, dirty=d, audio=a)
        for r, e, s, t, m, d, a in zip(
            refs, entries, stats, transcripts, asr_maps, dirty, audios, strict=True
        )
    ]


def _embed_and_store(
    ref: TakeRef,
    options: QCOptions,
    cache: QCCache,
    *,
    entry: dict[str, Any],
    stats: SignalStats,
    transcript: str | None,
    asr_map: dict[str, str],
    dirty: bool,
    audio: Loader,
) -> Measured:
    embedding, unavailable = cache.embedding(ref.key, entry), False
    if options.voice and ref.deep and not embedding[0]:
        qc_cache.CALLS["embed"] += 1
        try:
            embedding, dirty = (True, embed_mod.speaker_embedding(*audio())), True
        except AudioError:
            embedding, dirty = (True, None), True
        except EngineUnavailable:
            unavailable = True
    if dirty:
        cache.store(
            ref.key,
            stats=stats,
            th=options.thresholds,
            transcripts=asr_map or stored_windows(entry),
            embedding=embedding,
        )
    return Measured(stats, transcript, embedding, unavailable)
