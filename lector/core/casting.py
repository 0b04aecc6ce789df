"""Casting: which engine voice reads a cast voice, the request it gets, and whether its take is usable.

:class:`VoiceResolver` maps the project's cast names ([voices]) to :class:`ResolvedVoice` values
(engine, engine voice, speed, pitch, fallback chain) and hands out one engine per engine id;
:func:`build_request` turns a planned sentence into that engine's request; :func:`invalid_audio`
says why a returned take cannot be used. The renderer and the mixed-language renderer both
build on these, so they live below both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .engines.base import Engine, SynthRequest
from .errors import VoiceError
from .model import Sentence
from .project import EngineOptions

if TYPE_CHECKING:
    from .project import Project

DRAFT_ENGINE = "espeak-draft"
SILENT_PEAK = 1e-4  # -80 dBFS: a take quieter than this everywhere is "all silent"


@dataclass(frozen=True)
class ResolvedVoice:
    """A cast voice bound to an engine voice."""

    cast: str
    engine_id: str
    voice: str = "default"
    lang: str = "zh"
    speed: float = 1.0
    pitch: float = 1.0
    fallback: str | None = None


class VoiceResolver:
    """Maps cast voice names to engine voices and hands out (cached) engines."""

    def __init__(
        self,
        voices: Mapping[str, ResolvedVoice],
        engine_factory: Callable[[str], Engine],
        *,
        draft: bool = False,
        params: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.voices = dict(voices)
        self.draft = draft
        self._factory = engine_factory
        self._params = {k: dict(v) for k, v in (params or {}).items()}
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_project(cls, project: Project, draft: bool = False) -> VoiceResolver:
        from .engines.registry import get_engine

        cfg = project.config
        voices = {
            name: ResolvedVoice(name, s.engine, s.voice, s.lang, s.speed, s.pitch, s.fallback)
            for name, s in cfg.voices.items()
        }
        params = {
            eid: {
                k: v
                for k, v in (("model_path", o.model_path), ("config_path", o.config_path), ("model", o.model))
                if v is not None
            }
            for eid, o in cfg.engines.items()
        }
        voices_dir = str(project.root / "voices")

        def factory(eid: str) -> Engine:
            # cloning engines find reference clips in the project's voices/ unless configured elsewhere
            options = cfg.engines.get(eid)
            if options is None:
                options = EngineOptions(voices_dir=voices_dir)
            elif options.voices_dir is None:
                options = options.model_copy(update={"voices_dir": voices_dir})
            return get_engine(eid, options)

        return cls(voices, factory, draft=draft, params=params)

    def as_draft(self) -> VoiceResolver:
        return VoiceResolver(self.voices, self._factory, draft=True, params=self._params)

    def voice(self, cast: str) -> ResolvedVoice:
        try:
            rv = self.voices[cast]
        except KeyError:
            raise VoiceError(
                f"unknown cast voice {cast!r}",
                field=f"voices.{cast}",
                fix=f"use one of: {', '.join(sorted(self.voices)) or '(none)'}",
            ) from None
        return _draft_voice(rv) if self.draft else rv

    def chain(self, cast: str, lang: str) -> tuple[ResolvedVoice, ...]:
        """The cast voice followed by :meth:`fallbacks`."""
        return (self.voice(cast), *self.fallbacks(cast, lang))

    def fallbacks(self, cast: str, lang: str) -> tuple[ResolvedVoice, ...]:
        """The cast voice's ``VoiceSpec.fallback`` chain, followed transitively: only voices the
        producer named, never one picked by ``lang``. Empty in draft mode (everything is already
        espeak-draft) and for an unknown cast voice."""
        if self.draft or cast not in self.voices:
            return ()
        used: list[ResolvedVoice] = []
        seen, name = {cast}, self.voices[cast].fallback
        while name and name not in seen and name in self.voices:
            seen.add(name)
            used.append(self.voices[name])
            name = self.voices[name].fallback
        return tuple(used)

    def engine(self, engine_id: str) -> Engine:
        """The engine for ``engine_id``, created once per resolver (thread-safe)."""
        with self._lock:
            if engine_id not in self._engines:
                self._engines[engine_id] = self._factory(engine_id)
            return self._engines[engine_id]

    def params(self, engine_id: str) -> Mapping[str, str]:
        return self._params.get(engine_id, {})


def _draft_voice(rv: ResolvedVoice) -> ResolvedVoice:
    return ResolvedVoice(rv.cast, DRAFT_ENGINE, rv.lang, rv.lang, rv.speed, rv.pitch, None)


def build_request(
    sentence: Sentence, rv: ResolvedVoice, emotions: Sequence[str] | None = None
) -> SynthRequest:
    """The engine request for ``sentence`` in voice ``rv``; emotion -> neutral if not in ``emotions``."""
    emotion = sentence.emotion if emotions is None or sentence.emotion in emotions else "neutral"
    return SynthRequest(
        sentence_id=sentence.id,
        spans=sentence.spans,
        voice=rv.voice,
        emotion=emotion,
        emotion_degree=sentence.emotion_degree,
        seed=sentence.seed,
        prosody=sentence.prosody,
        speed=rv.speed,
        pitch=rv.pitch,
    )


def invalid_audio(audio: object) -> str | None:
    """Why an engine take is unusable, or None when it is fine."""
    if not isinstance(audio, np.ndarray):
        return f"returned {type(audio).__name__}, not a numpy array"
    if audio.dtype != np.float32:
        return f"returned dtype {audio.dtype}, not float32"
    if audio.ndim != 1 or audio.size == 0:
        return f"returned shape {audio.shape}, not non-empty mono"
    if not np.isfinite(audio).all():
        return "returned NaN or infinite samples"
    if float(np.abs(audio).max()) < SILENT_PEAK:
        return "returned silence (peak below -80 dBFS)"
    return None
