"""Synthesis of a chapter's sentences, batch by batch, through the render cache."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from lector.core.cache import Store
from lector.core.casting import VoiceResolver
from lector.core.errors import FIX_MARK, EngineError
from lector.core.model import Chapter, Sentence
from lector.core.project import Project
from lector.core.render import RenderReport, cached_report, render_sentences

progress = logging.getLogger("lector.progress")

Batch = tuple[Sentence, ...]
GpuGate = Callable[[], AbstractContextManager[object]]


def batches(chapter: Chapter, size: int) -> list[Batch]:
    """The chapter's sentences in synthesis batches of ``size`` (the last one shorter)."""
    s = chapter.sentences
    return [tuple(s[i : i + size]) for i in range(0, len(s), size)]


def needs_gpu(resolver: VoiceResolver, sentences: Batch) -> bool:
    engines = {resolver.voice(s.voice).engine_id for s in sentences}
    return any(resolver.engine(e).capabilities.needs_gpu for e in engines)


def synthesize_batch(
    project: Project,
    chapter_index: int,
    sentences: Batch,
    store: Store,
    *,
    draft: bool = False,
    label: str = "",
    gpu_gate: GpuGate | None = None,
) -> RenderReport:
    """render_sentences() for one batch; ``gpu_gate`` (a concurrency limit) is entered only when an
    engine of the batch needs a GPU. A sentence no engine spoke stops the run (no_audio_error)."""
    resolver = VoiceResolver.from_project(project, draft=draft)
    gate = gpu_gate() if gpu_gate is not None and needs_gpu(resolver, sentences) else nullcontext()
    with gate:
        report = render_sentences(
            sentences, resolver, store, draft=draft, batch_size=project.config.render.batch_size
        )
    if report.failed:
        raise no_audio_error(chapter_index, sentences, report)
    progress.info(
        "render %s: %d sentence(s), engine %s (synthesized %d, cached %d)",
        label or f"chapter {chapter_index}",
        len(sentences),
        engines_text(report),
        report.synthesized,
        report.cached,
        extra={"lector": {"event": "batch", "chapter": chapter_index, "sentences": len(sentences)}},
    )
    return report


def no_audio_error(chapter_index: int, sentences: Batch, report: RenderReport) -> EngineError:
    """Sentences no engine spoke (the voice has no declared fallback, or every fallback failed too):
    the chapter cannot be mastered, so the run stops here with the engine's own error."""
    failed = [r for r in report.results if not r.ok]
    first = next(s for s in sentences if s.id == failed[0].sentence_id)
    # the engine's error reads "... — fix: ...": its fix leads ours rather than nesting in the message
    cause, _, engine_fix = str(failed[0].error).partition(FIX_MARK)
    fallback = (
        f'declare `fallback = "OTHER_VOICE"` under [voices.{first.voice}] and render with --allow-fallback'
    )
    return EngineError(
        f"chapter {chapter_index}: {len(failed)} sentence(s) have no audio; first: {first.id} "
        f"({first.source or 'no source'}), voice {first.voice!r}: {cause}",
        field=f"voices.{first.voice}",
        fix=f"{engine_fix}; or {fallback}"
        if engine_fix
        else f"fix the engine of voice {first.voice!r} (see the error), or {fallback}",
    )


def engines_text(report: RenderReport) -> str:
    """``piper-en 1.8.0`` (several joined by ", "; "no engine" when nothing was spoken)."""
    return ", ".join(f"{engine} {version}" for engine, version in report.engine_versions) or "no engine"


def probe_batches(
    project: Project, chapter_batches: dict[int, list[Batch]], store: Store, draft: bool = False
) -> dict[int, list[RenderReport | None]]:
    """cached_report() of every batch: a batch whose takes are all in the cache needs no synthesis.
    After a one-sentence edit the other batches' synthesis was most of the run."""
    resolver = VoiceResolver.from_project(project, draft=draft)
    probed = {
        index: [cached_report(b, resolver, store, draft=draft) for b in bs]
        for index, bs in chapter_batches.items()
    }
    hits = [(b, r) for i, bs in chapter_batches.items() for b, r in zip(bs, probed[i], strict=True)]
    found = [len(b) for b, r in hits if r is not None]
    n_batches = sum(map(len, chapter_batches.values()))
    progress.info(
        "render cache: %d of %d batches fully cached (%d of %d sentences), %d to synthesize",
        len(found),
        n_batches,
        sum(found),
        sum(len(b) for bs in chapter_batches.values() for b in bs),
        n_batches - len(found),
    )
    return probed
