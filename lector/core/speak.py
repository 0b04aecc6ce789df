"""A text spoken on its own by one voice (`lector say`, bench.engines), planned by the planner's
own front end (planner.plan_text): normalised, cut to the engine's limit, split into language spans
and pronounced with the lexicons exactly as the same text in the book would be."""

from __future__ import annotations

from pathlib import Path

from .model import PlanWarning, Sentence
from .planner import plan_text
from .project import BookMeta, Project, ProjectConfig, VoiceSpec

DEFAULT_ENGINE = {"zh": "fastspeech2-zh", "en": "piper-en"}  # any other language: espeak-draft
NARRATOR = "narrator"


def one_voice_project(spec: VoiceSpec, base: Project | None = None) -> Project:
    """``base`` (its lexicon, engine options and [manuscript] rules; or a bare project) with ``spec``
    as its whole cast and the book in ``spec.lang``: one engine speaks everything, so text in a
    language it does not read is read by the planner's rules or refused, as in a one-voice book."""
    if base is None:
        config = ProjectConfig(book=BookMeta(language=spec.lang, narrator=NARRATOR), voices={NARRATOR: spec})
        return Project(root=Path.cwd(), config=config)
    book = base.config.book.model_copy(update={"language": spec.lang, "narrator": NARRATOR})
    config = base.config.model_copy(update={"book": book, "voices": {NARRATOR: spec}})
    return Project(root=base.root, config=config)


def plan_speech(
    text: str, spec: VoiceSpec, base: Project | None = None
) -> tuple[tuple[Sentence, ...], tuple[PlanWarning, ...]]:
    """The sentences ``spec`` speaks for ``text`` (and the planner's warnings), pronounced with the
    base lexicons plus ``base``'s own lexicon."""
    from .pronounce import Pronouncer

    project = one_voice_project(spec, base)
    pronouncer = Pronouncer.for_project(base.root if base is not None else None)
    return plan_text(project, text, pronouncer=pronouncer)
