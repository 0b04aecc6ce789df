"""The preview worker's plan of its book: the whole book planned once, then one chapter per edit.

Planning a 20-hour book takes seconds to minutes and writing its plan.json (tens of MB) seconds
more, far over an edit's budget. An edit changes one chapter, so after a first full plan the
worker plans only the edited chapter (lector.core.planner.ChapterPlanner, the same steps as
``build_plan``) and writes that chapter's entry back into plan.json (BuildDir.write_plan_chapter:
the other chapters' bytes kept, the plan hash recomputed from each chapter's share). Before that
it checks that the rest of the book still plans as it did: the settings, lexicons and chapter
count (``book_digest``), every other chapter's manuscript text and overrides (``chapter_digest``),
and plan.json itself (nobody else wrote it since). Anything else changed -> the whole book is
planned again, with a log line saying why.

Warnings: plan.json's are those a full plan of the book as it now reads would give, in its order:
the book's own (the manuscript reader's and the settings', raised again by every request's planner),
each chapter's (ChapterPlanner.warned: the edited chapter's replaced, the others' kept), then the
cast check's of the last full plan (it counts over the whole book, so one chapter's check cannot
replace it; a changed count waits for the next full plan).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, replace
from typing import Any

from lector.core.build import BuildDir
from lector.core.build.plan_file import PlanLayout
from lector.core.hashing import FileFacts
from lector.core.model import Chapter, Plan, PlanWarning
from lector.core.planner import ChapterPlanner, chapter_hash_part, hash_of_parts
from lector.core.planwarn import collecting

from .worker_records import PreviewError

log = logging.getLogger("lector.review")


@dataclass
class _Kept:
    """What this worker last wrote to plan.json, and what each chapter's plan was made of."""

    layout: PlanLayout
    book: str  # ChapterPlanner.book_digest
    ids: list[tuple[str, ...]]  # per chapter, its sentences' ids
    digests: list[str]  # per chapter, ChapterPlanner.chapter_digest with those ids
    parts: list[bytes]  # per chapter, its share of the plan hash
    warned: list[tuple[PlanWarning, ...]]  # per chapter, the warnings planning it raised
    after: tuple[PlanWarning, ...]  # the full plan's warnings raised after its chapters (cast check)
    warnings: tuple[PlanWarning, ...]  # plan.json's


class PlanKeeper:
    """One project's plan, kept by its preview worker across requests."""

    def __init__(self) -> None:
        self._kept: _Kept | None = None
        self._lock = threading.Lock()
        self._pron: Any = None  # a CachedPronouncer, kept while the lexicons are unchanged

    def _planner(self, project) -> ChapterPlanner:
        """The planner, with the token cache read once per session rather than once per edit (a
        long book's is several MB of JSON)."""
        from lector.core.pronounce import CachedPronouncer, Pronouncer, frontend_version

        inner = Pronouncer.for_project(project.root)
        path = BuildDir.of(project).token_cache
        kept = self._pron
        if kept is None or kept.path != path or kept.version != frontend_version(inner.lexicon, inner.sandhi):
            kept = self._pron = CachedPronouncer(inner, path)
        return ChapterPlanner(project, pronouncer=kept)

    def book(self, project) -> Plan:
        """The whole book planned and written to plan.json (what `lector plan` writes)."""
        with self._lock, collecting() as bucket:
            planner = self._planner(project)
            return self._full(project, planner, bucket)

    def chapter(self, project, index: int) -> tuple[Chapter, int]:
        """Chapter ``index`` as ``build_plan`` plans it, written into plan.json, and the book's
        number of chapters; the whole book is planned when anything outside the chapter changed."""
        bd = BuildDir.of(project)
        with self._lock, collecting() as bucket:
            planner = self._planner(project)
            book_warned = len(bucket)  # the reader's and settings' warnings, raised again just now
            why = self._stale(planner, index, bd)
            if why is not None:
                if self._kept is not None:
                    log.warning("review preview: %s — planning the whole book again", why)
                plan = self._full(project, planner, bucket)
                found = next((c for c in plan.chapters if c.index == index), None)
                if found is None:
                    raise PreviewError(f"chapter {index} is no longer in the book — reload the page")
                return found, len(plan.chapters)
            chapter = planner.chapter(index)
            planner.check((chapter,))
            kept = self._kept
            assert kept is not None
            self._write_back(bd, planner, kept, chapter, bucket[:book_warned])
            return chapter, len(kept.ids)

    def _write_back(
        self,
        bd: BuildDir,
        planner: ChapterPlanner,
        kept: _Kept,
        chapter: Chapter,
        book_warnings: list[PlanWarning],
    ) -> None:
        n, part = chapter.index - 1, chapter_hash_part(chapter)
        kept.warned[n] = planner.warned[chapter.index]
        warned = _union(book_warnings, kept.warned, kept.after)
        kept.ids[n] = tuple(s.id for s in chapter.sentences)
        kept.digests[n] = planner.chapter_digest(chapter.index, kept.ids[n])
        if part == kept.parts[n] and warned == kept.warnings:
            return  # plan.json holds this chapter already
        kept.parts[n], kept.warnings = part, warned
        try:
            kept.layout = bd.write_plan_chapter(
                kept.layout, chapter, plan_hash=hash_of_parts(kept.parts), warnings=kept.warnings
            )
        except BaseException:
            self._kept = None  # the next request plans the whole book
            raise

    def _stale(self, planner: ChapterPlanner, index: int, bd: BuildDir) -> str | None:
        """Why chapter ``index`` cannot be planned alone (None: it can)."""
        kept = self._kept
        if kept is None:
            return "no plan of this book in this session yet"
        if _identity(bd) != kept.layout.identity:
            return "build/plan.json was written by another process"
        if planner.book_digest() != kept.book:
            return "the project's settings, lexicons or chapters changed"
        if not 1 <= index <= len(kept.ids):
            return f"chapter {index} is new"
        for n, (ids, digest) in enumerate(zip(kept.ids, kept.digests, strict=True), 1):
            if n != index and planner.chapter_digest(n, ids) != digest:
                return f"the manuscript or overrides of chapter {n} changed (the edit was in chapter {index})"
        return None

    def _full(self, project, planner: ChapterPlanner, bucket: list[PlanWarning]) -> Plan:
        self._kept = None
        book_warned = len(bucket)
        plan = planner.book()
        plan = replace(plan, warnings=tuple(dict.fromkeys(bucket)))
        warned = [planner.warned[c.index] for c in plan.chapters]
        after = tuple(bucket[book_warned + sum(map(len, warned)) :])
        bd = BuildDir.of(project)
        bd.write_plan(plan)
        layout = bd.scan_plan()
        if layout is not None:
            ids = [tuple(s.id for s in c.sentences) for c in plan.chapters]
            self._kept = _Kept(
                layout=layout,
                book=planner.book_digest(),
                ids=ids,
                digests=[planner.chapter_digest(n, i) for n, i in enumerate(ids, 1)],
                parts=[chapter_hash_part(c) for c in plan.chapters],
                warned=warned,
                after=after,
                warnings=plan.warnings,
            )
        return plan


def _union(
    book: list[PlanWarning], warned: list[tuple[PlanWarning, ...]], after: tuple[PlanWarning, ...]
) -> tuple[PlanWarning, ...]:
    """The warnings in the order ``build_plan`` collects them, each once."""
    return tuple(dict.fromkeys([*book, *(w for ws in warned for w in ws), *after]))


def _identity(bd: BuildDir) -> tuple[int, ...]:
    try:
        return FileFacts.identity(os.stat(bd.plan_json))
    except OSError:
        return ()
