"""``python -m lector.review.preview_worker PROJECT FD``: the review app's preview worker process.

The planner (jieba, g2pM, pypinyin dictionaries, several hundred MB) and the cast's engines load
here, never in the app: the app (lector.review.preview) starts this process on the first edit, sends
it typed requests (lector.review.worker_records) over the socket ``FD`` and ends it when idle or
when the app stops. Inside, one synthesis thread per engine (a model never runs twice at once)
and one ``VoiceResolver`` (the engines it loaded stay loaded); a preview is: apply the change
where a render sees it (manuscript line, ``overrides.json``) -> the edited chapter planned as
``build_plan`` plans it, its entry written into plan.json (lector.review.chapter_plan: the whole
book only on the first request or when something outside the chapter changed) ->
``render_sentences`` of that one sentence through the render cache. So the take *is* the render's
take: same cache key, same file. An accept or re-render runs the render's chapter steps
(lector.core.pipeline.finish_chapter) on the chapter's cached takes.

The process ends when the app's end of the socket closes (the app stopped or died, even by
SIGKILL), and ignores Ctrl-C (the terminal sends it to the whole process group; the app stops it in
order).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from multiprocessing.connection import Connection

from lector.core.errors import LectorError, ProjectBusy
from lector.core.lock import project_lock
from lector.core.model import Chapter, Sentence, Span, Token

from . import actions
from .chapter_plan import PlanKeeper
from .worker_records import (
    AcceptRequest,
    Answer,
    Change,
    ChapterMastered,
    Envelope,
    HearWord,
    PreviewError,
    PreviewRequest,
    Refused,
    RenderChapterRequest,
    Request,
    TakeMade,
    Warmed,
    short,
)

log = logging.getLogger("lector.review")
LOCK_WAIT_S = 5.0
REQUEST_THREADS = 4  # requests at once (an accept need not wait for a preview of another engine)


def _first_inference(resolver, rv, sentence: Sentence) -> None:
    """One synthesis, kept nowhere: an engine's first inference costs seconds more than the next
    (sessions, phonemizers, kernels), and the editor's first preview should not pay them."""
    from lector.core.casting import build_request

    engine = resolver.engine(rv.engine_id)
    engine.synthesize([build_request(sentence, rv, getattr(engine.capabilities, "emotions", None))])


class Previewer:
    """Plan, synthesis and master of one project, for the requests of its review app."""

    def __init__(self, root) -> None:
        self.root = root
        self._engines: dict[str, ThreadPoolExecutor] = {}
        self._resolver = None
        self._resolver_ident: tuple | None = None
        self._lock = threading.Lock()
        self.plans = PlanKeeper()

    def answer(self, request: Request) -> Answer:
        try:
            if isinstance(request, PreviewRequest):
                return self.preview(request)
            if isinstance(request, AcceptRequest):
                return self.accept(request)
            if isinstance(request, RenderChapterRequest):
                return self.render_chapter(request.chapter)
            if isinstance(request, HearWord):
                return self.hear_word(request)
            return self.warm()
        except (PreviewError, LectorError, OSError, ValueError, RuntimeError, ImportError) as exc:
            if not isinstance(exc, (PreviewError, LectorError)):
                log.warning("review preview worker: %s: %s", type(exc).__name__, exc)
            return Refused(short(exc), busy=isinstance(exc, ProjectBusy))

    # -- long-lived pieces ------------------------------------------------------------------------
    def _project(self):
        from lector.core.project import load_project

        return load_project(self.root)

    def resolver(self, project):
        """One resolver (and so one loaded engine each) while the cast in project.toml is unchanged."""
        from lector.core.casting import VoiceResolver

        ident = tuple(sorted((k, v.model_dump_json()) for k, v in project.config.voices.items()))
        with self._lock:
            if self._resolver is None or self._resolver_ident != ident:
                self._resolver, self._resolver_ident = VoiceResolver.from_project(project), ident
            return self._resolver

    def engine_thread(self, engine_id: str) -> ThreadPoolExecutor:
        with self._lock:
            if engine_id not in self._engines:
                self._engines[engine_id] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"lector-synth-{engine_id}"
                )
            return self._engines[engine_id]

    def warm(self) -> Warmed:
        """The planner's models and the cast's engines loaded, each engine run once, so the first
        edit of the day is as quick as the others."""
        project = self._project()
        plan = self.plans.book(project)
        resolver = self.resolver(project)
        firsts = {s.voice: s for ch in reversed(plan.chapters) for s in reversed(ch.sentences)}
        for voice, sentence in firsts.items():
            rv = resolver.voice(voice)
            self.engine_thread(rv.engine_id).submit(_first_inference, resolver, rv, sentence).result()
        return Warmed()

    # -- plan -------------------------------------------------------------------------------------
    def _plan(self, project, chapter: int) -> tuple[Chapter, int]:
        """The chapter as the book's plan has it (written into plan.json), and the book's size."""
        return self.plans.chapter(project, chapter)

    @staticmethod
    def locate(ch: Chapter, slot_id: str, rows: tuple[str, ...]) -> Sentence:
        """The chapter's sentence at the slot's place in it (its id changes with its text)."""
        if slot_id not in rows:
            raise PreviewError(f"chapter {ch.index} is no longer in the book — reload the page")
        if len(ch.sentences) != len(rows):
            raise PreviewError(
                "the chapter now has a different number of sentences (an edit split or "
                "joined one) — press “Re-render flagged & changed” or run `lector render --changed`"
            )
        return ch.sentences[rows.index(slot_id)]

    # -- preview ----------------------------------------------------------------------------------
    def preview(self, req: PreviewRequest) -> TakeMade:
        project = self._project()
        with project_lock(project.build_dir, "review preview", wait_s=LOCK_WAIT_S, on_wait=None):
            ch = self._apply(project, self._plan(project, req.chapter)[0], req)
            sentence = self.locate(ch, req.slot_id, req.row_ids)
        return self._synthesize(project, sentence)

    def hear_word(self, req: HearWord) -> TakeMade:
        """The word alone, read the new way, by the voice a render gives a word of its language
        (plan built, not written)."""
        from lector.core.planner import plan_chapter

        project = self._project()
        sentence = self.locate(plan_chapter(project, req.chapter)[0], req.slot_id, req.row_ids)
        sentence = replace(sentence, voice=word_voice(self.resolver(project), sentence.voice, req.lang))
        parts = [req.pron] if req.lang == "en" else req.pron.split()
        graphemes = [req.word] if req.lang == "en" else list(req.word)
        tokens = tuple(Token(g, p, "sentence") for g, p in zip(graphemes, parts, strict=True))
        word = replace(
            sentence,
            id=hashlib.sha1(f"{sentence.id}\x1f{req.word}\x1f{req.pron}".encode()).hexdigest()[:12],
            text=req.word,
            spans=(Span(text=req.word, spoken=req.word, lang=req.lang, tokens=tokens),),
            lang=req.lang,
            pause_after_ms=0,
        )
        return self._synthesize(project, word)

    def _apply(self, project, ch: Chapter, req: PreviewRequest) -> Chapter:
        """Write the change where a render reads it (text first: the other settings belong to the
        edited sentence's new id); returns the chapter's plan that holds it."""
        change: Change = req.change
        current = self.locate(ch, req.slot_id, req.row_ids)
        if change.text is not None and " ".join(change.text.split()) != current.text:
            outcome = actions.edit_text(self.root, current.source, current.text, change.text)
            if not outcome.ok:
                raise PreviewError(outcome.message)
            ch = self._plan(project, req.chapter)[0]
            current = self.locate(ch, req.slot_id, req.row_ids)
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
            ch = self._plan(project, req.chapter)[0]
        return ch

    def _synthesize(self, project, sentence: Sentence) -> TakeMade:
        from lector.core.pipeline import render_store
        from lector.core.render import render_sentences

        resolver = self.resolver(project)
        engine_id = resolver.voice(sentence.voice).engine_id
        report = (
            self.engine_thread(engine_id)
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
        return _take(sentence, result.cache_key, engine_id, result.synthesized)

    # -- accept / re-render -----------------------------------------------------------------------
    def accept(self, req: AcceptRequest) -> ChapterMastered:
        """The slot's current take into the book: master, chapter.flac, exports (the flow's chapter
        steps on the render cache)."""
        project = self._project()
        with project_lock(project.build_dir, "review accept", wait_s=LOCK_WAIT_S, on_wait=None):
            ch, chapters = self._plan(project, req.chapter)
            sentence = self.locate(ch, req.slot_id, req.row_ids)
            report, engine_id = self._master(project, chapters, ch)
        key = next(r.cache_key for r in report.results if r.sentence_id == sentence.id)
        return ChapterMastered(
            chapter=req.chapter,
            keys=tuple((r.sentence_id, r.cache_key) for r in report.results),
            qc=bool(project.config.render.qc),
            take=_take(sentence, key, engine_id, False),
        )

    def render_chapter(self, chapter: int) -> ChapterMastered:
        """What "Re-render flagged & changed" does, in the app (no flow, no Prefect server): the
        chapter's plan through the render cache on the engine threads, then its master and exports."""
        project = self._project()
        with project_lock(project.build_dir, "review re-render", wait_s=LOCK_WAIT_S, on_wait=None):
            ch, chapters = self._plan(project, chapter)
            report, _engine = self._master(project, chapters, ch)
        return ChapterMastered(
            chapter=chapter,
            keys=tuple((r.sentence_id, r.cache_key) for r in report.results),
            qc=bool(project.config.render.qc),
            message=f"re-rendered chapter {chapter}: {report.synthesized} synthesized, "
            f"{report.cached} from the cache",
        )

    def _master(self, project, chapters: int, ch: Chapter):
        """The chapter's takes (render cache first, misses on the engine threads), then the flow's
        chapter steps: master (previous recipe kept where it holds), chapter.flac, exports, AAC."""
        from lector.core import pipeline
        from lector.core.render import render_sentences

        resolver = self.resolver(project)
        engine_id = resolver.voice(ch.sentences[0].voice).engine_id if ch.sentences else "none"
        store = pipeline.render_store(project)
        report = (
            self.engine_thread(engine_id)
            .submit(
                render_sentences, ch.sentences, resolver, store, batch_size=project.config.render.batch_size
            )
            .result()
        )
        if report.failed or report.fallbacks:
            raise PreviewError(
                "some sentences of this chapter have no take of their own voice — "
                "run `lector render --changed` to see which"
            )
        pipeline.finish_chapter(project, ch, [report], store, chapters)
        return report, engine_id


def word_voice(resolver, voice: str, lang: str) -> str:
    """The cast voice that reads a word of ``lang`` in a sentence of ``voice``: that voice when it
    speaks the language, else the first cast voice of it, as a mixed-language render gives each
    run (mixed_render.lang_voice); none is refused rather than heard in the wrong voice."""
    from lector.core.mixed_render import lang_voice, primary

    if primary(resolver.voice(voice).lang) == primary(lang):
        return voice
    other = lang_voice(resolver, lang)
    if other is None:
        raise PreviewError(
            f"no voice of the cast speaks {lang!r}, so the word cannot be heard alone in its language "
            f'— add a voice with lang = "{lang}" to [voices] in project.toml'
        )
    return other


def _take(sentence: Sentence, key: str, engine_id: str, synthesized: bool) -> TakeMade:
    return TakeMade(
        sentence_id=sentence.id,
        cache_key=key,
        synthesized=synthesized,
        text=sentence.text,
        pronunciation=sentence.pronunciation,
        seed=sentence.seed,
        engine=engine_id,
        voice=sentence.voice,
        emotion=sentence.emotion,
    )


def serve(conn: Connection, previewer: Previewer) -> None:
    """Answer requests until the app closes its end; each on a thread of its own."""
    send_lock = threading.Lock()

    def handle(envelope: Envelope) -> None:
        answer = previewer.answer(envelope.body)  # type: ignore[arg-type]
        with send_lock:
            try:
                conn.send(Envelope(envelope.number, answer))
            except OSError:  # the app is gone
                os._exit(0)

    pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="lector-preview")
    while True:
        try:
            envelope = conn.recv()
        except (EOFError, OSError):
            break
        pool.submit(handle, envelope)
    os._exit(0)  # requests may be mid-inference; nobody waits for their answer any more


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m lector.review.preview_worker PROJECT FD", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from pathlib import Path

    from lector.core.memtune import bound_heap

    bound_heap()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    serve(Connection(int(args[1])), Previewer(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
