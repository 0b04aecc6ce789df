"""Run QC over sentences, a built chapter folder, or a whole project build.

Per-sentence audio comes from the render cache (``build/cache/<k[:2]>/<k>.flac``,
the engine's own take before mastering) and, when a cache file is missing, from
the chapter's ``chapter.flac`` sliced by the timeline's start/end.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import AudioError, CacheError, EngineUnavailable
from . import asr as asr_mod
from .checks import (DEFAULT_THRESHOLDS, Thresholds, chapter_s_per_unit, loudness_flag, signal_flags,
                     signal_stats, text_units)
from .report import ChapterQC, ProfileCheck, QCReport, SentenceQC, merge_into_report
from .voice import Embedded, Take, embed_takes, score_embedded


@dataclass(frozen=True)
class QCOptions:
    asr: bool = True
    voice: bool = True
    profile: str | None = None          # mastering profile to check chapter.flac against
    thresholds: Thresholds = DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class SentenceAudio:
    sentence_id: str
    text: str
    voice: str
    audio: np.ndarray
    sample_rate: int
    lang: str = ""                      # "" = guess from the text
    spoken: str = ""                    # normalised text (plan.json), a second ASR reference


def options_for(project, *, asr: bool = True, voice: bool = True) -> QCOptions:
    """QC options for a loaded Project: its mastering profile ([output].profile) is checked too.
    The flow calls ``run_qc(project.root, chapters=[n], options=options_for(project))`` per chapter."""
    return QCOptions(asr=asr, voice=voice, profile=project.config.output.profile)


def guess_lang(text: str) -> str:
    units = text_units(text)
    return "zh" if units["zh"] > 0 else "en"


def check_sentences(items: Sequence[SentenceAudio], options: QCOptions = QCOptions()) -> tuple[SentenceQC, ...]:
    th = options.thresholds
    stats = [signal_stats(it.audio, it.sample_rate, th) for it in items]
    norms = chapter_s_per_unit([(it.text, st.speech_s) for it, st in zip(items, stats)], th)
    voiced = [st.speech_rms_dbfs for st in stats if st.speech_s > 0]
    median_db = float(np.median(voiced)) if voiced else 0.0
    results = []
    for it, st in zip(items, stats):
        flags, ratio = signal_flags(st, it.text, th, norms)
        loud = loudness_flag(st.speech_rms_dbfs, median_db, th) if len(voiced) >= 3 and st.speech_s else None
        results.append(SentenceQC(
            sentence_id=it.sentence_id, flags=flags + ((loud,) if loud else ()), duration_s=st.duration_s,
            speech_s=st.speech_s, leading_s=st.leading_s, trailing_s=st.trailing_s,
            longest_gap_s=st.longest_gap_s, clip_runs=st.clip_runs, peak_dbfs=st.peak_dbfs,
            speech_rms_dbfs=st.speech_rms_dbfs, duration_ratio=ratio))
    if options.voice:
        results = _add_voice(items, results, th)
    if options.asr:
        results = _add_asr(items, results, th)
    return tuple(results)


def _embed(items, results) -> list[Embedded] | None:
    takes = [Take(it.sentence_id, it.voice, np.asarray(it.audio, np.float32), it.sample_rate, r.speech_s)
             for it, r in zip(items, results)]
    try:
        return embed_takes(takes)
    except EngineUnavailable:
        return None


def _apply_voice(results, embedded: list[Embedded] | None, th: Thresholds) -> list[SentenceQC]:
    if embedded is None:
        return [replace(r, notes=r.notes + ("qc:voice-unavailable",)) for r in results]
    scores = score_embedded(embedded, th.voice_min_similarity)
    out = []
    for r in results:
        score = scores.get(r.sentence_id)
        if score is None:
            out.append(r)
            continue
        out.append(replace(r, voice_similarity=score.similarity, notes=r.notes + ((score.note,) if score.note else ()),
                           flags=r.flags + (("voice-mismatch",) if score.flagged else ())))
    return out


def _add_voice(items, results, th: Thresholds) -> list[SentenceQC]:
    return _apply_voice(results, _embed(items, results), th)


def _add_asr(items, results, th: Thresholds) -> list[SentenceQC]:
    available = asr_mod.asr_available()
    out = []
    for it, r in zip(items, results):
        lang = it.lang or guess_lang(it.text)
        if lang != "en" or len(asr_mod.normalise_words(it.text)) < th.asr_min_words or r.speech_s == 0:
            out.append(r)
            continue
        if not available:
            out.append(replace(r, notes=r.notes + (asr_mod.UNAVAILABLE_NOTE,)))
            continue
        res = asr_mod.check_asr(it.audio, it.sample_rate, it.text, it.spoken)
        flag = ("asr-mismatch",) if res.wer > th.asr_max_wer else ()
        out.append(replace(r, wer=res.wer, transcript=res.transcript, flags=r.flags + flag))
    return out


def _read_flac(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise CacheError(f"cannot read audio: {exc}", file=path, fix="re-render this chapter") from None
    return audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0], int(rate)


def _planned_sentences(build_dir: Path) -> dict[str, dict]:
    """sentence id -> plan.json entry (lang, spoken), when the build has a plan."""
    try:
        plan = json.loads((build_dir / "plan.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {s["id"]: s for c in plan.get("chapters", []) for s in c.get("sentences", []) if "id" in s}


def sentence_audio_from_timeline(chapter_dir: Path, build_dir: Path) -> tuple[dict, list[SentenceAudio]]:
    timeline_path = chapter_dir / "timeline.json"
    try:
        timeline = json.loads(timeline_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AudioError(f"cannot read timeline: {exc}", file=timeline_path,
                         fix="re-run `lector render` for this chapter") from None
    chapter_audio = None
    planned = _planned_sentences(build_dir)
    items = []
    for s in timeline.get("sentences", []):
        key = str(s.get("cache_key") or "")
        cached = build_dir / "cache" / key[:2] / f"{key}.flac" if key else None
        if cached is not None and cached.is_file():
            audio, rate = _read_flac(cached)
        else:
            if chapter_audio is None:
                chapter_audio = _read_flac(chapter_dir / "chapter.flac")
            full, rate = chapter_audio
            audio = full[int(float(s["start_s"]) * rate): int(float(s["end_s"]) * rate)]
        items.append(SentenceAudio(sentence_id=str(s["id"]), text=str(s.get("text", "")),
                                   voice=str(s.get("voice", "")), audio=audio, sample_rate=rate,
                                   lang=str(s.get("lang") or planned.get(s["id"], {}).get("lang", "")),
                                   spoken=str(planned.get(s["id"], {}).get("spoken", ""))))
    return timeline, items


def profile_checks(chapter_flac: Path, profile: str) -> tuple[ProfileCheck, ...]:
    """Mastering-profile checks of chapter.flac (tts_engine.audio.master.check_profile):
    one failing ProfileCheck per violation, or a single passing one."""
    try:
        from ..audio.master import check_profile
        from ..audio.measure import measure
    except ImportError:
        return (ProfileCheck(profile, True, None, "qc:profile-check-unavailable"),)
    if not chapter_flac.is_file():
        return (ProfileCheck(profile, False, None, f"{chapter_flac.name} missing"),)
    audio, rate = _read_flac(chapter_flac)
    m = measure(audio, rate)
    violations = check_profile(m, profile)
    if not violations:
        return (ProfileCheck(profile, True, round(m.lufs_integrated, 2), "passes"),)
    return tuple(ProfileCheck(profile, False, None, v) for v in violations)


def _chapter_pass(chapter_dir: Path, build_dir: Path, options: QCOptions) -> tuple[ChapterQC, list[Embedded] | None]:
    """Signal + ASR + profile checks of one chapter, and its takes' embeddings (voice scored later)."""
    timeline, items = sentence_audio_from_timeline(chapter_dir, build_dir)
    sentences = check_sentences(items, replace(options, voice=False)) if items else ()
    embedded = _embed(items, sentences) if options.voice and items else []
    profile = profile_checks(chapter_dir / "chapter.flac", options.profile) if options.profile else ()
    chapter = ChapterQC(chapter=int(timeline.get("chapter", int(chapter_dir.name))),
                        title=str(timeline.get("title", "")), sentences=sentences, profile=profile)
    return chapter, embedded


def check_chapter_dir(chapter_dir: Path, build_dir: Path, options: QCOptions = QCOptions()) -> ChapterQC:
    chapter, embedded = _chapter_pass(chapter_dir, build_dir, options)
    if options.voice:
        chapter = replace(chapter, sentences=tuple(_apply_voice(chapter.sentences, embedded, options.thresholds)))
    return chapter


def built_chapter_dirs(build_dir: Path, chapters: Sequence[int] | None = None) -> list[Path]:
    root = build_dir / "chapters"
    if not root.is_dir():
        return []
    dirs = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit() and (p / "timeline.json").is_file())
    return [d for d in dirs if chapters is None or int(d.name) in set(chapters)]


def run_qc(project_root: str | Path, chapters: Sequence[int] | None = None,
           options: QCOptions = QCOptions(), write: bool = True) -> QCReport:
    """QC every built chapter (or ``chapters``) of a project; merges into build/qc.json."""
    root = Path(project_root).resolve()
    build_dir = root / "build"
    passes = [_chapter_pass(d, build_dir, options) for d in built_chapter_dirs(build_dir, chapters)]
    results = tuple(c for c, _ in passes)
    if options.voice:   # one centroid per voice over all checked chapters (embeddings only in memory)
        embedded = None if any(e is None for _, e in passes) else [x for _, e in passes for x in e]
        results = tuple(replace(c, sentences=tuple(_apply_voice(c.sentences, embedded, options.thresholds)))
                        for c in results)
    th = asdict(options.thresholds)
    th.update(asr=options.asr, voice=options.voice)
    if write:
        return merge_into_report(build_dir / "qc.json", root.name, results, th)
    return QCReport(project=root.name, chapters=results, thresholds=th)
