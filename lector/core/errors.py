"""Lector's error tree.

Every error subclasses a builtin (so callers that only know ``ValueError`` still
catch it) and carries *where* (file, line, field) and *how to fix it*, so the
message a producer sees is actionable without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

FIX_MARK = " — fix: "  # how str(error) joins the message and its fix


class LectorError(Exception):
    """Base of all Lector errors. Not raised directly."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.field:
            where = f"{where} [{self.field}]" if where else f"[{self.field}]"
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f"{FIX_MARK}{self.fix}"
        return text


class ConfigError(LectorError, ValueError):
    """project.toml / voice.toml / settings are invalid."""


class ManuscriptError(LectorError, ValueError):
    """A manuscript file (EPUB, Markdown, text, SSML) cannot be read."""


class LexiconError(LectorError, ValueError):
    """A lexicon entry (PLS or TSV) is malformed or uses an unknown symbol."""


class TagError(LectorError, ValueError):
    """An inline tag names an unknown emotion/voice or has bad syntax."""


class PronunciationError(LectorError, ValueError):
    """Text could not be turned into phonemes."""


class VoiceError(LectorError, ValueError):
    """Unknown voice, or a reference clip that fails validation."""


class EngineError(LectorError, RuntimeError):
    """An engine failed to synthesize."""


class EngineUnavailable(EngineError):
    """An engine's server or model cannot be reached/loaded (retryable upstream)."""


class AudioError(LectorError, ValueError):
    """Audio that cannot be processed (bad rate, empty, wrong format)."""


class CacheError(LectorError, RuntimeError):
    """The render cache is unreadable or corrupt."""


class PublishError(LectorError, RuntimeError):
    """Uploading or verifying published objects failed."""


class BuildRecordError(LectorError, ValueError):
    """A record under build/ is damaged or was written by a newer Lector (unknown schema)."""


class ProjectBusy(LectorError, RuntimeError):
    """Another render (or review-app edit) holds the project's lock (lector.core.lock)."""


class FallbackUsed(EngineError):
    """A render spoke sentences with a cast voice's declared fallback and fallbacks were not allowed
    (``lector render --allow-fallback``): the masters are written, nothing is published."""

    summary: dict[str, Any] | None = None  # the run's summary, printed by the CLI before it fails


def did_you_mean(value: str, choices: Iterable[object]) -> str:
    """' (did you mean 'x'?)' for the closest of ``choices`` (difflib), or '' when none is close:
    appended to the message of an error about a misspelt key, voice, emotion or engine."""
    import difflib

    close = difflib.get_close_matches(str(value), sorted(str(c) for c in choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
