"""Render a batch of sentences through the cache, with engine fallback.

``render_sentences`` is what a Prefect task wraps: it looks every sentence up in
the :class:`~lector.core.cache.Store`, synthesizes only the misses — batched per
(engine, voice) up to ``batch_size`` when the engine is batchable — and writes
each finished sentence to the store at once, so a killed run keeps its work.

When an engine raises (after its own retries) or returns invalid audio (empty,
NaN/inf, not float32, not 1-D, all silent) the sentence is rendered with the cast
voice's declared fallback chain only: ``VoiceSpec.fallback`` in project.toml, followed
transitively. There is no implicit fallback (no other engine, no espeak): a voice
without ``fallback`` leaves the sentence without audio, and the chapter fails with the
engine's error. A result from a fallback voice carries ``fallback_from`` (the cast voice
that failed) and ``error``; the flow reports it (CLI, manifest, run state) and does not
publish unless fallbacks are allowed. A failed batch is retried one sentence at a time;
an engine that raises EngineUnavailable (server down, after its own retries) is not
called again during the same render.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .cache import Store, render_key, take_info
from .casting import ResolvedVoice, VoiceResolver, build_request, invalid_audio
from .engines.base import Engine, SynthRequest
from .errors import AudioError, EngineError, EngineUnavailable, VoiceError
from .mixed_render import mixed_job
from .model import Sentence

ENGINE_FAILURES = (EngineError, VoiceError, AudioError)


@dataclass(frozen=True)
class RenderResult:
    sentence_id: str
    cache_key: str  # "" when every engine failed (no audio)
    engine_id: str
    engine_version: str
    voice: str  # engine voice id
    sample_rate: int
    duration_s: float
    synthesized: bool  # False = served from the cache
    fallback_from: str | None = None  # cast voice whose engine failed
    error: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.cache_key)


@dataclass(frozen=True)
class RenderReport:
    results: tuple[RenderResult, ...]  # input order
    synthesized: int
    cached: int
    fallbacks: tuple[str, ...] = ()  # sentence ids rendered by a fallback voice
    failed: tuple[str, ...] = ()  # sentence ids with no audio at all

    @property
    def engine_versions(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted({(r.engine_id, r.engine_version) for r in self.results if r.ok}))


@dataclass(frozen=True)
class _Job:
    index: int
    sentence: Sentence
    voice: ResolvedVoice
    request: SynthRequest
    key: str
    engine: Engine


def render_sentences(
    sentences: Sequence[Sentence],
    resolve: VoiceResolver,
    store: Store,
    *,
    draft: bool = False,
    batch_size: int = 16,
) -> RenderReport:
    """Render ``sentences`` (cache first, misses batched, fallback on failure); see the module doc."""
    if draft and not resolve.draft:
        resolve = resolve.as_draft()
    slots: list[RenderResult | None] = [None] * len(sentences)
    misses: list[_Job] = []
    failures: list[tuple[int, str]] = []
    for i, sentence in enumerate(sentences):
        try:
            # an emotion the engine cannot realise is spoken neutrally rather than failing over
            job = _job(i, sentence, resolve.voice(sentence.voice), resolve, relax=True)
        except ENGINE_FAILURES as exc:
            failures.append((i, str(exc)))
            continue
        slots[i] = _cached(job, store)
        if slots[i] is None:
            misses.append(job)
    down: dict[str, str] = {}  # engine id -> why it is unreachable (skip it for the rest)
    with _turns([j.engine for j in misses]):
        for group in _groups(misses, max(1, batch_size)):
            for job, error in _synthesize(group, store, slots, down):
                failures.append((job.index, error))
    for i, error in failures:
        slots[i] = _fallback(sentences[i], error, resolve, store, down)
    return _report(tuple(r for r in slots if r is not None))


def cached_report(
    sentences: Sequence[Sentence], resolve: VoiceResolver, store: Store, *, draft: bool = False
) -> RenderReport | None:
    """What :func:`render_sentences` would report when every sentence's take is already in the
    cache (nothing to synthesize); None as soon as one is not (or its voice does not resolve:
    render_sentences then reports why)."""
    results = []
    for _, job in _cast_jobs(sentences, resolve, draft):
        hit = _cached(job, store) if job is not None else None
        if hit is None:
            return None
        results.append(hit)
    return _report(tuple(results))


def sentence_keys(
    sentences: Sequence[Sentence], resolve: VoiceResolver, *, draft: bool = False
) -> dict[str, str]:
    """Sentence id -> the cache key its take has in the cast voice (what a render looks up first);
    sentences whose voice or engine does not resolve are left out."""
    return {s.id: job.key for s, job in _cast_jobs(sentences, resolve, draft) if job is not None}


def _cast_jobs(
    sentences: Sequence[Sentence], resolve: VoiceResolver, draft: bool
) -> Iterator[tuple[Sentence, _Job | None]]:
    """Each sentence with its job in its cast voice; None when the voice or its engine does not resolve."""
    if draft and not resolve.draft:
        resolve = resolve.as_draft()
    for i, sentence in enumerate(sentences):
        try:
            yield sentence, _job(i, sentence, resolve.voice(sentence.voice), resolve, relax=True)
        except ENGINE_FAILURES:
            yield sentence, None


class _FifoTurn:
    """A lock granted in arrival order (threading.Lock promises no order)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._cond.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


_TURNS: dict[int, _FifoTurn] = {}
_TURNS_LOCK = threading.Lock()


@contextmanager
def _turns(engines: Sequence[Engine]) -> Iterator[None]:
    """Whole batches take turns, in the order they asked, on each in-process CPU engine they use
    (those synthesize one call at a time anyway). Interleaved sentence by sentence, every chapter
    of a book finished synthesis at about the same moment, so no chapter could be mastered and
    exported while the others were still being synthesized (demo-en: all three chapters done
    within 0.4 s of each other at the end); in turns, chapter 1 is done first and its master and
    exports run beside chapter 2's synthesis. Remote and GPU engines manage their own concurrency."""
    local = {id(e): e for e in engines if e.capabilities.device == "cpu"}
    with ExitStack() as stack:
        for key in sorted(local):  # one global order: no two batches deadlock
            with _TURNS_LOCK:
                turn = _TURNS.setdefault(key, _FifoTurn())
            stack.enter_context(turn)
        yield


def _job(index: int, sentence: Sentence, rv: ResolvedVoice, resolve: VoiceResolver, *, relax: bool) -> _Job:
    mix = mixed_job(sentence, rv, resolve, relax=relax)  # runs in another language: their cast voice
    if mix is not None:
        return _Job(index, sentence, mix.voice, mix.request, mix.key, mix.engine)
    engine = resolve.engine(rv.engine_id)
    caps = engine.capabilities
    request = build_request(sentence, rv, caps.emotions if relax else None)
    return _Job(index, sentence, rv, request, render_key(request, caps, resolve.params(rv.engine_id)), engine)


def _result(
    job: _Job,
    audio_len: int,
    sample_rate: int,
    synthesized: bool,
    *,
    fallback_from: str | None = None,
    error: str | None = None,
) -> RenderResult:
    caps = job.engine.capabilities
    return RenderResult(
        job.sentence.id,
        job.key,
        caps.engine_id,
        caps.version,
        job.request.voice,
        sample_rate,
        audio_len / sample_rate,
        synthesized,
        fallback_from,
        error,
    )


def _cached(job: _Job, store: Store) -> RenderResult | None:
    hit = take_info(store, job.key)
    return None if hit is None else _result(job, hit[0], hit[1], False)


def _groups(jobs: Sequence[_Job], batch_size: int) -> list[list[_Job]]:
    by_voice: dict[tuple[str, str], list[_Job]] = {}
    for job in jobs:
        by_voice.setdefault((job.voice.engine_id, job.request.voice), []).append(job)
    out = []
    for group in by_voice.values():
        size = batch_size if group[0].engine.capabilities.batchable else 1
        out += [group[i : i + size] for i in range(0, len(group), size)]
    return out


def _synthesize(
    group: list[_Job], store: Store, slots: list[RenderResult | None], down: dict[str, str]
) -> list[tuple[_Job, str]]:
    """Synthesize one batch, store and record the good takes; return (job, error) for the rest.

    A failed batch is retried one request at a time (one bad sentence must not sink 15 others),
    except when the engine is unreachable: then it is marked ``down`` and not called again.
    """
    engine_id = group[0].voice.engine_id
    if engine_id in down:
        return [(j, down[engine_id]) for j in group]
    try:
        takes = _run_engine(group[0].engine, [j.request for j in group])
    except ENGINE_FAILURES as exc:
        if isinstance(exc, EngineUnavailable):
            down[engine_id] = _describe(group[0], exc)
            return [(j, down[engine_id]) for j in group]
        if len(group) > 1:
            return [f for j in group for f in _synthesize([j], store, slots, down)]
        return [(j, _describe(j, exc)) for j in group]
    failed = []
    for job, audio in zip(group, takes, strict=True):
        problem = invalid_audio(audio)
        if problem:
            failed.append((job, f"{job.voice.engine_id}: {problem}"))
            continue
        sr = job.engine.capabilities.sample_rate
        store.write(job.key, audio, sr)
        slots[job.index] = _result(job, audio.size, sr, True)
    return failed


def _run_engine(engine: Engine, requests: list[SynthRequest]) -> list[npt.NDArray[np.float32]]:
    takes = engine.synthesize(requests)
    if len(takes) != len(requests):
        raise EngineError(
            f"{engine.capabilities.engine_id} returned {len(takes)} takes for {len(requests)} requests",
            fix="report the engine bug",
        )
    return list(takes)


def _describe(job: _Job, exc: Exception) -> str:
    return f"{job.voice.engine_id}: {exc}"


def _fallback(
    sentence: Sentence, error: str, resolve: VoiceResolver, store: Store, down: dict[str, str]
) -> RenderResult:
    errors = [error]
    for rv in resolve.fallbacks(sentence.voice, sentence.lang):
        if rv.engine_id in down:
            continue
        try:
            job = _job(0, sentence, rv, resolve, relax=True)
        except ENGINE_FAILURES as exc:
            errors.append(f"{rv.engine_id}: {exc}")
            continue
        slot: list[RenderResult | None] = [None]
        hit = _cached(job, store)
        if hit is None:
            errors += [e for _, e in _synthesize([job], store, slot, down)]
            hit = slot[0]
        if hit is not None:
            return replace(hit, fallback_from=sentence.voice, error="; ".join(errors))
    return RenderResult(sentence.id, "", "", "", "", 0, 0.0, False, sentence.voice, "; ".join(errors))


def describe_failures(
    results: Sequence[RenderResult], sentences: Sequence[Sentence] = (), *, limit: int = 5
) -> str:
    """Why the sentences without audio failed, one per line (source, text and each engine's error),
    for the error that stops a chapter; the errors are not printed anywhere else."""
    by_id = {s.id: s for s in sentences}
    failed = [r for r in results if not r.ok]
    lines = []
    for r in failed[:limit]:
        s = by_id.get(r.sentence_id)
        where = f" ({s.source}) {s.text[:60]!r}" if s is not None else ""
        lines.append(f"  sentence {r.sentence_id}{where}: {r.error or 'no engine produced audio'}")
    if len(failed) > limit:
        lines.append(f"  ... and {len(failed) - limit} more")
    return "\n".join(lines)


def _report(results: tuple[RenderResult, ...]) -> RenderReport:
    return RenderReport(
        results=results,
        synthesized=sum(1 for r in results if r.synthesized),
        cached=sum(1 for r in results if r.ok and not r.synthesized),
        fallbacks=tuple(r.sentence_id for r in results if r.ok and r.fallback_from),
        failed=tuple(r.sentence_id for r in results if not r.ok),
    )
