"""Project folder -> structured render :class:`~lector.core.model.Plan`: the planner's entry points
(``build_plan`` for the book, ``plan_text`` for a text spoken on its own) and the plan's JSON.

Pipeline: read the manuscript (``ingest``) -> paragraphs into sentence drafts (plan_drafts: cut
into sentences, split to the engines' limits, language spans, normalised and pronounced) -> stable
ids, seeds, voices and overrides (plan_sentences). This module wires those steps together, picks
the pronouncer, checks overrides.json against the cast and hashes the finished plan.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

from .errors import ConfigError, ManuscriptError
from .fsutil import atomic_write_text
from .ingest import RawChapter, read_manuscript
from .ingest.metadata import book_metadata
from .ingest.raw import RawParagraph, Run
from .model import Chapter, Plan, PlanWarning, Sentence, Token
from .overrides import Overrides, load_overrides, overrides_path
from .plan_drafts import DraftCtx, PronouncerLike, paragraph_drafts
from .plan_limits import voice_max_chars
from .plan_sentences import finish_chapter
from .plan_text import Readability
from .planwarn import collecting
from .project import Project


class NullPronouncer:
    """No lexicon, no tokens (used when the pronunciation module is unavailable)."""

    def substitute(self, text: str, lang: str) -> str:
        return text

    def tokens(self, text: str, lang: str) -> tuple[Token, ...]:
        return ()


def default_pronouncer(project: Project) -> PronouncerLike:
    try:
        from .pronounce import Pronouncer
    except ModuleNotFoundError as exc:
        if exc.name != "lector.core.pronounce":
            raise
        return NullPronouncer()
    from .pronounce import CachedPronouncer  # tokens cached in build/ (g2p models load on a miss)

    return CachedPronouncer(Pronouncer.for_project(project.root), project.build_dir / "token-cache.json")


def build_plan(
    project: Project, *, max_chars: int | None = None, pronouncer: PronouncerLike | None = None
) -> Plan:
    """The render plan of ``project``. Raises ManuscriptError/TagError/ConfigError/LexiconError.
    Warnings added while it is built (``planwarn.add_warning``) end up on ``Plan.warnings``."""
    from .castcheck import check_plan_voices

    with collecting() as bucket:
        plan = _build_plan(project, max_chars=max_chars, pronouncer=pronouncer)
        check_plan_voices(project, plan)  # engine voices, languages, emotions: refused here, not at render
    return replace(plan, warnings=tuple(dict.fromkeys(bucket)))


def _build_plan(project: Project, *, max_chars: int | None, pronouncer: PronouncerLike | None) -> Plan:
    raw_chapters = read_manuscript(project)
    overrides = load_overrides(project.root)
    _check_overrides(project, overrides)
    pron = pronouncer if pronouncer is not None else default_pronouncer(project)
    needs_engines = not (project.config.manuscript.max_chars or max_chars)
    limits = voice_max_chars(project) if needs_engines else {}
    chapters, read = [], Readability.of(project)
    for index, raw in enumerate(raw_chapters, 1):
        sentences = _plan_chapter(
            project, raw, pron, max_chars=max_chars, limits=limits, read=read, ov=overrides
        )
        chapters.append(Chapter(index=index, title=raw.title, sentences=sentences, source=raw.source))
    getattr(pron, "flush", lambda: None)()  # a CachedPronouncer writes build/token-cache.json
    if not any(c.sentences for c in chapters):
        raise ManuscriptError(
            "the manuscript holds no text to speak",
            file="manuscript/",
            fix="write some text (or check [manuscript] front_matter for EPUBs)",
        )
    cfg = project.config.book
    meta = book_metadata(project)  # [book] over the EPUB's own metadata
    plan = Plan(
        project=project.name,
        title=meta.title,
        author=meta.author,
        language=cfg.language,
        chapters=tuple(chapters),
    )
    return replace(plan, plan_hash=plan_hash(plan))


def _plan_chapter(
    project: Project,
    raw: RawChapter,
    pron: PronouncerLike,
    *,
    max_chars: int | None,
    limits: dict[str, int],
    read: Readability,
    ov: Overrides,
) -> tuple[Sentence, ...]:
    ctx = DraftCtx(project, pron, max_chars, limits, source=raw.source, read=read)
    for p_index, para in enumerate(raw.paragraphs):
        paragraph_drafts(ctx, para, p_index)
    return finish_chapter(project, raw, ctx.drafts, ov, read)


def plan_text(
    project: Project, text: str, *, pronouncer: PronouncerLike, source: str = "text"
) -> tuple[tuple[Sentence, ...], tuple[PlanWarning, ...]]:
    """``text`` planned as one paragraph of the manuscript (normalised, cut into sentences that fit
    the cast's engines, split into language spans, pronounced with ``pronouncer``), so a text
    spoken on its own (`lector say`) reads as it would in the book; with the warnings the planner
    raised. The book's overrides do not apply. Raises ManuscriptError for text the cast cannot read."""
    raw = RawChapter("", source, (RawParagraph((Run(text, line=1),), line=1),))
    limits = {} if project.config.manuscript.max_chars else voice_max_chars(project)
    read = Readability.of(project)
    with collecting() as bucket:
        sentences = _plan_chapter(
            project, raw, pronouncer, max_chars=None, limits=limits, read=read, ov=Overrides()
        )
    return sentences, tuple(dict.fromkeys(bucket))


def plan_hash(plan: Plan) -> str:
    """sha256 over every chapter's index, title and sentences (ids, text, spoken, tokens, voice...)."""
    body = [[c.index, c.title, [s.to_dict() for s in c.sentences]] for c in plan.chapters]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def plan_to_json(plan: Plan, *, chapters: set[int] | None = None, indent: int | None = 2) -> str:
    """JSON of the plan (``ensure_ascii=False``); ``chapters`` keeps only those indexes."""
    data = plan.to_dict()
    if chapters is not None:
        data["chapters"] = [c for c in data["chapters"] if c["index"] in chapters]
    return json.dumps(data, ensure_ascii=False, indent=indent)


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the full plan JSON atomically (lector.core.fsutil: the umask's mode), e.g. to build/plan.json."""
    return atomic_write_text(Path(path), plan_to_json(plan) + "\n")


def _check_overrides(project: Project, ov: Overrides) -> None:
    path = overrides_path(project.root)
    for sid, voice in ov.voices.items():
        if voice not in project.config.voices:
            raise ConfigError(
                f"unknown voice {voice!r} for sentence {sid}",
                file=path,
                field=f"voices.{sid}",
                fix=f"use one of: {', '.join(project.config.voices)}",
            )
    for sid, value in ov.emotions.items():
        name, _, deg = value.partition(":")
        bad_degree = bool(deg) and not _is_degree(deg)
        if name not in project.config.emotions or bad_degree:
            raise ConfigError(
                f"bad emotion {value!r} for sentence {sid}",
                file=path,
                field=f"emotions.{sid}",
                fix=f"use one of: {', '.join(project.config.emotions)} (optionally name:0.5)",
            )


def _is_degree(text: str) -> bool:
    try:
        return 0.0 < float(text) <= 2.0
    except ValueError:
        return False
