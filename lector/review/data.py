"""Read a project's build for review: chapters, timelines, plan, QC, decisions."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lector.core.build import BuildDir, BuildRecordError
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

    def plan(self) -> dict:
        return _read_cached(self.dir.plan_json, lambda _: self.dir.read_plan()) or {}

    def qc_by_sentence(self) -> dict[str, dict]:
        qc = _read_cached(self.dir.qc_json, _qc_dict) or {}
        return {s["sentence_id"]: s for c in qc.get("chapters", []) for s in c.get("sentences", [])}

    def qc_summary(self) -> dict | None:
        return (_read_cached(self.dir.qc_json, _qc_dict) or {}).get("summary")

    def plan_sentences(self) -> dict[str, dict]:
        return {s["id"]: s for c in self.plan().get("chapters", []) for s in c.get("sentences", [])}

    def chapter_indexes(self) -> list[tuple[int, str]]:
        found: dict[int, str] = {c["index"]: c.get("title", "") for c in self.plan().get("chapters", [])}
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
        qc, plan, dec = self.qc_by_sentence(), self.plan_sentences(), self.store.decisions(index)
        takes, notes = self.store.takes_by_sentence(), self.store.notes_by_sentence()
        states: dict[str, tuple[str, str]] = self.history.qc_states() if self.history is not None else {}
        return [
            _with_qc_state(
                self._view(
                    n,
                    s,
                    qc.get(s["id"], {}),
                    plan.get(s["id"], {}),
                    dec.get(s["id"]),
                    takes=takes.get(s["id"], []),
                    notes=notes.get(s["id"], []),
                ),
                states.get(s["id"]),
            )
            for n, s in enumerate(tl.get("sentences", []), 1)
        ]

    def _view(
        self, n: int, s: dict, q: dict, p: dict, d: Decision | None, *, takes: list, notes: list
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
            source=str(p.get("source", s.get("source", ""))),
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
