"""Run QC over sentences, a built chapter folder, or a whole project build.

The entry points only: which takes are checked (sampling), in which order the passes run, and
where the report goes. Per-take audio comes from :mod:`.take_audio`, measurements from
:mod:`.measuring`, verdicts from :mod:`.scoring`, profile checks from :mod:`.profile`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..build import BuildDir
from . import asr as asr_mod
from .cache import QCCache
from .checks import SignalStats
from .measuring import Measured, measure_all, measure_models, measure_signal, models_needed
from .models import model_session
from .profile import cached_profile, master_profile
from .report import ChapterQC, QCReport, SentenceQC, merge_into_report
from .sample import promote_flagged, sample_refs, signal_flagged
from .scoring import apply_voice, asr_results, embeddings, signal_results
from .take_audio import cached_take, timeline_refs
from .takes import DEFAULT_OPTIONS, QCOptions, TakeRef, asr_wanted
from .voice import Embedded

if TYPE_CHECKING:
    from ..model import Sentence
    from ..project import Project


@dataclass(frozen=True)
class SentenceAudio:
    sentence_id: str
    text: str
    voice: str
    audio: npt.NDArray[np.floating[Any]]
    sample_rate: int
    lang: str = ""  # "" = guess from the text
    spoken: str = ""  # normalised text (plan.json), a second ASR reference


def options_for(project: Project, *, asr: bool = True, voice: bool = True) -> QCOptions:
    """QC options for a loaded Project: its mastering profile ([output].profile) is checked too.
    The flow calls ``run_qc(project.root, chapters=[n], options=options_for(project))`` per chapter."""
    return QCOptions(
        asr=asr,
        voice=voice,
        profile=project.config.output.profile,
        sample_takes=project.config.render.qc_sample_takes,
    )


_ALWAYS = SignalStats(1.0, 1.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0)  # "has speech", to ask before measuring


def _sample_limit(options: QCOptions) -> int:
    return options.sample_takes if options.asr or options.voice else 0


def _in_memory_ref(it: SentenceAudio) -> TakeRef:
    audio = np.asarray(it.audio, np.float32)
    return TakeRef(it.sentence_id, it.text, it.voice, it.lang, it.spoken, "", lambda: (audio, it.sample_rate))


def check_sentences(
    items: Sequence[SentenceAudio], options: QCOptions = DEFAULT_OPTIONS
) -> tuple[SentenceQC, ...]:
    """QC of in-memory takes (nothing cached)."""
    th = options.thresholds
    refs = [_in_memory_ref(it) for it in items]
    asr_ok = options.asr and asr_mod.asr_available()
    measured = measure_all(refs, options, QCCache(None), asr_ok)
    results = signal_results(refs, measured, th)
    if options.voice:
        results = apply_voice(results, embeddings(refs, measured), th)
    if options.asr:
        results = asr_results(refs, measured, results, th, asr_ok)
    return tuple(results)


def _asr_ok(refs: Sequence[TakeRef], options: QCOptions) -> bool:
    """Whisper is wanted (English takes long enough to judge) and can run here."""
    th = options.thresholds
    return options.asr and any(asr_wanted(r, _ALWAYS, th) for r in refs) and asr_mod.asr_available()


@dataclass(frozen=True)
class Take:
    """A rendered sentence to measure ahead of its chapter's QC (see :func:`measure_takes`)."""

    sentence_id: str
    text: str
    voice: str
    lang: str
    spoken: str
    cache_key: str


def measure_takes(build_dir: Path, takes: Sequence[Take], options: QCOptions) -> int:
    """The per-take QC measurements (signal stats, ASR transcript, speaker embedding) of takes in
    build/cache, into build/qc-cache, as soon as they are synthesized: the chapter's QC after its
    master then finds them there. Returns how many takes were measured (the others were absent)."""
    refs = sample_refs(
        [
            TakeRef(t.sentence_id, t.text, t.voice, t.lang, t.spoken, *cached)
            for t in takes
            if (cached := cached_take(build_dir, t.cache_key)) is not None
        ],
        _sample_limit(options),
    )
    _measure(refs, options, QCCache(BuildDir(build_dir).qc_cache_dir), _asr_ok(refs, options))
    return len(refs)


def _measure(
    refs: Sequence[TakeRef], options: QCOptions, cache: QCCache, asr_ok: bool
) -> tuple[list[TakeRef], list[Measured]]:
    """Signal stats of every take, then the model checks of the sampled takes and of those the
    signal checks flag (sample.promote_flagged); returns the takes as checked and their measurements."""
    signal = measure_signal(refs, options, cache)
    limit = _sample_limit(options)
    if limit and len(refs) > limit:
        flagged = signal_flagged([r.text for r in refs], signal.stats, options.thresholds)
        refs = promote_flagged(refs, flagged, limit)
    with _models_for(refs, options, cache):
        return list(refs), measure_models(refs, options, cache, asr_ok, signal)


@contextmanager
def _models_for(refs: Sequence[TakeRef], options: QCOptions, cache: QCCache) -> Iterator[None]:
    """A model session (qc.models: the models never beside a chapter being mastered, released
    after) when measuring ``refs`` may load a model; else nothing to wait for."""
    with model_session() if models_needed(refs, options, cache) else nullcontext():
        yield


Planned = Mapping[str, Mapping[str, object]]  # sentence id -> its plan entry ("lang", "spoken")


def planned_texts(sentences: Iterable[Sentence]) -> dict[str, dict[str, object]]:
    """What QC reads of a sentence's plan entry, from the plan in memory (no plan.json read)."""
    return {s.id: {"lang": s.lang, "spoken": s.spoken} for s in sentences}


def _chapter_pass(
    chapter_dir: Path, build_dir: Path, options: QCOptions, planned: Planned | None = None
) -> tuple[ChapterQC, list[Embedded] | None]:
    """Signal + ASR + profile checks of one chapter, and its takes' embeddings (voice scored later).
    Per-take measurements come from build/qc-cache/ when the take's audio was checked before."""
    timeline, refs = timeline_refs(chapter_dir, build_dir, planned)
    refs = sample_refs(refs, _sample_limit(options))
    cache = QCCache(BuildDir(build_dir).qc_cache_dir)
    th = options.thresholds
    asr_ok = _asr_ok(refs, options)
    refs, measured = _measure(refs, options, cache, asr_ok)
    sentences = signal_results(refs, measured, th)
    if options.asr:
        sentences = asr_results(refs, measured, sentences, th, asr_ok)
    embedded = embeddings(refs, measured) if options.voice else []
    flac = BuildDir(build_dir).chapter_flac(int(chapter_dir.name))
    profile = master_profile(build_dir, int(chapter_dir.name), options.profile) if options.profile else ()
    if options.profile and not profile:
        profile = cached_profile(flac, options.profile, cache)
    chapter = ChapterQC(
        chapter=timeline.chapter,
        title=timeline.title,
        sentences=tuple(sentences),
        profile=profile,
    )
    return chapter, embedded


def check_chapter_dir(chapter_dir: Path, build_dir: Path, options: QCOptions = DEFAULT_OPTIONS) -> ChapterQC:
    chapter, embedded = _chapter_pass(chapter_dir, build_dir, options)
    if options.voice:
        chapter = replace(
            chapter, sentences=tuple(apply_voice(chapter.sentences, embedded, options.thresholds))
        )
    return chapter


def built_chapter_dirs(build_dir: Path, chapters: Sequence[int] | None = None) -> list[Path]:
    bd = BuildDir(build_dir)
    return [bd.chapter_dir(i) for i in bd.built_chapters() if chapters is None or i in set(chapters)]


def run_qc(
    project_root: str | Path,
    chapters: Sequence[int] | None = None,
    options: QCOptions = DEFAULT_OPTIONS,
    write: bool = True,
    planned: Planned | None = None,
) -> QCReport:
    """QC every built chapter (or ``chapters``) of a project; merges into build/qc.json.
    ``planned``: the checked sentences' plan entries (``planned_texts``) when the caller holds the
    plan; else build/plan.json is read."""
    root = Path(project_root).resolve()
    build_dir = root / "build"
    passes = [_chapter_pass(d, build_dir, options, planned) for d in built_chapter_dirs(build_dir, chapters)]
    results = tuple(c for c, _ in passes)
    if options.voice:  # one centroid per voice over all checked chapters (embeddings only in memory)
        found = [e for _, e in passes if e is not None]
        embedded = [x for e in found for x in e] if len(found) == len(passes) else None
        results = tuple(
            replace(c, sentences=tuple(apply_voice(c.sentences, embedded, options.thresholds)))
            for c in results
        )
    th = asdict(options.thresholds)
    th.update(asr=options.asr, voice=options.voice)
    if write:
        return merge_into_report(BuildDir(build_dir).qc_json, root.name, results, th)
    return QCReport(project=root.name, chapters=results, thresholds=th)
