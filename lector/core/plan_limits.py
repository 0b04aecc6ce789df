"""Sentence length limits from the cast's engines (``capabilities.max_chars``), for the planner."""

from __future__ import annotations

from .errors import LectorError
from .project import Project

__all__ = ["engine_max_chars", "voice_max_chars"]


def voice_max_chars(project: Project) -> dict[str, int]:
    """Cast voice -> the smallest ``capabilities.max_chars`` over its engine and the engines of its
    ``fallback`` voices (a sentence must fit every engine that may speak it). Voices whose engine
    cannot be loaded are left out (the language default applies to them)."""
    voices = project.config.voices
    per_engine: dict[str, int | None] = {}
    out: dict[str, int] = {}
    for name in voices:
        limits: list[int] = []
        seen: set[str] = set()
        cur: str | None = name
        while cur and cur in voices and cur not in seen:
            seen.add(cur)
            eid = voices[cur].engine
            if eid not in per_engine:
                per_engine[eid] = engine_max_chars(project, eid)
            if limit := per_engine[eid]:
                limits.append(limit)
            cur = voices[cur].fallback
        if limits:
            out[name] = min(limits)
    return out


def engine_max_chars(project: Project, engine_id: str) -> int | None:
    """``capabilities.max_chars`` of an engine: the class attribute when the class declares one
    (no model is loaded), else from the engine instance the renderer will use (registry-cached)."""
    from .engines.base import Capabilities
    from .engines.registry import engine_class

    try:
        caps = getattr(engine_class(engine_id), "capabilities", None)
        if not isinstance(caps, Capabilities):
            from .casting import VoiceResolver

            caps = VoiceResolver.from_project(project).engine(engine_id).capabilities
    except (LectorError, OSError, ImportError):
        return None
    return int(caps.max_chars) if caps.max_chars > 0 else None
