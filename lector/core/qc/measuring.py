"""Per-take measurements (signal stats, transcript, speaker embedding), cached in the QC cache.

Owns reading a take's audio only on a cache miss (once for its signal stats, once more for the
model checks of a sampled take), holding at most a block of sampled takes' audio at once, and
storing what was computed; turning measurements into flags is
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
from .checks import SignalStats, signal_stats
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


ASR_BLOCK = 64  # sampled takes whose audio the model pass holds at once (their Whisper windows)


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


@dataclass(frozen=True)
class Signal:
    """The signal pass over a chapter's takes: their QC cache records and signal stats."""

    entries: list[dict[str, Any]]
    known: list[SignalStats | None]  # the stats found in the QC cache (None: computed now)
    stats: list[SignalStats]


def measure_signal(refs: Sequence[TakeRef], options: QCOptions, cache: QCCache) -> Signal:
    """Signal stats of every take, from the QC cache or its audio (one take's audio at a time)."""
    th = options.thresholds
    entries = [cache.load(r.key) for r in refs]
    known = [cache.stats(e, th) for e in entries]
    stats = [s if s is not None else signal_stats(*r.load(), th) for r, s in zip(refs, known, strict=True)]
    return Signal(entries, known, stats)


def measure_all(refs: Sequence[TakeRef], options: QCOptions, cache: QCCache, asr_ok: bool) -> list[Measured]:
    return measure_models(refs, options, cache, asr_ok, measure_signal(refs, options, cache))


def measure_models(
    refs: Sequence[TakeRef], options: QCOptions, cache: QCCache, asr_ok: bool, signal: Signal
) -> list[Measured]:
    """The model checks of the sampled (``deep``) takes, ASR_BLOCK of them at a time, and every new
    record stored. Whisper windows span the chapter's sample, not a block of neighbouring takes (a
    window costs the same whether it holds one take or five). A sampled take missing from the QC
    cache is read again here (ms, against a Whisper window's ~0.5 s)."""
    th, entries, stats = options.thresholds, signal.entries, signal.stats
    out = [Measured(s, None, (False, None)) for s in stats]
    for i, ref in enumerate(refs):
        if signal.known[i] is None and not ref.deep:
            _store(ref, options, cache, entry=entries[i], stats=stats[i], asr_map=stored_windows(entries[i]))
    deep = [i for i, r in enumerate(refs) if r.deep]
    for n in range(0, len(deep), ASR_BLOCK):
        block = deep[n : n + ASR_BLOCK]
        audios = {i: _lazy(refs[i].load) for i in block}
        wanted = [i for i in block if options.asr and asr_ok and asr_wanted(refs[i], stats[i], th)]
        heard = window_transcripts(refs, wanted, stats, entries, audios, th=th)
        for i in block:
            window, asr_map = heard.get(i), stored_windows(entries[i])
            if window is not None:
                asr_map = recent_windows({**asr_map, window[0]: window[1]})
            out[i] = _embed_and_store(
                refs[i],
                options,
                cache,
                entry=entries[i],
                stats=stats[i],
                transcript=None if window is None else window[1],
                asr_map=asr_map,
                dirty=signal.known[i] is None or (window is not None and window[2]),
                audio=audios[i],
            )
    return out


def _store(
    ref: TakeRef,
    options: QCOptions,
    cache: QCCache,
    *,
    entry: dict[str, Any],
    stats: SignalStats,
    asr_map: dict[str, str],
    embedding: tuple[bool, npt.NDArray[np.float32] | None] | None = None,
) -> None:
    """Write a take's record; ``embedding`` None keeps the one the record had."""
    cache.store(
        ref.key,
        stats=stats,
        th=options.thresholds,
        transcripts=asr_map,
        embedding=cache.embedding(ref.key, entry) if embedding is None else embedding,
    )


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
    if options.voice and not embedding[0]:
        qc_cache.CALLS["embed"] += 1
        try:
            embedding, dirty = (True, embed_mod.speaker_embedding(*audio())), True
        except AudioError:
            embedding, dirty = (True, None), True
        except EngineUnavailable:
            unavailable = True
    if dirty:
        _store(ref, options, cache, entry=entry, stats=stats, asr_map=asr_map, embedding=embedding)
    return Measured(stats, transcript, embedding, unavailable)
