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
from collections.abc import Iterable
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
from .planwarn import collecting, recording
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
    with collecting() as bucket:
        plan = ChapterPlanner(project, max_chars=max_chars, pronouncer=pronouncer).book()
    return replace(plan, warnings=tuple(dict.fromkeys(bucket)))


def plan_chapter(
    project: Project, index: int, *, max_chars: int | None = None, pronouncer: PronouncerLike | None = None
) -> tuple[Chapter, tuple[PlanWarning, ...]]:
    """Chapter ``index`` (1-based) exactly as ``build_plan`` plans it, without planning the rest of
    the book; with the warnings raised (the manuscript reader's for the whole book among them).
    The token cache is read, not written: a flush would keep this chapter's tokens only."""
    with collecting() as bucket:
        planner = ChapterPlanner(project, max_chars=max_chars, pronouncer=pronouncer)
        chapter = planner.chapter(index)
        planner.check((chapter,))
    return chapter, tuple(dict.fromkeys(bucket))


class ChapterPlanner:
    """The book's planning inputs read once (manuscript, overrides, pronouncer, engine limits);
    ``chapter(n)`` plans one chapter, ``book()`` all of them (what ``build_plan`` returns, less its
    warnings, which go to the active ``planwarn.collecting``). The digests say what a chapter's plan
    depends on, so a caller that kept an earlier plan can tell which chapters still read the same.
    ``warned[n]`` holds the warnings planning chapter n raised (the rest of a plan's warnings are the
    book's: the manuscript reader's, the settings', the cast check's), so a caller that re-plans one
    chapter can replace that chapter's warnings and keep the others."""

    def __init__(
        self, project: Project, *, max_chars: int | None = None, pronouncer: PronouncerLike | None = None
    ) -> None:
        self.project = project
        self.raw_chapters = read_manuscript(project)
        self.overrides = load_overrides(project.root)
        _check_overrides(project, self.overrides)
        self.pronouncer = pronouncer if pronouncer is not None else default_pronouncer(project)
        self.max_chars = max_chars
        needs_engines = not (project.config.manuscript.max_chars or max_chars)
        self.limits = voice_max_chars(project) if needs_engines else {}
        self.read = Readability.of(project)
        self.warned: dict[int, tuple[PlanWarning, ...]] = {}

    def chapter(self, index: int) -> Chapter:
        if not 1 <= index <= len(self.raw_chapters):
            raise ManuscriptError(
                f"chapter {index} is not in the manuscript (it has {len(self.raw_chapters)})",
                file="manuscript/",
                fix="plan a chapter the manuscript has",
            )
        raw = self.raw_chapters[index - 1]
        with recording() as warned:
            sentences = _plan_chapter(
                self.project,
                raw,
                self.pronouncer,
                max_chars=self.max_chars,
                limits=self.limits,
                read=self.read,
                ov=self.overrides,
            )
        self.warned[index] = tuple(warned)
        return Chapter(index=index, title=raw.title, sentences=sentences, source=raw.source)

    def book(self) -> Plan:
        chapters = tuple(self.chapter(i) for i in range(1, len(self.raw_chapters) + 1))
        getattr(self.pronouncer, "flush", lambda: None)()  # a CachedPronouncer writes build/token-cache.json
        if not any(c.sentences for c in chapters):
            raise ManuscriptError(
                "the manuscript holds no text to speak",
                file="manuscript/",
                fix="write some text (or check [manuscript] front_matter for EPUBs)",
            )
        meta = book_metadata(self.project)  # [book] over the EPUB's own metadata
        plan = Plan(
            project=self.project.name,
            title=meta.title,
            author=meta.author,
            language=self.project.config.book.language,
            chapters=chapters,
        )
        plan = replace(plan, plan_hash=plan_hash(plan))
        self.check(plan.chapters)  # engine voices, languages, emotions: refused here, not at render
        return plan

    def check(self, chapters: tuple[Chapter, ...]) -> None:
        """The cast against its engines and ``chapters``' sentences (castcheck)."""
        from .castcheck import check_plan_voices

        cfg = self.project.config.book
        check_plan_voices(self.project, Plan(self.project.name, cfg.title, "", cfg.language, chapters))

    def book_digest(self) -> str:
        """What every chapter's plan depends on: the settings, the pronouncer's identity (lexicons,
        g2p versions), the book's metadata and its number of chapters."""
        meta = book_metadata(self.project)
        ident = getattr(self.pronouncer, "version", None) or type(self.pronouncer).__qualname__
        parts = (self.project.config.model_dump_json(), ident, meta.title, meta.author, self.max_chars)
        return _digest(repr((parts, len(self.raw_chapters))))

    def chapter_digest(self, index: int, sentence_ids: Iterable[str]) -> str:
        """What chapter ``index``'s plan depends on besides ``book_digest``: its manuscript text and
        the overrides of ``sentence_ids`` (its sentences' ids in the plan being compared with)."""
        ov, ids = self.overrides, sorted(sentence_ids)
        mine = [
            (ov.seeds.get(i), ov.emotions.get(i), ov.voices.get(i), ov.pronunciations.get(i)) for i in ids
        ]
        return _digest(repr((self.raw_chapters[index - 1], ids, mine)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    return hash_of_parts(chapter_hash_part(c) for c in plan.chapters)


def chapter_hash_part(chapter: Chapter) -> bytes:
    """One chapter's share of ``plan_hash`` (kept per chapter by whoever re-plans one chapter)."""
    body = [chapter.index, chapter.title, [s.to_dict() for s in chapter.sentences]]
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def hash_of_parts(parts: Iterable[bytes]) -> str:
    """``plan_hash`` from every chapter's ``chapter_hash_part``, in order (the JSON list they form)."""
    h = hashlib.sha256(b"[")
    for n, part in enumerate(parts):
        h.update(b", " + part if n else part)
    h.update(b"]")
    return h.hexdigest()


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
