"""Reference-clip validation for cloning voices.

A clip is refused (:class:`VoiceError` with the measured value, the limit and the fix) when it is
shorter than 3 s or longer than 30 s, sampled below 16 kHz, clipped, noisy, or when its parts do
not sound like one speaker. Stereo is accepted and downmixed. Durations outside 5–10 s are
accepted with a warning (the cloning systems report unstable results below 3 s and little gain
above 10 s). Thresholds were calibrated on embedded-engine speech; see docs/VOICES.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..errors import VoiceError


@dataclass(frozen=True)
class ClipLimits:
    min_s: float = 3.0
    max_s: float = 30.0
    recommended_min_s: float = 5.0
    recommended_max_s: float = 10.0
    min_sample_rate: int = 16000
    clip_level: float = 0.999  # |x| at or above this counts as full scale
    max_clipped_fraction: float = 0.001  # share of samples in runs of >= 3 full-scale samples
    min_snr_db: float = 25.0  # loud speech frames vs quietest frames (~20 dB true SNR)
    min_speaker_cosine: float = 0.65  # parts of one TTS voice: 0.83-0.89; two voices: 0.37-0.40


DEFAULT_LIMITS = ClipLimits()


@dataclass(frozen=True)
class ClipReport:
    duration_s: float
    sample_rate: int
    channels: int
    peak: float
    clipped_fraction: float
    snr_db: float
    speaker_cosine: float | None  # None when not checked
    warnings: tuple[str, ...] = ()


def load_clip(path: str | Path) -> tuple[npt.NDArray[np.float32], int, int]:
    """Read any soundfile-readable clip -> (float32 mono, sample_rate, source channels)."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise VoiceError(
            f"cannot read audio clip: {exc}", file=path, fix="give a WAV or FLAC file (mono, 16 kHz or more)"
        ) from None
    channels = data.shape[1]
    mono = data.mean(axis=1) if channels > 1 else data[:, 0]
    return np.ascontiguousarray(mono, dtype=np.float32), int(rate), channels


def clipped_fraction(audio: npt.NDArray[np.float32], level: float = 0.999, min_run: int = 3) -> float:
    """Share of samples that sit in runs of ``min_run``+ consecutive full-scale samples."""
    hot = np.abs(audio) >= level
    if not hot.any():
        return 0.0
    edges = np.diff(np.concatenate(([0], hot.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = ends - starts
    return float(runs[runs >= min_run].sum() / audio.size)


def snr_db(audio: npt.NDArray[np.float32], sample_rate: int, frame_ms: float = 20.0) -> float:
    """Speech level (95th percentile frame RMS) over noise floor (10th percentile), in dB.

    Frames are 20 ms; the floor is held at -100 dBFS so digitally silent pauses do not give
    infinite values. A clip without any pause under-reads (its quietest frames are speech),
    which errs on the side of refusing.
    """
    n = max(1, int(sample_rate * frame_ms / 1000))
    frames = audio[: audio.size // n * n].reshape(-1, n)
    if frames.shape[0] < 10:
        return 0.0
    rms_db = 20 * np.log10(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) + 1e-5)
    return float(np.percentile(rms_db, 95) - np.percentile(rms_db, 10))


def speaker_parts(audio: npt.NDArray[np.float32], sample_rate: int) -> list[npt.NDArray[np.float32]]:
    """Split a clip into 2–4 equal parts (about 2.5 s each) for the one-speaker check."""
    duration_s = audio.size / sample_rate
    k = int(min(4, max(2, round(duration_s / 2.5))))
    size = audio.size // k
    return [audio[i * size : (i + 1) * size] for i in range(k)]


def speaker_agreement(audio: npt.NDArray[np.float32], sample_rate: int) -> float:
    """Lowest cosine between the speaker embeddings of the clip's parts (1.0 = same voice)."""
    from .embed import cosine, speaker_embedding  # the encoder's weights: loaded only when used

    embs = [speaker_embedding(part, sample_rate) for part in speaker_parts(audio, sample_rate)]
    return float(min(cosine(a, b) for i, a in enumerate(embs) for b in embs[i + 1 :]))


def _refuse(path: str | Path, what: str, fix: str) -> VoiceError:
    return VoiceError(what, file=path, fix=fix)


def _check_format(path: str | Path, audio: npt.NDArray[np.float32], rate: int, lim: ClipLimits) -> list[str]:
    duration_s = audio.size / rate
    if rate < lim.min_sample_rate:
        raise _refuse(
            path,
            f"clip is sampled at {rate} Hz; minimum {lim.min_sample_rate} Hz",
            "re-record or export at 16 kHz or more (44.1/48 kHz is best); "
            "upsampling a low-rate file does not help",
        )
    if duration_s < lim.min_s:
        raise _refuse(
            path,
            f"clip is {duration_s:.1f} s long; minimum {lim.min_s:.1f} s",
            "record 5–10 s of clean speech",
        )
    if duration_s > lim.max_s:
        raise _refuse(
            path,
            f"clip is {duration_s:.1f} s long; maximum {lim.max_s:.1f} s",
            "cut it to 5–10 s of clean speech from one speaker",
        )
    warnings = []
    if not lim.recommended_min_s <= duration_s <= lim.recommended_max_s:
        warnings.append(
            f"clip is {duration_s:.1f} s long; {lim.recommended_min_s:g}–"
            f"{lim.recommended_max_s:g} s gives the most stable cloning"
        )
    return warnings


def validate_clip(
    path: str | Path, limits: ClipLimits = DEFAULT_LIMITS, *, check_speaker: bool = True
) -> tuple[npt.NDArray[np.float32], int, ClipReport]:
    """Load and check a reference clip -> (mono float32 audio, sample_rate, report).

    Raises VoiceError naming the measured value, the limit and the fix.
    """
    audio, rate, channels = load_clip(path)
    warnings = _check_format(path, audio, rate, limits)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if channels > 1:
        warnings.append(f"clip has {channels} channels; downmixed to mono")
    clipped = clipped_fraction(audio, limits.clip_level)
    if clipped > limits.max_clipped_fraction:
        raise _refuse(
            path,
            f"clip is clipped: {clipped:.2%} of samples sit at full scale; "
            f"maximum {limits.max_clipped_fraction:.2%}",
            "record again with lower input gain (peaks around -6 dBFS)",
        )
    snr = snr_db(audio, rate)
    if snr < limits.min_snr_db:
        raise _refuse(
            path,
            f"clip is noisy: estimated SNR {snr:.1f} dB; minimum {limits.min_snr_db:.0f} dB",
            "record in a quiet room, close to the microphone, with pauses kept silent",
        )
    cos = None
    if check_speaker:
        cos = speaker_agreement(audio, rate)
        if cos < limits.min_speaker_cosine:
            raise _refuse(
                path,
                f"clip does not sound like one speaker: its parts agree at "
                f"cosine {cos:.2f}; minimum {limits.min_speaker_cosine:.2f}",
                "use speech from a single speaker, without music or a second voice",
            )
    report = ClipReport(
        duration_s=round(audio.size / rate, 3),
        sample_rate=rate,
        channels=channels,
        peak=round(peak, 4),
        clipped_fraction=clipped,
        snr_db=round(snr, 1),
        speaker_cosine=None if cos is None else round(cos, 3),
        warnings=tuple(warnings),
    )
    return audio, rate, report
