"""Editors' decisions, kept in the project: ``build/review/state.sqlite``.

Tables: ``decisions`` (one row per sentence: approved / flagged + note),
``takes`` (earlier cache keys of a sentence, so the old take can be played
beside the new one), ``notes`` (edits that could not be applied, pending),
``events`` (an audit trail) and ``jobs`` (re-render runs). One connection per
call; WAL mode so the web app and a background re-render can write together.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
  sentence_id TEXT PRIMARY KEY, chapter INTEGER NOT NULL, status TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '', pending INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS takes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sentence_id TEXT NOT NULL, cache_key TEXT NOT NULL,
  seed INTEGER, created_at REAL NOT NULL, UNIQUE(sentence_id, cache_key));
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sentence_id TEXT NOT NULL, kind TEXT NOT NULL,
  text TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sentence_id TEXT, action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '', at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, chapter INTEGER, sentence_ids TEXT NOT NULL,
  status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', started_at REAL NOT NULL, finished_at REAL);
"""

STATUSES = ("", "approved", "flagged")


@dataclass(frozen=True)
class Decision:
    sentence_id: str
    chapter: int
    status: str  # "" | "approved" | "flagged"
    note: str
    pending: bool  # changed (re-roll, emotion, voice, edit): needs a re-render
    updated_at: float


@dataclass(frozen=True)
class Take:
    sentence_id: str
    cache_key: str
    seed: int | None
    created_at: float


@dataclass(frozen=True)
class Note:
    sentence_id: str
    kind: str
    text: str
    created_at: float


@dataclass(frozen=True)
class Job:
    id: int
    chapter: int | None
    sentence_ids: tuple[str, ...]
    status: str  # "running" | "done" | "failed"
    message: str
    started_at: float
    finished_at: float | None


def state_path(project_root: str | Path) -> Path:
    """The review app's SQLite file: decisions (ReviewStore) and take history (review.takes)."""
    return Path(project_root) / "build" / "review" / "state.sqlite"


@contextmanager
def connect(path: Path):
    """One transaction on ``path``, committed on success, the connection always closed."""
    db = sqlite3.connect(path, timeout=10)
    try:
        with db:
            yield db
    finally:
        db.close()


class ReviewStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @classmethod
    def for_project(cls, project_root: str | Path) -> ReviewStore:
        return cls(state_path(project_root))

    def _db(self):
        return connect(self.path)

    # -- decisions ----------------------------------------------------------------------------
    def _upsert(self, db, sentence_id: str, chapter: int, **fields) -> None:
        row = db.execute(
            "SELECT status, note, pending FROM decisions WHERE sentence_id=?", (sentence_id,)
        ).fetchone()
        status, note, pending = row if row else ("", "", 0)
        status = fields.get("status", status)
        note = fields.get("note", note)
        pending = int(fields.get("pending", pending))
        db.execute(
            "INSERT OR REPLACE INTO decisions VALUES (?,?,?,?,?,?)",
            (sentence_id, chapter, status, note, pending, time.time()),
        )

    def set_status(self, sentence_id: str, chapter: int, status: str, note: str | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {STATUSES}")
        fields = {"status": status} if note is None else {"status": status, "note": note}
        with self._db() as db:
            self._upsert(db, sentence_id, chapter, **fields)
            self._event(db, sentence_id, status or "cleared", note or "")

    def set_pending(
        self, sentence_id: str, chapter: int, pending: bool, action: str = "", detail: str = ""
    ) -> None:
        with self._db() as db:
            self._upsert(db, sentence_id, chapter, pending=pending)
            if action:
                self._event(db, sentence_id, action, detail)

    def decisions(self, chapter: int | None = None) -> dict[str, Decision]:
        with self._db() as db:
            sql, args = "SELECT * FROM decisions", tuple[int, ...]()
            if chapter is not None:
                sql, args = sql + " WHERE chapter=?", (chapter,)
            rows = db.execute(sql, args).fetchall()
        return {r[0]: Decision(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows}

    # -- takes, notes, events -----------------------------------------------------------------
    def add_take(self, sentence_id: str, cache_key: str, seed: int | None) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO takes (sentence_id, cache_key, seed, created_at) VALUES (?,?,?,?)",
                (sentence_id, cache_key, seed, time.time()),
            )

    def takes(self, sentence_id: str) -> list[Take]:
        with self._db() as db:
            rows = db.execute(
                "SELECT sentence_id, cache_key, seed, created_at FROM takes WHERE sentence_id=? ORDER BY id",
                (sentence_id,),
            ).fetchall()
        return [Take(*r) for r in rows]

    def takes_by_sentence(self) -> dict[str, list[Take]]:
        """All kept takes, grouped by sentence (one query for a whole chapter page)."""
        out: dict[str, list[Take]] = {}
        with self._db() as db:
            for r in db.execute("SELECT sentence_id, cache_key, seed, created_at FROM takes ORDER BY id"):
                out.setdefault(r[0], []).append(Take(*r))
        return out

    def notes_by_sentence(self) -> dict[str, list[Note]]:
        out: dict[str, list[Note]] = {}
        with self._db() as db:
            for r in db.execute("SELECT sentence_id, kind, text, created_at FROM notes ORDER BY id"):
                out.setdefault(r[0], []).append(Note(*r))
        return out

    def add_note(self, sentence_id: str, kind: str, text: str) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO notes (sentence_id, kind, text, created_at) VALUES (?,?,?,?)",
                (sentence_id, kind, text, time.time()),
            )
            self._event(db, sentence_id, f"note:{kind}", text)

    def notes(self, sentence_id: str) -> list[Note]:
        with self._db() as db:
            rows = db.execute(
                "SELECT sentence_id, kind, text, created_at FROM notes WHERE sentence_id=? ORDER BY id",
                (sentence_id,),
            ).fetchall()
        return [Note(*r) for r in rows]

    def pending_after(self, action: str) -> frozenset[str]:
        """Sentences still waiting for a re-render that got an ``action`` event since their last
        re-render or accept (the queue's "pronunciation changed")."""
        with self._db() as db:
            rows = db.execute(
                "SELECT d.sentence_id FROM decisions d WHERE d.pending=1 AND EXISTS ("
                " SELECT 1 FROM events e WHERE e.sentence_id=d.sentence_id AND e.action=? AND e.id > "
                " COALESCE((SELECT MAX(r.id) FROM events r WHERE r.sentence_id=d.sentence_id"
                " AND r.action IN ('rerendered', 'accepted')), 0))",
                (action,),
            ).fetchall()
        return frozenset(r[0] for r in rows)

    def log(self, sentence_id: str | None, action: str, detail: str = "") -> None:
        with self._db() as db:
            self._event(db, sentence_id, action, detail)

    @staticmethod
    def _event(db, sentence_id: str | None, action: str, detail: str) -> None:
        db.execute(
            "INSERT INTO events (sentence_id, action, detail, at) VALUES (?,?,?,?)",
            (sentence_id, action, detail, time.time()),
        )

    # -- jobs -----------------------------------------------------------------------------------
    def start_job(self, chapter: int | None, sentence_ids: list[str]) -> int:
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO jobs (chapter, sentence_ids, status, started_at) VALUES (?,?,?,?)",
                (chapter, json.dumps(sentence_ids), "running", time.time()),
            )
            return int(cur.lastrowid)

    def finish_job(self, job_id: int, status: str, message: str = "") -> None:
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET status=?, message=?, finished_at=? WHERE id=?",
                (status, message, time.time(), job_id),
            )

    def jobs(self, chapter: int | None = None, limit: int = 5) -> list[Job]:
        with self._db() as db:
            sql, args = "SELECT * FROM jobs", tuple[int, ...]()
            if chapter is not None:
                sql, args = sql + " WHERE chapter=?", (chapter,)
            rows = db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [Job(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5], r[6]) for r in rows]
