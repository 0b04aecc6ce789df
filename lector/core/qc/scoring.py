"""Sentence verdicts from measurements: signal and loudness flags, ASR mismatch, voice drift.

Owns the thresholds' application (per chapter for duration norms and loudness, per voice for the
speaker centroid); the measurements themselves come from :mod:`.measuring`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import asr as asr_mod
from .checks import Thresholds, chapter_s_per_unit, loudness_flag, signal_flags
from .measuring import Measured
from .report import SentenceQC
from .sample import NOT_SAMPLED_NOTE
from .takes import TakeRef, asr_wanted
from .voice import Embedded, score_embedded


def signal_results(refs: Sequence[TakeRef], measured: Sequence[Measured], th: Thresholds) -> list[SentenceQC]:
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


def asr_results(
    refs: Sequence[TakeRef],
    measured: Sequence[Measured],
    results: Sequence[SentenceQC],
    th: Thresholds,
    asr_ok: bool,
) -> list[SentenceQC]:
    out = []
    for ref, m, r in zip(refs, measured, results, strict=True):
        if not asr_wanted(ref, m.stats, th):
            out.append(r)
        elif not ref.deep:
            out.append(r)  # noted in signal_results
        elif not asr_ok or m.transcript is None:
            out.append(replace(r, notes=(*r.notes, asr_mod.UNAVAILABLE_NOTE)))
        else:
            res = asr_mod.score_transcript(m.transcript, ref.text, ref.spoken)
            flag = ("asr-mismatch",) if res.wer > th.asr_max_wer else ()
            out.append(replace(r, wer=res.wer, transcript=res.transcript, flags=r.flags + flag))
    return out


def embeddings(refs: Sequence[TakeRef], measured: Sequence[Measured]) -> list[Embedded] | None:
    if any(m.voice_unavailable for m in measured):
        return None
    return [
        Embedded(r.sentence_id, r.voice, m.embedding[1], m.stats.speech_s)
        for r, m in zip(refs, measured, strict=True)
        if r.deep
    ]


def apply_voice(
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
