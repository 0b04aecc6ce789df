"""Voice consistency: each take's speaker embedding against its voice's centroid.

The centroid of a take is computed *without* that take (leave-one-out), so one
odd take cannot pull the centroid towards itself. Voices with fewer than
``MIN_TAKES`` takes are not judged (a note says so).

Calibration (piper-en joe, 22.05 kHz, resemblyzer on CPU, 8 sentences): same voice
vs leave-one-out centroid 0.946-0.957; the same takes resampled (pitch and formants
shifted, i.e. another vocal tract) by 5 % score 0.87-0.91, by 10 % 0.78-0.82, by 15 %
~0.70, by 20 % 0.64-0.66 (down 15 %: 0.69-0.75). On the demo book (18
real sentences, 1-6 s) same-voice scores were 0.90-0.95 for takes of 1.2 s or more, but a
1.07 s take ("It is," he said.) scored 0.785 and a 1.5 s chapter title 0.851. Hence the
default threshold 0.80 (``Thresholds.voice_min_similarity``) and takes under 1.5 s of
speech are scored but never flagged; a +20 % vocal-tract change (0.62-0.66) or another
speaker is caught.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..voices.embed import centroid, cosine

MIN_TAKES = 3
MIN_SPEECH_S = 1.5  # shorter takes give unreliable embeddings (the encoder's window is 1.6 s):
# scored, never flagged


@dataclass(frozen=True)
class Embedded:
    sentence_id: str
    voice: str
    embedding: npt.NDArray[np.float32] | None  # None: too short or silent to embed
    speech_s: float


@dataclass(frozen=True)
class VoiceScore:
    sentence_id: str
    similarity: float | None  # None: not judged
    note: str = ""
    flagged: bool = False


def score_embedded(items: list[Embedded], min_similarity: float) -> dict[str, VoiceScore]:
    """sentence id -> score against the leave-one-out centroid of the same voice."""
    by_voice: dict[str, list[Embedded]] = {}
    for item in items:
        by_voice.setdefault(item.voice, []).append(item)
    out: dict[str, VoiceScore] = {}
    for group in by_voice.values():
        usable = [e for e in group if e.embedding is not None]
        for item in group:
            if item.embedding is None:
                out[item.sentence_id] = VoiceScore(item.sentence_id, None, "qc:voice-too-short")
            elif len(usable) < MIN_TAKES:
                out[item.sentence_id] = VoiceScore(item.sentence_id, None, "qc:voice-too-few-takes")
            else:
                others = [e.embedding for e in usable if e is not item and e.embedding is not None]
                sim = round(cosine(item.embedding, centroid(others)), 4)
                short = item.speech_s < MIN_SPEECH_S
                out[item.sentence_id] = VoiceScore(
                    item.sentence_id,
                    sim,
                    "qc:voice-short-take" if short else "",
                    flagged=not short and sim < min_similarity,
                )
    return out
