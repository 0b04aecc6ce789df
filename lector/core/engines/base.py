"""The engine Protocol and its frozen capabilities record.

One engine = one module with one class implementing :class:`Engine`. Engines
receive structured :class:`SynthRequest` values (spans with tokens and
pronunciations, voice, emotion, seed, prosody) — never raw tags — and return
float32 mono audio in [-1, 1] at ``capabilities.sample_rate``, one array per
request, each trimmed to its own length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..model import NEUTRAL, Prosody, Span


@dataclass(frozen=True)
class Capabilities:
    engine_id: str  # registry name, e.g. "piper-en"
    version: str  # bumps invalidate the render cache
    languages: tuple[str, ...]  # primary subtags this engine speaks
    sample_rate: int  # Hz of returned audio
    max_chars: int  # longest spoken text per request
    emotions: tuple[str, ...]  # emotions it can realise
    emotion_method: str  # how: "prosody-ratios", "instruct-text", "none", ...
    accepts_phonemes: bool  # uses Token.pron (our pinyin / IPA) when given
    seedable: bool  # same seed -> same audio; other seed -> other take
    batchable: bool  # synthesize() runs several requests in one model call
    device: Literal["cpu", "gpu", "any", "remote"] = "cpu"
    needs_gpu: bool = False
    concurrency: int = 1  # parallel requests it tolerates (remote servers)


@dataclass(frozen=True)
class VoiceInfo:
    voice_id: str
    lang: str
    description: str = ""


@dataclass(frozen=True)
class SynthRequest:
    sentence_id: str
    spans: tuple[Span, ...]
    voice: str = "default"  # engine-level voice id
    emotion: str = "neutral"
    emotion_degree: float = 1.0
    seed: int = 0
    prosody: Prosody = NEUTRAL
    speed: float = 1.0  # cast-level multiplier (VoiceSpec.speed)
    pitch: float = 1.0  # cast-level multiplier (VoiceSpec.pitch)

    @property
    def spoken(self) -> str:
        return "".join(s.spoken for s in self.spans)


@runtime_checkable
class Engine(Protocol):
    capabilities: Capabilities

    def voices(self) -> tuple[VoiceInfo, ...]: ...

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]: ...
