"""Every take of a sentence, kept with the settings that made it (``build/review/state.sqlite``).

A sentence's id changes when its text is edited, so takes are grouped by a *root* id: the id
the sentence had the first time the app saw it (``lineage`` maps every later id to it). Each
take row holds what a render needs to make it again (text, pronunciation, seed, engine, voice,
emotion) and its render-cache key; ``chosen`` marks the take the book's master uses. The
``qc_state`` rows say which take QC has checked, so the page never shows the flags of a take
that was replaced (state that is true). ``chapter_approvals``: who approved a chapter, when.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .store import connect, state_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS take_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, root_id TEXT NOT NULL, sentence_id TEXT NOT NULL,
  chapter INTEGER NOT NULL, cache_key TEXT NOT NULL, text TEXT NOT NULL, pronunciation TEXT NOT NULL,
  seed INTEGER, engine TEXT NOT NULL, voice TEXT NOT NULL, emotion TEXT NOT NULL, origin TEXT NOT NULL,
  created_at REAL NOT NULL, chosen INTEGER NOT NULL DEFAULT 0, UNIQUE(root_id, cache_key));
CREATE TABLE IF NOT EXISTS lineage (sentence_id TEXT PRIMARY KEY, root_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qc_state (
  sentence_id TEXT PRIMARY KEY, cache_key TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chapter_approvals (
  chapter INTEGER PRIMARY KEY, editor TEXT NOT NULL, at REAL NOT NULL);
"""

ORIGINS = ("render", "preview", "restore")


@dataclass(frozen=True)
class TakeRecord:
    id: int
    root_id: str
    sentence_id: str
    chapter: int
    cache_key: str
    text: str
    pronunciation: str
    seed: int | None
    engine: str
    voice: str
    emotion: str
    origin: str  # "render" | "preview" | "restore"
    created_at: float
    chosen: bool  # the take the book's master uses


@dataclass(frozen=True)
class ChapterApproval:
    chapter: int
    editor: str
    at: float


class TakeHistory:
    """Take history and QC state beside the review store's tables (same SQLite file, WAL)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @classmethod
    def for_project(cls, project_root: str | Path) -> TakeHistory:
        return cls(state_path(project_root))

    def _db(self):
        return connect(self.path)

    # -- lineage ----------------------------------------------------------------------------------
    def root_of(self, sentence_id: str) -> str:
        with self._db() as db:
            row = db.execute("SELECT root_id FROM lineage WHERE sentence_id=?", (sentence_id,)).fetchone()
        return row[0] if row else sentence_id

    def link(self, new_id: str, old_id: str) -> str:
        """Record that ``new_id`` is ``old_id`` after an edit; returns their root id."""
        root = self.root_of(old_id)
        if new_id != root:
            with self._db() as db:
                db.execute("INSERT OR REPLACE INTO lineage VALUES (?,?)", (new_id, root))
        return root

    # -- takes ------------------------------------------------------------------------------------
    def add(
        self,
        root_id: str,
        sentence_id: str,
        chapter: int,
        cache_key: str,
        *,
        text: str,
        pronunciation: str,
        seed: int | None,
        engine: str,
        voice: str,
        emotion: str,
        origin: str,
    ) -> TakeRecord:
        """Keep a take (once per root and cache key; a take made again keeps its first record)."""
        if origin not in ORIGINS:
            raise ValueError(f"origin {origin!r} is not one of {ORIGINS}")
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO take_history (root_id, sentence_id, chapter, cache_key, text, "
                "pronunciation, seed, engine, voice, emotion, origin, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    root_id,
                    sentence_id,
                    chapter,
                    cache_key,
                    text,
                    pronunciation,
                    seed,
                    engine,
                    voice,
                    emotion,
                    origin,
                    time.time(),
                ),
            )
        found = self.find(root_id, cache_key)
        assert found is not None
        return found

    def find(self, root_id: str, cache_key: str) -> TakeRecord | None:
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM take_history WHERE root_id=? AND cache_key=?", (root_id, cache_key)
            ).fetchone()
        return _record(row) if row else None

    def get(self, take_id: int) -> TakeRecord | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM take_history WHERE id=?", (take_id,)).fetchone()
        return _record(row) if row else None

    def takes(self, root_id: str) -> list[TakeRecord]:
        """Oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM take_history WHERE root_id=? ORDER BY id", (root_id,)).fetchall()
        return [_record(r) for r in rows]

    def choose(self, root_id: str, cache_key: str) -> None:
        """Mark the take the master now uses (one per root)."""
        with self._db() as db:
            db.execute("UPDATE take_history SET chosen=(cache_key=?) WHERE root_id=?", (cache_key, root_id))

    # -- QC state ---------------------------------------------------------------------------------
    def set_qc(self, sentence_id: str, cache_key: str, state: str) -> None:
        """``state``: "checking" (the take changed, its QC is not in yet) or "checked"."""
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO qc_state VALUES (?,?,?,?)",
                (sentence_id, cache_key, state, time.time()),
            )

    def qc_states(self) -> dict[str, tuple[str, str]]:
        """sentence id -> (cache key, state)."""
        with self._db() as db:
            return {
                r[0]: (r[1], r[2]) for r in db.execute("SELECT sentence_id, cache_key, state FROM qc_state")
            }

    # -- chapter approvals ------------------------------------------------------------------------
    def approve_chapter(self, chapter: int, editor: str) -> ChapterApproval:
        at = time.time()
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO chapter_approvals VALUES (?,?,?)", (chapter, editor, at))
        return ChapterApproval(chapter, editor, at)

    def chapter_approvals(self) -> dict[int, ChapterApproval]:
        with self._db() as db:
            return {r[0]: ChapterApproval(*r) for r in db.execute("SELECT * FROM chapter_approvals")}


def _record(row: tuple) -> TakeRecord:
    return TakeRecord(*(*row[:13], bool(row[13])))
