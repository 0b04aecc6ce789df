"""Engine registry plus the small helpers every embedded engine shares.

Engines are found in two places, merged (entry points win on a name clash):

* the entry-point group ``lector.engines`` (``pyproject.toml`` or any plugin dist);
* :data:`BUILTIN`, so a source checkout works without an installed dist.

A module that cannot be imported (e.g. an optional remote engine not written or
not installed yet) is skipped by :func:`list_engines` and reported clearly by
:func:`get_engine`. An engine class is constructed as ``Cls(options: EngineOptions)``;
instances are cached per ``(engine_id, options)`` in-process.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from ..errors import EngineError, EngineUnavailable, VoiceError, did_you_mean
from ..project import EngineOptions
from .base import Capabilities, Engine, SynthRequest, VoiceInfo

ENTRY_POINT_GROUP = "lector.engines"

# engine id -> "module:Class"; other helpers add their engines here (one line each)
BUILTIN: dict[str, str] = {
    "fastspeech2-zh": "lector.core.engines.fastspeech2_zh:FastSpeech2Zh",
    "piper-en": "lector.core.engines.piper_en:PiperEngine",
    "espeak-draft": "lector.core.engines.espeak_draft:EspeakDraft",
    "fake": "lector.core.engines.fake:FakeEngine",
    "gpt-sovits": "lector.core.engines.gpt_sovits:GptSovitsEngine",
    "cosyvoice": "lector.core.engines.cosyvoice:CosyVoiceEngine",
    "openai-speech": "lector.core.engines.openai_speech:OpenAISpeechEngine",
}

# an engine class: ``Cls(options)`` builds the engine
EngineClass = Callable[[EngineOptions], Engine]

_CACHE: dict[tuple[str, EngineOptions], Engine] = {}
_LOCK = threading.Lock()


def _targets() -> dict[str, str]:
    targets = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        targets[ep.name] = ep.value
    return targets


def _load(engine_id: str, target: str) -> EngineClass:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineUnavailable(
            f"engine {engine_id!r} cannot be imported ({module_name}): {exc}",
            field="engine",
            fix="install the package that provides it, or pick another engine (`lector engines`)",
        ) from exc
    try:
        cls: EngineClass = getattr(module, attr)
        return cls
    except AttributeError:
        raise EngineUnavailable(
            f"engine {engine_id!r}: {module_name} has no class {attr!r}",
            field="engine",
            fix=f"fix the entry point {target!r}",
        ) from None


def list_engines() -> tuple[str, ...]:
    """Ids of the engines whose module imports, sorted."""
    ok = []
    for engine_id, target in sorted(_targets().items()):
        try:
            _load(engine_id, target)
        except EngineUnavailable:
            continue
        ok.append(engine_id)
    return tuple(ok)


def known_engines() -> tuple[str, ...]:
    """Ids of every registered engine (built in or by entry point), sorted; nothing is imported."""
    return tuple(sorted(_targets()))


def engine_class(engine_id: str) -> EngineClass:
    """The class registered as ``engine_id``; EngineError listing known ids (and the closest) if unknown."""
    targets = _targets()
    if engine_id not in targets:
        raise EngineError(
            f"unknown engine {engine_id!r}{did_you_mean(engine_id, targets)}",
            field="engine",
            fix=f"use one of: {', '.join(list_engines())}",
        )
    return _load(engine_id, targets[engine_id])


def get_engine(engine_id: str, options: EngineOptions | None = None, **overrides: object) -> Engine:
    """A loaded engine, cached per (id, options) in this process.

    ``overrides`` are EngineOptions fields (``get_engine("piper-en", threads=1)``).
    """
    options = options or EngineOptions()
    if overrides:
        options = options.model_copy(update=overrides)
        options = EngineOptions.model_validate(options.model_dump())
    key = (engine_id, options)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = engine_class(engine_id)(options)
        return _CACHE[key]


# ----------------------------------------------------------------- shared engine helpers


def default_threads(options: EngineOptions) -> int:
    """CPU threads for an embedded engine: options.threads, else min(4, cpu count)."""
    return options.threads or min(4, os.cpu_count() or 1)


def resolve_voice(caps: Capabilities, voices: Sequence[VoiceInfo], voice: str, default: str) -> str:
    """Map "default" to ``default``; VoiceError listing allowed ids for an unknown voice."""
    voice_id = default if voice == "default" else voice
    allowed = [v.voice_id for v in voices]
    if voice_id not in allowed:
        raise VoiceError(
            f"unknown voice {voice!r} for engine {caps.engine_id}{did_you_mean(voice, allowed)}",
            field="voice",
            fix=f"use one of: default, {', '.join(allowed)}",
        )
    return voice_id


def check_request(caps: Capabilities, req: SynthRequest) -> None:
    """Reject (never truncate) over-long text; reject emotions the engine cannot realise."""
    n = len(req.spoken)
    if n > caps.max_chars:
        raise EngineError(
            f"sentence {req.sentence_id} has {n} characters, more than {caps.engine_id}'s "
            f"max_chars={caps.max_chars}",
            field="max_chars",
            fix="split the sentence (the planner splits at the engine's max_chars)",
        )
    if req.emotion not in caps.emotions:
        raise EngineError(
            f"emotion {req.emotion!r} is not supported by {caps.engine_id}",
            field="emotion",
            fix=f"use one of: {', '.join(caps.emotions)}",
        )
    if not 0.0 <= req.emotion_degree <= 2.0:
        raise EngineError(
            f"emotion_degree {req.emotion_degree} is outside [0, 2]",
            field="emotion_degree",
            fix="use a degree between 0 and 2",
        )


def blend(preset: tuple[float, ...], degree: float) -> tuple[float, ...]:
    """Scale an emotion preset's ratios towards 1.0 (degree 0) or beyond (degree > 1)."""
    return tuple(1.0 + (r - 1.0) * degree for r in preset)
