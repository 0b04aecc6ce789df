"""Routes of the instant preview and the take history (review.preview, review.takes).

POST /sentences/{sid}/preview   text | reroll=1 | emotion | voice -> a new take, synthesized in the app
POST /sentences/{sid}/accept    the sentence's current take into the book (master + exports, then QC)
POST /sentences/{sid}/takes/{take_id}/restore   an earlier take back (its settings, from the cache)
GET  /api/sentences/{sid}       the sentence as the page shows it (text, flags, QC state, takes)

Answers are JSON: ``{"ok", "message", ...}``; a refusal is 422 with a short message saying what
to do (review.preview.short: never exception text).
"""

from __future__ import annotations

import os
from dataclasses import asdict

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from lector.core.errors import LectorError, ProjectBusy

from . import actions
from .meta import project_meta
from .preview import Change, PreviewBusy, PreviewError, PreviewService, short
from .security import csrf_protect
from .takes import TakeHistory, TakeRecord

REFUSALS = (PreviewError, LectorError, OSError)


def take_json(t: TakeRecord) -> dict:
    return {**asdict(t), "url": f"/audio/takes/{t.cache_key}"}


def register_preview(app: FastAPI, ctx) -> PreviewService:
    """Add the routes to ``app``; ``ctx`` is review.app.Ctx (root, store, view, templates)."""
    history = TakeHistory.for_project(ctx.root)
    service = PreviewService(ctx.root, history, ctx.store)
    ctx.view.history = history
    ctx.history, ctx.previews = history, service
    post = [Depends(csrf_protect)]

    def slot(sid: str) -> tuple[int, dict]:
        found = ctx.view.find_sentence(sid)
        if found is None:
            raise HTTPException(404, "no such sentence in the rendered book — reload the page")
        return found[0], ctx.view.timeline(found[0]) or {}

    def refused(exc: BaseException) -> JSONResponse:
        status = 409 if isinstance(exc, (ProjectBusy, PreviewBusy)) else 422
        return JSONResponse({"ok": False, "message": short(exc)}, status_code=status)

    @app.post("/sentences/{sid}/preview", dependencies=post)
    async def preview(
        request: Request,
        sid: str,
        *,
        text: str | None = Form(None),
        reroll: str = Form(""),
        emotion: str | None = Form(None),
        voice: str | None = Form(None),
    ):
        chapter, timeline = slot(sid)
        change = Change(
            text=text,
            seed=actions.new_seed() if reroll else None,
            emotion=emotion or None,
            voice=voice or None,
        )
        try:
            made = await run_in_threadpool(service.preview, sid, chapter, timeline, change)
        except REFUSALS as exc:
            if change.text and "pending note" in str(exc):  # an EPUB line: kept, as the Edit form does
                ctx.store.add_note(sid, "edit", change.text)
            return refused(exc)
        ctx.store.set_pending(sid, chapter, True, "preview", made.take.cache_key)  # the row the page shows
        return {
            "ok": True,
            "message": f"take ready ({made.seconds:.1f} s)",
            "sentence_id": made.sentence_id,
            "synthesized": made.synthesized,
            "seconds": round(made.seconds, 3),
            "take": take_json(made.take),
        }

    @app.post("/sentences/{sid}/accept", dependencies=post)
    async def accept(request: Request, sid: str):
        chapter, timeline = slot(sid)
        try:
            take = await run_in_threadpool(service.accept, sid, chapter, timeline)
        except REFUSALS as exc:
            return refused(exc)
        return _row(ctx, request, take, "accepted: the chapter's master now uses this take")

    @app.post("/sentences/{sid}/takes/{take_id}/restore", dependencies=post)
    async def restore(request: Request, sid: str, take_id: int):
        chapter, timeline = slot(sid)
        try:
            take = await run_in_threadpool(service.restore, sid, chapter, timeline, take_id)
        except REFUSALS as exc:
            return refused(exc)
        return _row(ctx, request, take, "earlier take restored into the master")

    _register_state(app, ctx, slot)
    from .queue import register_queue

    register_queue(app, ctx)
    app.router.add_event_handler("shutdown", service.close)
    if os.environ.get("LECTOR_REVIEW_WARM", "1") != "0":
        service.warm()
    return service


def _register_state(app: FastAPI, ctx, slot) -> None:
    """GET /api/sentences/{sid}: a sentence's row, its takes and its rendered HTML."""
    history = ctx.history

    @app.get("/api/sentences/{sid}")
    def sentence_state(request: Request, sid: str):
        chapter, _timeline = slot(sid)
        s = next(x for x in ctx.view.sentences(chapter) if x.id == sid)
        takes = history.takes(history.root_of(sid))
        return {
            "id": s.id,
            "chapter": chapter,
            "text": s.text,
            "pronunciation": s.pronunciation,
            "cache_key": s.cache_key,
            "seed": s.seed,
            "emotion": s.emotion,
            "voice": s.voice,
            "flags": list(s.flags),
            "qc_state": s.qc_state,
            "status": s.status,
            "pending": s.pending,
            "takes": [take_json(t) for t in takes],
            "html": _row_html(ctx, request, sid),
        }


def _row(ctx, request: Request, take: TakeRecord, message: str) -> JSONResponse:
    """JSON with the sentence's new row (its id may be new after an edit)."""
    return JSONResponse(
        {
            "ok": True,
            "message": message,
            "sentence_id": take.sentence_id,
            "take": take_json(take),
            "html": _row_html(ctx, request, take.sentence_id),
        }
    )


def _row_html(ctx, request: Request, sid: str) -> str:
    found = ctx.view.find_sentence(sid)
    s = next((x for x in ctx.view.sentences(found[0]) if x.id == sid), None) if found else None
    if s is None:
        return ""
    _title, emotions, voices = project_meta(ctx.root)
    return ctx.templates.get_template("_sentence.html").render(
        s=s, csrf=request.state.csrf, emotions=emotions, voices=voices
    )
