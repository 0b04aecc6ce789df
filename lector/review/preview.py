"""Instant preview: edited / re-rolled sentences synthesized for the app, then accepted into the book.

No Prefect server and no flow per edit, and no model in the app's process: the planner and the
engines live in the preview worker (lector.review.preview_worker, a child process started on the
first edit and stopped when idle or with the app; lector.review.worker_client). It applies the
change where a render sees it, plans, and synthesizes the one sentence through the render cache,
so the take *is* the render's take: same cache key, same file. This side keeps the take history
and the review store (what the page shows), and runs QC in a child of its own (review.qc_child).

``accept`` makes the book use a take the way a render does: the worker runs the render's chapter
steps (lector.core.pipeline.finish_chapter) on the chapter's cached takes, then QC of the chapter
runs here on a background thread. After it ``lector render --changed`` finds every take cached
and the chapter unchanged.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .takes import TakeHistory, TakeRecord
from .worker_client import PreviewWorker
from .worker_records import (
    AcceptRequest,
    Answer,
    Change,
    ChapterMastered,
    HearWord,
    PreviewBusy,
    PreviewError,
    PreviewRequest,
    Refused,
    RenderChapterRequest,
    TakeMade,
    WarmUp,
    short,
)

__all__ = ["Change", "Preview", "PreviewBusy", "PreviewError", "PreviewService", "service_for", "short"]
log = logging.getLogger("lector.review")


@dataclass(frozen=True)
class Preview:
    slot_id: str  # the id the page knows the sentence by (its timeline id)
    sentence_id: str  # its id in the current plan (differs after a text edit)
    take: TakeRecord
    synthesized: bool
    seconds: float


_SERVICES: dict[Path, PreviewService] = {}  # project root -> its app's service (re-render jobs)


def service_for(root: Path) -> PreviewService | None:
    return _SERVICES.get(Path(root).resolve())


def _rows(timeline: dict) -> tuple[str, ...]:
    return tuple(str(r["id"]) for r in timeline.get("sentences", []))


class PreviewService:
    """The review app's previews, accepts and re-renders (done by its preview worker) and the
    take history they add to."""

    def __init__(self, root: Path, history: TakeHistory, store) -> None:
        self.root = root
        self.history = history
        self.store = store
        self.worker = PreviewWorker(root)
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lector-qc")
        self._lock = threading.Lock()
        self._closed = False
        self.last_check: Future[None] | None = None  # the latest QC run's future (tests wait on it)
        self._qc_proc: subprocess.Popen[str] | None = None
        _SERVICES[Path(root).resolve()] = self

    def _ask(self, request) -> Answer:
        answer = self.worker.call(request)
        if isinstance(answer, Refused):
            raise (PreviewBusy if answer.busy else PreviewError)(answer.message)
        return answer

    def warm(self) -> threading.Thread:
        """Start the worker and load its planner and engines in the background, so the first edit
        of the day is as quick as the others."""

        def run() -> None:
            try:
                self._ask(WarmUp())
            except PreviewError as exc:
                log.warning("review: warm-up skipped: %s", short(exc))

        thread = threading.Thread(target=run, name="lector-review-warm", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if _SERVICES.get(self.root.resolve()) is self:
            del _SERVICES[self.root.resolve()]
        with self._lock:
            self._closed = True
        self._checker.shutdown(wait=False, cancel_futures=True)
        self.worker.close()
        proc = self._qc_proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- preview ----------------------------------------------------------------------------------
    def preview(
        self, slot_id: str, chapter: int, timeline: dict, change: Change, origin: str = "preview"
    ) -> Preview:
        started = time.perf_counter()
        self._remember_render_take(slot_id, chapter, timeline)
        made = self._ask(PreviewRequest(slot_id, chapter, _rows(timeline), change))
        assert isinstance(made, TakeMade)
        root = self.history.link(made.sentence_id, slot_id)
        take = self._keep(root, chapter, made, origin)
        return Preview(slot_id, made.sentence_id, take, made.synthesized, time.perf_counter() - started)

    def hear_word(
        self, slot_id: str, chapter: int, timeline: dict, *, word: str, lang: str, pron: str
    ) -> TakeMade:
        """One word of the sentence read ``pron``: a take in the render cache, kept nowhere else."""
        made = self._ask(HearWord(slot_id, chapter, _rows(timeline), word, lang, pron))
        assert isinstance(made, TakeMade)
        return made

    def _keep(self, root: str, chapter: int, made: TakeMade, origin: str) -> TakeRecord:
        take = self.history.add(
            root,
            made.sentence_id,
            chapter,
            made.cache_key,
            text=made.text,
            pronunciation=made.pronunciation,
            seed=made.seed,
            engine=made.engine,
            voice=made.voice,
            emotion=made.emotion,
            origin=origin,
        )
        self.store.add_take(made.sentence_id, made.cache_key, made.seed)
        return take

    # -- accept / restore / re-render ---------------------------------------------------------------
    def accept(self, slot_id: str, chapter: int, timeline: dict) -> TakeRecord:
        """The slot's current take into the book: master, chapter.flac, exports (the flow's chapter
        steps on the render cache, in the worker), then QC of the chapter in the background."""
        done = self._ask(AcceptRequest(slot_id, chapter, _rows(timeline)))
        assert isinstance(done, ChapterMastered) and done.take is not None
        made = done.take
        root = self.history.link(made.sentence_id, slot_id)
        take = self.history.find(root, made.cache_key) or self._keep(root, chapter, made, "preview")
        self.history.choose(root, made.cache_key)
        take = self.history.find(root, made.cache_key) or take
        self.store.set_pending(made.sentence_id, chapter, False, "accepted", made.cache_key)
        self._check(done, {r["id"]: r.get("cache_key") for r in timeline.get("sentences", [])})
        return take

    def render_chapter(self, chapter: int) -> str:
        """What "Re-render flagged & changed" does, in the app (no flow, no Prefect server): the
        chapter's plan through the render cache, then its master and exports (in the worker)."""
        from lector.core.build import BuildDir

        timeline = BuildDir(self.root / "build").read_timeline(chapter)
        before = dict(timeline.keys()) if timeline is not None else {}
        done = self._ask(RenderChapterRequest(chapter))
        assert isinstance(done, ChapterMastered)
        self._check(done, before)
        return done.message

    def restore(self, slot_id: str, chapter: int, timeline: dict, take_id: int) -> TakeRecord:
        """An earlier take back into the book: its settings written again (text, seed, emotion,
        voice), so the plan makes exactly that take (from the cache), then accepted."""
        take = self.history.get(take_id)
        if take is None or take.root_id != self.history.root_of(slot_id):
            raise PreviewError("that take is not one of this sentence's — reload the page")
        made = self.preview(
            slot_id,
            chapter,
            timeline,
            Change(text=take.text, seed=take.seed, emotion=take.emotion, voice=take.voice),
            origin="restore",
        )
        if made.take.cache_key != take.cache_key:
            raise PreviewError(
                "that take cannot be made again (the voice, engine or lexicon changed since); "
                "the new take is kept as a preview"
            )
        return self.accept(slot_id, chapter, timeline)

    # -- QC ---------------------------------------------------------------------------------------
    def _qc_in_child(self, chapter: int) -> int:
        """The chapter's QC in a child process (review.qc_child): its models stay out of the app.
        close() ends it, so a stopped app leaves nothing running."""
        with self._lock:
            if self._closed:
                return -1
            proc = self._qc_proc = subprocess.Popen(
                [sys.executable, "-m", "lector.review.qc_child", str(self.root), str(chapter)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        _out, err = proc.communicate()
        if proc.returncode:
            log.warning("review: QC of chapter %d did not finish: %s", chapter, (err or "").strip()[-300:])
        return proc.returncode

    def _check(self, done: ChapterMastered, before: dict) -> None:
        """Takes that changed are "checking" until the chapter's QC is in (their old flags are
        not theirs); QC runs on its own thread, as the flow's qc step does after a master."""
        changed = [(sid, key) for sid, key in done.keys if before.get(sid) != key]
        for sid, key in changed:
            self.history.set_qc(sid, key, "checking")
        if not done.qc:
            for sid, key in changed:
                self.history.set_qc(sid, key, "unchecked")
            return

        def run() -> None:
            state = "checked" if self._qc_in_child(done.chapter) == 0 else "failed"
            for sid, key in changed:
                self.history.set_qc(sid, key, state)

        self.last_check = self._checker.submit(run)

    def _remember_render_take(self, slot_id: str, chapter: int, timeline: dict) -> None:
        """The take the master uses now, kept (chosen) before anything replaces it."""
        row = next(r for r in timeline["sentences"] if r["id"] == slot_id)
        if not row.get("cache_key"):
            return
        root = self.history.root_of(slot_id)
        if self.history.find(root, row["cache_key"]) is None:
            self.history.add(
                root,
                slot_id,
                chapter,
                row["cache_key"],
                text=row.get("text", ""),
                pronunciation=row.get("pronunciation", ""),
                seed=row.get("seed"),
                engine=row.get("engine", ""),
                voice=row.get("voice", ""),
                emotion=row.get("emotion", ""),
                origin="render",
            )
            self.history.choose(root, row["cache_key"])
            self.store.add_take(slot_id, row["cache_key"], row.get("seed"))
