"""Instant preview: edited / re-rolled sentences synthesized inside the app, then accepted into the book.

No Prefect server and no flow per edit. The app keeps, for its whole life, one synthesis worker
(one thread) per engine and one ``VoiceResolver`` (the engines it loaded stay loaded), and the
planner's token cache; a preview is: apply the change where a render sees it (manuscript line,
``overrides.json``) -> ``build_plan`` (warm: ~0.25 s) -> ``render_sentences`` of that one
sentence through the render cache on its engine's worker. So the take *is* the render's take:
same cache key, same file.

``accept`` makes the book use it, the way a render does: the chapter's takes from the cache
(``render_sentences``: all cached), then the flow's own chapter steps (flows.chapter: master with
the previous recipe on the changed paragraph block, chapter.flac from the blocks, MP3/VTT/AAC per
block), and QC of the chapter on a background thread. After it ``lector render --changed`` finds
every take cached and the chapter unchanged.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lector.core.errors import LectorError
from lector.core.lock import project_lock
from lector.core.model import Chapter, Plan, Sentence

from . import actions
from .takes import TakeHistory, TakeRecord

log = logging.getLogger("lector.review")
LOCK_WAIT_S = 5.0


class PreviewError(RuntimeError):
    """A preview or accept that cannot be done; ``str()`` is the short message for the page."""


@dataclass(frozen=True)
class Change:
    text: str | None = None
    seed: int | None = None
    emotion: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class Preview:
    slot_id: str  # the id the page knows the sentence by (its timeline id)
    sentence_id: str  # its id in the current plan (differs after a text edit)
    take: TakeRecord
    synthesized: bool
    seconds: float


def short(exc: BaseException) -> str:
    """What the page may show of an error: a Lector error's message and fix, never internals."""
    if isinstance(exc, PreviewError):
        return str(exc)
    if isinstance(exc, LectorError):
        return exc.message + (f" — {exc.fix}" if exc.fix else "")
    if isinstance(exc, OSError):
        return (
            "the project's files could not be read or written — check the disk and the folder's permissions"
        )
    return "that did not work — try again, or run `lector render --changed`"


_SERVICES: dict[Path, PreviewService] = {}  # project root -> its app's service (re-render jobs)


def service_for(root: Path) -> PreviewService | None:
    return _SERVICES.get(Path(root).resolve())


def _first_inference(resolver, rv, sentence: Sentence) -> None:
    """One synthesis, kept nowhere: an engine's first inference costs seconds more than the next
    (sessions, phonemizers, kernels), and the editor's first preview should not pay them."""
    from lector.core.render import build_request

    engine = resolver.engine(rv.engine_id)
    engine.synthesize([build_request(sentence, rv, getattr(engine.capabilities, "emotions", None))])


class PreviewService:
    """Long-lived synthesis workers, plan and master for the review app of one project."""

    def __init__(self, root: Path, history: TakeHistory, store) -> None:
        self.root = root
        self.history = history
        self.store = store
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lector-qc")
        self._resolver = None
        self._resolver_ident: tuple | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.last_check = None  # the latest QC run's future (tests wait on it)
        self._qc_proc: subprocess.Popen | None = None
        _SERVICES[Path(root).resolve()] = self

    # -- long-lived pieces ------------------------------------------------------------------------
    def _project(self):
        from lector.core.project import load_project

        return load_project(self.root)

    def resolver(self, project):
        """One resolver (and so one loaded engine each) while the cast in project.toml is unchanged."""
        from lector.core.render import VoiceResolver

        ident = tuple(sorted((k, v.model_dump_json()) for k, v in project.config.voices.items()))
        with self._lock:
            if self._resolver is None or self._resolver_ident != ident:
                self._resolver, self._resolver_ident = VoiceResolver.from_project(project), ident
            return self._resolver

    def worker(self, engine_id: str) -> ThreadPoolExecutor:
        """The engine's synthesis worker: one thread, so a model is never run twice at once."""
        with self._lock:
            if self._closed:
                raise PreviewError("the review app is shutting down")
            if engine_id not in self._workers:
                self._workers[engine_id] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"lector-synth-{engine_id}"
                )
            return self._workers[engine_id]

    def warm(self) -> threading.Thread:
        """Load the planner's models and the cast's engines in the background, so the first edit
        of the day is as quick as the others."""

        def run() -> None:
            try:
                project = self._project()
                plan = self._plan(project)
                resolver = self.resolver(project)
                firsts = {s.voice: s for ch in reversed(plan.chapters) for s in reversed(ch.sentences)}
                for voice, sentence in firsts.items():
                    rv = resolver.voice(voice)
                    self.worker(rv.engine_id).submit(_first_inference, resolver, rv, sentence).result()
            except (LectorError, OSError, ValueError, RuntimeError, ImportError) as exc:
                log.warning("review: warm-up skipped: %s", short(exc))

        thread = threading.Thread(target=run, name="lector-review-warm", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if _SERVICES.get(self.root.resolve()) is self:
            del _SERVICES[self.root.resolve()]
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
        for w in workers + [self._checker]:
            w.shutdown(wait=False, cancel_futures=True)
        proc = self._qc_proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- plan -------------------------------------------------------------------------------------
    def _plan(self, project) -> Plan:
        from lector.core.audio.io import atomic_write_bytes
        from lector.core.planner import build_plan, plan_to_json

        plan = build_plan(project)
        atomic_write_bytes(project.build_dir / "plan.json", plan_to_json(plan).encode("utf-8"))
        return plan

    def locate(self, plan: Plan, slot_id: str, timeline: dict, chapter: int) -> tuple[Chapter, Sentence]:
        """The plan's sentence at the slot's place in its chapter (its id changes with its text)."""
        rows = [r["id"] for r in timeline.get("sentences", [])]
        ch = next((c for c in plan.chapters if c.index == chapter), None)
        if ch is None or slot_id not in rows:
            raise PreviewError(f"chapter {chapter} is no longer in the book — reload the page")
        if len(ch.sentences) != len(rows):
            raise PreviewError(
                "the chapter now has a different number of sentences (an edit split or "
                "joined one) — press “Re-render flagged & changed” or run `lector render --changed`"
            )
        return ch, ch.sentences[rows.index(slot_id)]

    # -- preview ----------------------------------------------------------------------------------
    def preview(
        self, slot_id: str, chapter: int, timeline: dict, change: Change, origin: str = "preview"
    ) -> Preview:
        started = time.perf_counter()
        project = self._project()
        with project_lock(project.build_dir, "review preview", wait_s=LOCK_WAIT_S, on_wait=None):
            plan = self._plan(project)
            self._remember_render_take(slot_id, chapter, timeline)
            plan = self._apply(project, plan, slot_id, chapter, timeline, change)
            _ch, sentence = self.locate(plan, slot_id, timeline, chapter)
        root = self.history.link(sentence.id, slot_id)
        take, synthesized = self._synthesize(project, root, chapter, sentence, origin)
        return Preview(slot_id, sentence.id, take, synthesized, time.perf_counter() - started)

    def _apply(self, project, plan: Plan, slot_id: str, chapter: int, timeline: dict, change: Change) -> Plan:
        """Write the change where a render reads it (text first: the other settings belong to the
        edited sentence's new id); returns the plan that holds it."""
        current = self.locate(plan, slot_id, timeline, chapter)[1]
        if change.text is not None and " ".join(change.text.split()) != current.text:
            outcome = actions.edit_text(self.root, current.source, current.text, change.text)
            if not outcome.ok:
                raise PreviewError(outcome.message)
            plan = self._plan(project)
            current = self.locate(plan, slot_id, timeline, chapter)[1]
        overrides = {
            k: v
            for k, v, now in (
                ("seed", change.seed, current.seed),
                ("emotion", change.emotion, current.emotion),
                ("voice", change.voice, current.voice),
            )
            if v is not None and v != now
        }
        if overrides:
            actions.set_override(self.root, current.id, **overrides)
            plan = self._plan(project)
        return plan

    # -- accept / restore -------------------------------------------------------------------------
    def accept(self, slot_id: str, chapter: int, timeline: dict) -> TakeRecord:
        """The slot's current take into the book: master, chapter.flac, exports (the flow's chapter
        steps on the render cache), then QC of the chapter in the background."""
        project = self._project()
        with project_lock(project.build_dir, "review accept", wait_s=LOCK_WAIT_S, on_wait=None):
            plan = self._plan(project)
            ch, sentence = self.locate(plan, slot_id, timeline, chapter)
            report = self._master(project, plan, ch)
        key = next(r.cache_key for r in report.results if r.sentence_id == sentence.id)
        root = self.history.link(sentence.id, slot_id)
        take = (
            self.history.find(root, key) or self._synthesize(project, root, chapter, sentence, "preview")[0]
        )
        self.history.choose(root, key)
        take = self.history.find(root, key) or take
        self.store.set_pending(sentence.id, chapter, False, "accepted", key)
        before = {r["id"]: r.get("cache_key") for r in timeline.get("sentences", [])}
        self._check(
            project,
            chapter,
            [
                (r.sentence_id, r.cache_key)
                for r in report.results
                if before.get(r.sentence_id) != r.cache_key
            ],
        )
        return take

    def render_chapter(self, chapter: int) -> str:
        """What "Re-render flagged & changed" does, in the app (no flow, no Prefect server): the
        chapter's plan through the render cache on the engine workers, then its master and exports."""
        project = self._project()
        with project_lock(project.build_dir, "review re-render", wait_s=LOCK_WAIT_S, on_wait=None):
            plan = self._plan(project)
            ch = next((c for c in plan.chapters if c.index == chapter), None)
            if ch is None:
                raise PreviewError(f"chapter {chapter} is no longer in the book — reload the page")
            tl_path = project.build_dir / "chapters" / f"{chapter:02d}" / "timeline.json"
            timeline = json.loads(tl_path.read_text("utf-8")) if tl_path.is_file() else {}
            report = self._master(project, plan, ch)
        before = {r["id"]: r.get("cache_key") for r in timeline.get("sentences", [])}
        changed = [
            (r.sentence_id, r.cache_key) for r in report.results if before.get(r.sentence_id) != r.cache_key
        ]
        self._check(project, chapter, changed)
        return (
            f"re-rendered chapter {chapter}: {report.synthesized} synthesized, {report.cached} from the cache"
        )

    def _master(self, project, plan: Plan, ch: Chapter):
        """The chapter's takes (render cache first, misses on the engine workers), then the flow's
        chapter steps: master (previous recipe kept where it holds), chapter.flac, exports, AAC."""
        from lector.core.render import render_sentences
        from lector.flows import chapter as c
        from lector.flows.tasks import render_store

        resolver = self.resolver(project)
        engine_id = resolver.voice(ch.sentences[0].voice).engine_id if ch.sentences else "none"
        report = (
            self.worker(engine_id)
            .submit(
                render_sentences,
                ch.sentences,
                resolver,
                render_store(project),
                batch_size=project.config.render.batch_size,
            )
            .result()
        )
        if report.failed or report.fallbacks:
            raise PreviewError(
                "some sentences of this chapter have no take of their own voice — "
                "run `lector render --changed` to see which"
            )
        path, total = str(self.root), len(plan.chapters)
        output = c.master_task.fn(path, ch, [report])
        c.chapter_flac_task.fn(path, ch, output, total)
        for fmt in c.chapter_formats(project):
            if fmt != "flac":
                c.export_task.fn(path, ch, fmt, output, total)
        if "m4b" in project.config.output.formats:
            c.aac_task.fn(path, ch, output)
        return report

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

    # -- QC ---------------------------------------------------------------------------------------
    def _check(self, project, chapter: int, keys: list[tuple[str, str]]) -> None:
        """Takes that changed are "checking" until the chapter's QC is in (their old flags are
        not theirs); QC runs on its own thread, as the flow's qc step does after a master."""
        changed = keys
        for sid, key in changed:
            self.history.set_qc(sid, key, "checking")
        if not project.config.render.qc:
            for sid, key in changed:
                self.history.set_qc(sid, key, "unchecked")
            return

        def run() -> None:
            state = "checked" if self._qc_in_child(chapter) == 0 else "failed"
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

    def _synthesize(
        self, project, root: str, chapter: int, sentence: Sentence, origin: str
    ) -> tuple[TakeRecord, bool]:
        from lector.core.render import render_sentences
        from lector.flows.tasks import render_store

        resolver = self.resolver(project)
        engine_id = resolver.voice(sentence.voice).engine_id
        report = (
            self.worker(engine_id)
            .submit(render_sentences, [sentence], resolver, render_store(project), batch_size=1)
            .result()
        )
        result = report.results[0] if report.results else None
        if result is None or not result.ok:
            raise PreviewError(
                f"the {engine_id} voice could not speak this sentence — change the text "
                "or the voice and try again"
            )
        if report.fallbacks:
            raise PreviewError(
                f"voice {sentence.voice!r} failed here and its fallback spoke instead — "
                "change the text or the voice; the fallback's take is not used"
            )
        take = self.history.add(
            root,
            sentence.id,
            chapter,
            result.cache_key,
            text=sentence.text,
            pronunciation=sentence.pronunciation,
            seed=sentence.seed,
            engine=engine_id,
            voice=sentence.voice,
            emotion=sentence.emotion,
            origin=origin,
        )
        self.store.add_take(sentence.id, result.cache_key, sentence.seed)
        return take, result.synthesized
