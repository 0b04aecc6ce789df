"""Read a project's build for review: chapters, timelines, plan, QC, decisions.

plan.json is never held whole: a long book's is tens of MB, its dicts several times that. The app
keeps its layout (lector.core.build.plan_file: each chapter's byte span, titles, sentence ids and
sources; a few MB for a 20-hour book) and reads the one chapter entry a page needs from its span.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lector.core.build import BuildDir, BuildRecordError
from lector.core.build.plan_file import PlanLayout
from lector.core.build.qc_file import read_qc_or_none
from lector.core.build.timeline import read_timeline
from lector.core.hashing import FileFacts

from .store import Decision, ReviewStore

KEY_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SentenceView:
    id: str
    n: int  # 1-based position in the chapter
    start_s: float
    end_s: float
    text: str
    pronunciation: str
    voice: str
    emotion: str
    seed: int | None
    engine: str
    cache_key: str
    source: str = ""
    flags: tuple[str, ...] = ()  # QC
    qc_notes: tuple[str, ...] = ()
    wer: float | None = None
    transcript: str | None = None
    voice_similarity: float | None = None
    status: str = ""  # review decision
    note: str = ""
    pending: bool = False
    previous_takes: tuple[str, ...] = ()
    pending_notes: tuple[str, ...] = ()
    qc_state: str = ""  # "" (QC of this take is in) | "checking" | "unchecked" | "failed"


@dataclass(frozen=True)
class ChapterInfo:
    index: int
    title: str
    status: str  # "not rendered" | "rendered" | "in review" | "approved"
    sentences: int
    flagged_qc: int
    approved: int
    flagged_review: int
    duration_s: float | None


_PARSED: dict[Path, tuple[tuple, Any]] = {}  # path -> (file identity, what the loader made of it)
_PARSED_LOCK = threading.Lock()


def _read_cached(path: Path, load: Callable[[Path], Any]) -> Any:
    """``load(path)`` (a lector.core.build reader), shared and read-only: loaded again only when the
    file's identity (hashing.FileFacts) changes. A bundle export and the app's pages read plan.json
    and qc.json once per chapter; parsing them each time made the export grow with the square of
    the book. None when the file is absent or damaged (a newer Lector's record is refused)."""
    try:
        ident = FileFacts.identity(os.stat(path))
    except OSError:
        return None
    with _PARSED_LOCK:
        hit = _PARSED.get(path)
        if hit is not None and hit[0] == ident:
            return hit[1]
        _PARSED.pop(path, None)  # the stale value goes before its successor is parsed: never two at once
    del hit
    try:
        value = load(path)
    except BuildRecordError as exc:
        if exc.field == "schema":
            raise
        value = None
    with _PARSED_LOCK:
        _PARSED[path] = (ident, value)
    return value


def _timeline_dict(path: Path) -> dict | None:
    timeline = read_timeline(path)
    return None if timeline is None else timeline.to_dict()


def _qc_dict(path: Path) -> dict | None:
    report = read_qc_or_none(path)
    return None if report is None else report.to_dict()


def _with_qc_state(view: SentenceView, state: tuple[str, str] | None) -> SentenceView:
    """A take whose QC is not in yet shows no flags: those in qc.json are its predecessor's."""
    if state is None or state[0] != view.cache_key or state[1] == "checked":
        return view
    return replace(
        view, flags=(), qc_notes=(), wer=None, transcript=None, voice_similarity=None, qc_state=state[1]
    )


class BuildView:
    """Read-only view over ``<project>/build`` plus the review store."""

    def __init__(self, root: Path, store: ReviewStore) -> None:
        self.root = root
        self.build = root / "build"
        self.dir = BuildDir(self.build)
        self.store = store
        self.history = None  # review.takes.TakeHistory when the app has one (QC state of takes)

    def chapter_dir(self, index: int) -> Path:
        return self.dir.chapter_dir(index)

    def timeline(self, index: int) -> dict | None:
        """chapters/NN/timeline.json as its dict (lector.core.build.Timeline.to_dict)."""
        return _read_cached(self.dir.timeline_path(index), _timeline_dict)

    def plan_layout(self) -> PlanLayout | None:
        """plan.json's layout, scanned once per version of the file (one chapter decoded at a time)."""
        layout = _read_cached(self.dir.plan_json, lambda _: self.dir.scan_plan())
        return layout if isinstance(layout, PlanLayout) else None

    def plan_chapter(self, index: int) -> dict | None:
        """Chapter ``index``'s plan.json entry (Chapter.to_dict's form), read from its span alone."""
        for _try in range(2):
            layout = self.plan_layout()
            if layout is None or layout.entry(index) is None:
                return None
            entry = self.dir.read_plan_entry(layout, index)
            if entry is not None:
                return entry
            with _PARSED_LOCK:  # plan.json was replaced between the scan and the read
                _PARSED.pop(self.dir.plan_json, None)
        return None

    def plan_chapters(self) -> Iterator[dict]:
        """Every chapter's plan.json entry in book order, one read at a time."""
        layout = self.plan_layout()
        for c in layout.chapters if layout is not None else ():
            entry = self.plan_chapter(c.index)
            if entry is not None:
                yield entry

    def plan(self) -> dict:
        """{"chapters": every chapter's entry, read lazily one at a time as it is iterated}."""
        return {"chapters": _LazyChapters(self)}

    def plan_sentences(self) -> Mapping[str, dict]:
        """sentence id -> its plan.json entry; each lookup reads the sentence's chapter only."""
        return _PlanSentences(self)

    def plan_sources(self, index: int) -> dict[str, str]:
        """sentence id -> its manuscript place ("file:line") in chapter ``index`` of the plan."""
        layout = self.plan_layout()
        entry = layout.entry(index) if layout is not None else None
        return dict(entry.sentences) if entry is not None else {}

    def plan_source(self, sentence_id: str, chapter: int | None = None) -> str | None:
        """The sentence's manuscript place in the plan: looked for in ``chapter`` first (a page's
        sentences are nearly always there), then in the whole book."""
        found = self.plan_sources(chapter).get(sentence_id) if chapter is not None else None
        if found is None:
            index = self.plan_chapter_of(sentence_id)
            found = self.plan_sources(index).get(sentence_id) if index is not None else None
        return found

    def plan_chapter_of(self, sentence_id: str) -> int | None:
        layout = self.plan_layout()
        for c in layout.chapters if layout is not None else ():
            if any(sid == sentence_id for sid, _src in c.sentences):
                return c.index
        return None

    def qc_by_sentence(self) -> dict[str, dict]:
        qc = _read_cached(self.dir.qc_json, _qc_dict) or {}
        return {s["sentence_id"]: s for c in qc.get("chapters", []) for s in c.get("sentences", [])}

    def qc_summary(self) -> dict | None:
        return (_read_cached(self.dir.qc_json, _qc_dict) or {}).get("summary")

    def chapter_indexes(self) -> list[tuple[int, str]]:
        layout = self.plan_layout()
        found: dict[int, str] = {c.index: c.title for c in layout.chapters} if layout is not None else {}
        for index in self.dir.built_chapters():
            tl = self.timeline(index) or {}
            found[index] = tl.get("title") or found.get(index, "")
        return sorted(found.items())

    def chapters(self) -> list[ChapterInfo]:
        qc = self.qc_by_sentence()
        out = []
        for index, title in self.chapter_indexes():
            tl = self.timeline(index)
            if tl is None:
                out.append(ChapterInfo(index, title, "not rendered", 0, 0, 0, 0, None))
                continue
            ids = [s["id"] for s in tl.get("sentences", [])]
            dec = self.store.decisions(index)
            approved = sum(1 for i in ids if i in dec and dec[i].status == "approved")
            flagged = sum(1 for i in ids if i in dec and dec[i].status == "flagged")
            status = (
                "approved"
                if ids and approved == len(ids)
                else "in review"
                if any(i in dec for i in ids)
                else "rendered"
            )
            out.append(
                ChapterInfo(
                    index,
                    title,
                    status,
                    len(ids),
                    sum(1 for i in ids if qc.get(i, {}).get("flags")),
                    approved,
                    flagged,
                    tl.get("duration_s"),
                )
            )
        return out

    def sentences(self, index: int) -> list[SentenceView]:
        tl = self.timeline(index) or {}
        qc, sources, dec = self.qc_by_sentence(), self.plan_sources(index), self.store.decisions(index)
        takes, notes = self.store.takes_by_sentence(), self.store.notes_by_sentence()
        states: dict[str, tuple[str, str]] = self.history.qc_states() if self.history is not None else {}
        return [
            _with_qc_state(
                self._view(
                    n,
                    s,
                    qc.get(s["id"], {}),
                    sources.get(s["id"]) or self.plan_source(s["id"]),
                    dec.get(s["id"]),
                    takes=takes.get(s["id"], []),
                    notes=notes.get(s["id"], []),
                ),
                states.get(s["id"]),
            )
            for n, s in enumerate(tl.get("sentences", []), 1)
        ]

    def _view(
        self, n: int, s: dict, q: dict, source: str | None, d: Decision | None, *, takes: list, notes: list
    ) -> SentenceView:
        sid = s["id"]
        key = str(s.get("cache_key", ""))
        previous = tuple(dict.fromkeys(t.cache_key for t in reversed(takes) if t.cache_key != key))
        return SentenceView(
            id=sid,
            n=n,
            start_s=float(s.get("start_s", 0.0)),
            end_s=float(s.get("end_s", 0.0)),
            text=str(s.get("text", "")),
            pronunciation=str(s.get("pronunciation", "")),
            voice=str(s.get("voice", "")),
            emotion=str(s.get("emotion", "")),
            seed=s.get("seed"),
            engine=str(s.get("engine", "")),
            cache_key=key,
            source=str(source if source is not None else s.get("source", "")),
            flags=tuple(q.get("flags", ())),
            qc_notes=tuple(q.get("notes", ())),
            wer=q.get("wer"),
            transcript=q.get("transcript"),
            voice_similarity=q.get("voice_similarity"),
            status=d.status if d else "",
            note=d.note if d else "",
            pending=bool(d and d.pending),
            previous_takes=previous,
            pending_notes=tuple(x.text for x in notes),
        )

    def find_sentence(self, sentence_id: str) -> tuple[int, dict] | None:
        """(chapter index, timeline row) of a rendered sentence."""
        for index, _title in self.chapter_indexes():
            for s in (self.timeline(index) or {}).get("sentences", []):
                if s.get("id") == sentence_id:
                    return index, s
        return None

    def cache_path(self, key: str) -> Path | None:
        if not KEY_RE.fullmatch(key):
            return None
        return self.dir.take_path(key)


class _LazyChapters:
    """The plan's chapter entries, read one at a time each time it is iterated."""

    def __init__(self, view: BuildView) -> None:
        self.view = view

    def __iter__(self) -> Iterator[dict]:
        return self.view.plan_chapters()


class _PlanSentences(Mapping[str, dict]):
    """sentence id -> plan.json entry, the chapter it is in read on the first lookup (and kept for
    the next, which is nearly always in the same chapter)."""

    def __init__(self, view: BuildView) -> None:
        self.view = view
        self._chapter: tuple[int, dict[str, dict]] | None = None

    def __getitem__(self, sid: str) -> dict:
        if self._chapter is not None and sid in self._chapter[1]:
            return self._chapter[1][sid]
        index = self.view.plan_chapter_of(sid)
        entry = self.view.plan_chapter(index) if index is not None else None
        if index is None or entry is None:
            raise KeyError(sid)
        self._chapter = (index, {str(s["id"]): s for s in entry.get("sentences", [])})
        return self._chapter[1][sid]

    def __iter__(self) -> Iterator[str]:
        layout = self.view.plan_layout()
        for c in layout.chapters if layout is not None else ():
            yield from (sid for sid, _src in c.sentences)

    def __len__(self) -> int:
        layout = self.view.plan_layout()
        return sum(len(c.sentences) for c in layout.chapters) if layout is not None else 0
