"""Run QC over sentences, a built chapter folder, or a whole project build.

Per-sentence audio comes from the render cache (``build/cache/<k[:2]>/<k>.flac``,
the engine's own take before mastering) and, when a cache file is missing, from
the chapter's ``chapter.flac`` sliced by the timeline's start/end.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..build import BuildDir, Timeline
from ..errors import AudioError, CacheError, EngineUnavailable
from ..hashing import file_digest
from ..voices import embed as embed_mod
from . import asr as asr_mod
from . import cache as qc_cache
from .cache import QCCache, audio_digest, profile_key
from .checks import (
    DEFAULT_THRESHOLDS,
    SignalStats,
    Thresholds,
    chapter_s_per_unit,
    loudness_flag,
    signal_flags,
    signal_stats,
    text_units,
)
from .report import ChapterQC, ProfileCheck, QCReport, SentenceQC, merge_into_report
from .sample import NOT_SAMPLED_NOTE, sample_refs
from .voice import Embedded, score_embedded

if TYPE_CHECKING:
    from ..audio.io import Audio
    from ..audio.measure import Measurements
    from ..project import Project

Loader = Callable[[], tuple["Audio", int]]  # reads one take: (float32 mono, rate)


@dataclass(frozen=True)
class QCOptions:
    asr: bool = True
    voice: bool = True
    profile: str | None = None  # mastering profile to check chapter.flac against
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    sample_takes: int = 0  # ASR + voice on at most this many takes per chapter (0 = all)


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


def guess_lang(text: str) -> str:
    units = text_units(text)
    return "zh" if units["zh"] > 0 else "en"


@dataclass(frozen=True)
class _Ref:
    """One take to check: its metadata, its audio digest (cache key) and how to read its audio."""

    sentence_id: str
    text: str
    voice: str
    lang: str
    spoken: str
    key: str
    load: Loader
    deep: bool = True  # gets the ASR and speaker checks (see sample_refs)


@dataclass(frozen=True)
class _Measured:
    stats: SignalStats
    transcript: str | None
    embedding: tuple[bool, npt.NDArray[np.float32] | None]  # (embedded, vector or None when too short)
    voice_unavailable: bool = False


_ALWAYS = SignalStats(1.0, 1.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0)  # "has speech", to ask before measuring


def _asr_wanted(ref: _Ref, stats: SignalStats, th: Thresholds) -> bool:
    lang = ref.lang or guess_lang(ref.text)
    return lang == "en" and len(asr_mod.normalise_words(ref.text)) >= th.asr_min_words and stats.speech_s > 0


def _asr_sampled(ref: _Ref, stats: SignalStats, th: Thresholds) -> bool:
    return ref.deep and _asr_wanted(ref, stats, th)


def _sample_limit(options: QCOptions) -> int:
    return options.sample_takes if options.asr or options.voice else 0


ASR_BLOCK = 64  # takes measured together (their audio held at once); ASR packs uncached ones


def _lazy(load: Loader) -> Loader:
    memo: list[tuple[Audio, int]] = []

    def audio() -> tuple[Audio, int]:
        if not memo:
            memo.append(load())
        return memo[0]

    return audio


def _measure_all(refs: Sequence[_Ref], options: QCOptions, cache: QCCache, asr_ok: bool) -> list[_Measured]:
    return [
        m
        for n in range(0, len(refs), ASR_BLOCK)
        for m in _measure_block(refs[n : n + ASR_BLOCK], options, cache, asr_ok)
    ]


def _measure_block(refs: Sequence[_Ref], options: QCOptions, cache: QCCache, asr_ok: bool) -> list[_Measured]:
    """Signal stats, transcripts and embeddings of consecutive takes: from the QC cache, else computed
    (and stored). Transcripts: see ``_transcripts``."""
    th = options.thresholds
    entries = [cache.load(r.key) for r in refs]
    audios = [_lazy(r.load) for r in refs]
    cached = [cache.stats(e, th) for e in entries]
    stats = [s if s is not None else signal_stats(*a(), th) for s, a in zip(cached, audios, strict=True)]
    dirty = [s is None for s in cached]
    wanted = [i for i, r in enumerate(refs) if options.asr and asr_ok and _asr_sampled(r, stats[i], th)]
    heard = _transcripts(refs, wanted, stats, entries, audios, th=th)
    transcripts: list[str | None] = [None] * len(refs)
    asr_maps: list[dict[str, str]] = [{} for _ in refs]
    for i, (window, text, fresh) in heard.items():
        transcripts[i] = text
        asr_maps[i] = _recent({**_asr_map(entries[i]), window: text})
        dirty[i] = dirty[i] or fresh
    return [
        _embed_and_store(r, options, cache, entry=e, stats=s, transcript=t, asr_map=m, dirty=d, audio=a)
        for r, e, s, t, m, d, a in zip(
            refs, entries, stats, transcripts, asr_maps, dirty, audios, strict=True
        )
    ]


def _asr_map(entry: dict[str, Any]) -> dict[str, str]:
    found = entry.get("asr")
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def _recent(asr_map: dict[str, str], keep: int = 4) -> dict[str, str]:
    """The last ``keep`` windows a take was transcribed in (an edit nearby starts a new one)."""
    return dict(list(asr_map.items())[-keep:])


def _transcripts(
    refs: Sequence[_Ref],
    wanted: list[int],
    stats: Sequence[SignalStats],
    entries: Sequence[dict[str, Any]],
    audios: Sequence[Loader],
    *,
    th: Thresholds,
) -> dict[int, tuple[str, str, bool]]:
    """ref index -> (window id, transcript, freshly transcribed) for the takes that want ASR.

    The windows are packed over every wanted take in order, cached or not (with content-defined
    boundaries), so they depend on the takes alone, never on which of them a killed render had
    already measured; a cached transcript
    counts only for the same window (asr.window_id), and a window with one take missing is
    transcribed whole (one Whisper call, as for that take alone)."""
    out: dict[int, tuple[str, str, bool]] = {}
    keys = [refs[i].key for i in wanted]
    breaks = asr_mod.content_breaks(keys) if all(keys) else None
    windows = (
        asr_mod.pack_windows([stats[i].duration_s for i in wanted], breaks=breaks)
        if asr_mod.packs()
        else [[n] for n in range(len(wanted))]
    )
    for window in windows:
        members = [wanted[n] for n in window]
        wid = asr_mod.window_id([refs[i].key for i in members])
        known = [k for i in members if (k := _asr_map(entries[i]).get(wid)) is not None]
        if len(known) == len(members):
            out.update({i: (wid, k, False) for i, k in zip(members, known, strict=True)})
            continue
        qc_cache.CALLS["asr"] += len(members)

        def suspect(
            n: int, hyp: str, members: list[int] = members
        ) -> bool:  # a packed mismatch is confirmed alone
            ref = refs[members[n]]
            return asr_mod.score_transcript(hyp, ref.text, ref.spoken).wer > th.asr_max_wer

        xs = [asr_mod.to_asr_rate(*audios[i]()) for i in members]
        for i, text in zip(members, asr_mod.transcribe_group(xs, retry=suspect), strict=True):
            out[i] = (wid, text, True)
    return out


def _embed_and_store(
    ref: _Ref,
    options: QCOptions,
    cache: QCCache,
    *,
    entry: dict[str, Any],
    stats: SignalStats,
    transcript: str | None,
    asr_map: dict[str, str],
    dirty: bool,
    audio: Loader,
) -> _Measured:
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
            transcripts=asr_map or _asr_map(entry),
            embedding=embedding,
        )
    return _Measured(stats, transcript, embedding, unavailable)


def _signal_results(refs: Sequence[_Ref], measured: Sequence[_Measured], th: Thresholds) -> list[SentenceQC]:
    norms = chapter_s_per_unit([(r.text, m.stats.speech_s) for r, m in zip(refs, measured, strict=True)], th)
    voiced = [m.stats.speech_rms_dbfs for m in measured if m.stats.speech_s > 0]
    median_db = float(np.median(voiced)) if voiced else 0.0
    results = []
    for ref, m in zip(refs, measured, strict=True):
        st = m.stats
        flags, ratio = signal_flags(st, ref.text, th, norms)
        loud = loudness_flag(st.speech_rms_dbfs, median_db, th) if len(voiced) >= 3 and st.speech_s else None
        results.append(
            SentenceQC(
                sentence_id=ref.sentence_id,
                flags=flags + ((loud,) if loud else ()),
                duration_s=st.duration_s,
                speech_s=st.speech_s,
                leading_s=st.leading_s,
                trailing_s=st.trailing_s,
                longest_gap_s=st.longest_gap_s,
                clip_runs=st.clip_runs,
                peak_dbfs=st.peak_dbfs,
                speech_rms_dbfs=st.speech_rms_dbfs,
                duration_ratio=ratio,
                notes=() if ref.deep else (NOT_SAMPLED_NOTE,),
            )
        )
    return results


def _asr_results(
    refs: Sequence[_Ref],
    measured: Sequence[_Measured],
    results: Sequence[SentenceQC],
    th: Thresholds,
    asr_ok: bool,
) -> list[SentenceQC]:
    out = []
    for ref, m, r in zip(refs, measured, results, strict=True):
        if not _asr_wanted(ref, m.stats, th):
            out.append(r)
        elif not ref.deep:
            out.append(r)  # noted in _signal_results
        elif not asr_ok or m.transcript is None:
            out.append(replace(r, notes=(*r.notes, asr_mod.UNAVAILABLE_NOTE)))
        else:
            res = asr_mod.score_transcript(m.transcript, ref.text, ref.spoken)
            flag = ("asr-mismatch",) if res.wer > th.asr_max_wer else ()
            out.append(replace(r, wer=res.wer, transcript=res.transcript, flags=r.flags + flag))
    return out


def _embedded(refs: Sequence[_Ref], measured: Sequence[_Measured]) -> list[Embedded] | None:
    if any(m.voice_unavailable for m in measured):
        return None
    return [
        Embedded(r.sentence_id, r.voice, m.embedding[1], m.stats.speech_s)
        for r, m in zip(refs, measured, strict=True)
        if r.deep
    ]


def _given(audio: Audio, rate: int) -> tuple[Audio, int]:
    return audio, rate


def _in_memory_ref(it: SentenceAudio) -> _Ref:
    audio = np.asarray(it.audio, np.float32)
    return _Ref(it.sentence_id, it.text, it.voice, it.lang, it.spoken, "", lambda: (audio, it.sample_rate))


def check_sentences(
    items: Sequence[SentenceAudio], options: QCOptions = QCOptions()
) -> tuple[SentenceQC, ...]:
    """QC of in-memory takes (nothing cached)."""
    th = options.thresholds
    refs = [_in_memory_ref(it) for it in items]
    asr_ok = options.asr and asr_mod.asr_available()
    measured = _measure_all(refs, options, QCCache(None), asr_ok)
    results = _signal_results(refs, measured, th)
    if options.voice:
        results = _apply_voice(results, _embedded(refs, measured), th)
    if options.asr:
        results = _asr_results(refs, measured, results, th, asr_ok)
    return tuple(results)


def _apply_voice(
    results: Sequence[SentenceQC], embedded: list[Embedded] | None, th: Thresholds
) -> list[SentenceQC]:
    if embedded is None:
        return [replace(r, notes=(*r.notes, "qc:voice-unavailable")) for r in results]
    scores = score_embedded(embedded, th.voice_min_similarity)
    out = []
    for r in results:
        score = scores.get(r.sentence_id)
        if score is None:
            out.append(r)
            continue
        out.append(
            replace(
                r,
                voice_similarity=score.similarity,
                notes=r.notes + ((score.note,) if score.note else ()),
                flags=r.flags + (("voice-mismatch",) if score.flagged else ()),
            )
        )
    return out


def _read_flac(path: Path) -> tuple[Audio, int]:
    import soundfile as sf

    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise CacheError(f"cannot read audio: {exc}", file=path, fix="re-render this chapter") from None
    mono: Audio = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    return mono, int(rate)


def _read_timeline(chapter_dir: Path, build_dir: Path) -> Timeline:
    index = int(chapter_dir.name)
    timeline = BuildDir(build_dir).read_timeline(index)
    if timeline is None:
        raise AudioError(
            "cannot read timeline: no such file",
            file=BuildDir(build_dir).timeline_path(index),
            fix="re-run `lector render` for this chapter",
        )
    return timeline


def _cached_take(build_dir: Path, key: str) -> tuple[str, Loader] | None:
    """(QC cache key, loader) of a take in the render cache build/cache, or None when it is not there."""
    try:
        path = BuildDir(build_dir).take_path(key) if key else None
    except CacheError:  # not a render-cache key: the take is cut from chapter.flac
        path = None
    if path is None or not path.is_file():
        return None
    return file_digest(path), functools.partial(_read_flac, path)


def _asr_ok(refs: Sequence[_Ref], options: QCOptions) -> bool:
    """Whisper is wanted (English takes long enough to judge) and can run here."""
    th = options.thresholds
    return options.asr and any(_asr_wanted(r, _ALWAYS, th) for r in refs) and asr_mod.asr_available()


def _timeline_refs(chapter_dir: Path, build_dir: Path) -> tuple[Timeline, list[_Ref]]:
    """The chapter's takes: the render cache's FLAC (keyed by its bytes' sha256, decoded only on a QC
    cache miss) or, when that file is gone, chapter.flac sliced by the timeline (keyed by its samples)."""
    timeline = _read_timeline(chapter_dir, build_dir)
    chapter_audio: list[tuple[Audio, int]] = []
    planned = BuildDir(build_dir).plan_sentences()
    refs = []
    for s in timeline.sentences:
        cached = _cached_take(build_dir, s.cache_key)
        if cached is not None:
            digest, load = cached
        else:
            if not chapter_audio:
                chapter_audio.append(_read_flac(BuildDir(build_dir).chapter_flac(int(chapter_dir.name))))
            full, rate = chapter_audio[0]
            piece = full[int(s.start_s * rate) : int(s.end_s * rate)]
            digest, load = audio_digest(piece, rate), functools.partial(_given, piece, rate)
        plan_entry = planned.get(s.id, {})
        refs.append(
            _Ref(
                sentence_id=s.id,
                text=s.text,
                voice=s.voice,
                lang=s.lang or str(plan_entry.get("lang", "")),
                spoken=str(plan_entry.get("spoken", "")),
                key=digest,
                load=load,
            )
        )
    return timeline, refs


def profile_checks(chapter_flac: Path, profile: str) -> tuple[ProfileCheck, ...]:
    """Mastering-profile checks of chapter.flac: one ProfileCheck per rule, pass or fail."""
    try:
        from ..audio.measure import measure
    except ImportError:
        return (ProfileCheck(profile, True, None, "qc:profile-check-unavailable"),)
    if not chapter_flac.is_file():
        return (ProfileCheck(profile, False, None, f"{chapter_flac.name} missing"),)
    audio, rate = _read_flac(chapter_flac)
    return rule_checks(measure(audio, rate), profile)


def rule_checks(m: Measurements, profile: str) -> tuple[ProfileCheck, ...]:
    """One ProfileCheck per rule of ``profile`` (audio.profiles.profile_rules), pass or fail."""
    from ..audio.profiles import profile_rules

    return tuple(
        ProfileCheck(profile, r.ok, round(float(r.value), 3), r.detail, r.rule)
        for r in profile_rules(m, profile)
    )


def _cached_profile(chapter_flac: Path, profile: str, cache: QCCache) -> tuple[ProfileCheck, ...]:
    """profile_checks(), remembered per (chapter.flac bytes, profile) in the QC cache."""
    if cache.root is None or not chapter_flac.is_file():
        return profile_checks(chapter_flac, profile)
    key = profile_key(profile, chapter_flac)
    entry = cache.load(key)
    try:
        return tuple(ProfileCheck(**p) for p in entry["profile"])
    except (KeyError, TypeError):
        pass
    checks = profile_checks(chapter_flac, profile)
    cache.store_extra(key, {"profile": [asdict(p) for p in checks]})
    return checks


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
            _Ref(t.sentence_id, t.text, t.voice, t.lang, t.spoken, *cached)
            for t in takes
            if (cached := _cached_take(build_dir, t.cache_key)) is not None
        ],
        _sample_limit(options),
    )
    _measure_all(refs, options, QCCache(BuildDir(build_dir).qc_cache_dir), _asr_ok(refs, options))
    return len(refs)


def _master_profile(build_dir: Path, index: int, profile: str) -> tuple[ProfileCheck, ...]:
    """Profile checks from the measurements the master step recorded for exactly the samples in
    chapter.flac (master.json), so QC does not read and measure the whole chapter again after a
    one-sentence edit; () when there is no such record (QC then measures chapter.flac)."""
    doc = BuildDir(build_dir).read_master_doc(index)
    if doc is None:
        return ()
    return rule_checks(doc.measured(), profile)


def _chapter_pass(
    chapter_dir: Path, build_dir: Path, options: QCOptions
) -> tuple[ChapterQC, list[Embedded] | None]:
    """Signal + ASR + profile checks of one chapter, and its takes' embeddings (voice scored later).
    Per-take measurements come from build/qc-cache/ when the take's audio was checked before."""
    timeline, refs = _timeline_refs(chapter_dir, build_dir)
    refs = sample_refs(refs, _sample_limit(options))
    cache = QCCache(BuildDir(build_dir).qc_cache_dir)
    th = options.thresholds
    asr_ok = _asr_ok(refs, options)
    measured = _measure_all(refs, options, cache, asr_ok)
    sentences = _signal_results(refs, measured, th)
    if options.asr:
        sentences = _asr_results(refs, measured, sentences, th, asr_ok)
    embedded = _embedded(refs, measured) if options.voice else []
    flac = BuildDir(build_dir).chapter_flac(int(chapter_dir.name))
    profile = _master_profile(build_dir, int(chapter_dir.name), options.profile) if options.profile else ()
    if options.profile and not profile:
        profile = _cached_profile(flac, options.profile, cache)
    chapter = ChapterQC(
        chapter=timeline.chapter,
        title=timeline.title,
        sentences=tuple(sentences),
        profile=profile,
    )
    return chapter, embedded


def check_chapter_dir(chapter_dir: Path, build_dir: Path, options: QCOptions = QCOptions()) -> ChapterQC:
    chapter, embedded = _chapter_pass(chapter_dir, build_dir, options)
    if options.voice:
        chapter = replace(
            chapter, sentences=tuple(_apply_voice(chapter.sentences, embedded, options.thresholds))
        )
    return chapter


def built_chapter_dirs(build_dir: Path, chapters: Sequence[int] | None = None) -> list[Path]:
    bd = BuildDir(build_dir)
    return [bd.chapter_dir(i) for i in bd.built_chapters() if chapters is None or i in set(chapters)]


def run_qc(
    project_root: str | Path,
    chapters: Sequence[int] | None = None,
    options: QCOptions = QCOptions(),
    write: bool = True,
) -> QCReport:
    """QC every built chapter (or ``chapters``) of a project; merges into build/qc.json."""
    root = Path(project_root).resolve()
    build_dir = root / "build"
    passes = [_chapter_pass(d, build_dir, options) for d in built_chapter_dirs(build_dir, chapters)]
    results = tuple(c for c, _ in passes)
    if options.voice:  # one centroid per voice over all checked chapters (embeddings only in memory)
        found = [e for _, e in passes if e is not None]
        embedded = [x for e in found for x in e] if len(found) == len(passes) else None
        results = tuple(
            replace(c, sentences=tuple(_apply_voice(c.sentences, embedded, options.thresholds)))
            for c in results
        )
    th = asdict(options.thresholds)
    th.update(asr=options.asr, voice=options.voice)
    if write:
        return merge_into_report(BuildDir(build_dir).qc_json, root.name, results, th)
    return QCReport(project=root.name, chapters=results, thresholds=th)
