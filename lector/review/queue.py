"""The book-wide review queue: every open flag and unreviewed sentence, and progress per chapter.

GET  /queue?chapter=N&kind=K&voice=V   the page (templates/queue.html)
GET  /api/queue?...                     the same as JSON
POST /chapters/{n}/approve              editor=NAME: the chapter approved, with time and editor

Kinds: a QC flag name (``too-long``, ``asr-mismatch``...), ``flagged`` (an editor's flag),
``changed`` (waiting for a re-render or an accept; ``pronunciation changed`` too when a pronunciation
set from the page is among the changes) and ``unreviewed`` (neither approved nor flagged).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from .data import SentenceView
from .security import csrf_protect

REVIEW_KINDS = ("flagged", "changed", "unreviewed")
PRONOUNCED = "pronunciation changed"
PRONOUNCE_ACTION = "pronunciation"  # the store action routes_pronounce.py marks a sentence with


@dataclass(frozen=True)
class QueueItem:
    chapter: int
    sentence: SentenceView
    kinds: tuple[str, ...]  # why it is in the queue (QC flags first)


@dataclass(frozen=True)
class ChapterProgress:
    chapter: int
    title: str
    sentences: int
    approved: int
    flagged: int  # by an editor or by QC (open)
    untouched: int
    approved_by: str  # "" until the chapter is approved
    approved_at: str  # UTC, "YYYY-MM-DD HH:MM"


def kinds_of(s: SentenceView, pronounced: frozenset[str] = frozenset()) -> tuple[str, ...]:
    kinds = list(s.flags)
    if s.status == "flagged":
        kinds.append("flagged")
    if s.pending:
        kinds.append("changed")
        if s.id in pronounced:
            kinds.append(PRONOUNCED)
    if not s.status and not s.flags and not s.pending:
        kinds.append("unreviewed")
    return tuple(kinds)


def build_queue(
    view,
    history,
    *,
    chapter: int | None = None,
    kind: str = "",
    voice: str = "",
    pronounced: frozenset[str] = frozenset(),
) -> tuple[list[QueueItem], list[ChapterProgress], dict[str, tuple[str | int, ...]]]:
    """(items matching the filters, progress of every rendered chapter, filter choices);
    ``pronounced``: the pending sentences whose pronunciation was set from the page."""
    items, progress = [], []
    approvals = history.chapter_approvals() if history is not None else {}
    all_kinds: set[str] = set()
    all_voices: set[str] = set()
    for info in view.chapters():
        if info.status == "not rendered":
            continue
        sentences = view.sentences(info.index)
        open_items = [
            (s, kinds_of(s, pronounced)) for s in sentences if s.status != "approved" or s.flags or s.pending
        ]
        flagged = sum(1 for s, k in open_items if s.flags or s.status == "flagged")
        approved = sum(1 for s in sentences if s.status == "approved" and not s.flags and not s.pending)
        a = approvals.get(info.index)
        progress.append(
            ChapterProgress(
                info.index,
                info.title,
                len(sentences),
                approved,
                flagged,
                len(sentences) - approved - flagged,
                a.editor if a else "",
                time.strftime("%Y-%m-%d %H:%M", time.gmtime(a.at)) if a else "",
            )
        )
        for s, k in open_items:
            all_kinds.update(k)
            all_voices.add(s.voice)
            if (
                (chapter is None or info.index == chapter)
                and (not kind or kind in k)
                and (not voice or s.voice == voice)
            ):
                items.append(QueueItem(info.index, s, k))
    choices: dict[str, tuple[str | int, ...]] = {
        "kinds": tuple(sorted(all_kinds - set(REVIEW_KINDS))) + REVIEW_KINDS,
        "voices": tuple(sorted(all_voices)),
        "chapters": tuple(p.chapter for p in progress),
    }
    return items, progress, choices


def register_queue(app: FastAPI, ctx) -> None:
    post = [Depends(csrf_protect)]

    def pronounced() -> frozenset[str]:
        return ctx.store.pending_after(PRONOUNCE_ACTION)

    def filters(chapter: str, kind: str, voice: str) -> tuple[int | None, str, str]:
        if chapter and not chapter.isdigit():
            raise HTTPException(400, "chapter must be a number — pick one from the list")
        return (int(chapter) if chapter else None), kind.strip(), voice.strip()

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request, chapter: str = "", kind: str = "", voice: str = ""):
        n, k, v = filters(chapter, kind, voice)
        items, progress, choices = build_queue(
            ctx.view, ctx.history, chapter=n, kind=k, voice=v, pronounced=pronounced()
        )
        return ctx.page(
            request,
            "queue.html",
            items=items,
            progress=progress,
            choices=choices,
            selected={"chapter": n, "kind": k, "voice": v},
        )

    @app.get("/api/queue")
    def queue_json(chapter: str = "", kind: str = "", voice: str = ""):
        n, k, v = filters(chapter, kind, voice)
        items, progress, _choices = build_queue(
            ctx.view, ctx.history, chapter=n, kind=k, voice=v, pronounced=pronounced()
        )
        return {
            "items": [
                {
                    "chapter": i.chapter,
                    "id": i.sentence.id,
                    "text": i.sentence.text,
                    "voice": i.sentence.voice,
                    "kinds": list(i.kinds),
                }
                for i in items
            ],
            "progress": [p.__dict__ for p in progress],
        }

    @app.post("/chapters/{n}/approve", dependencies=post)
    def approve_chapter(request: Request, n: int, editor: str = Form("")):
        name = " ".join(editor.split())[:80]
        if not name:
            return JSONResponse(
                {"ok": False, "message": "type your name to approve the chapter"}, status_code=422
            )
        if ctx.view.timeline(n) is None:
            raise HTTPException(404, f"chapter {n} is not rendered — render it first")
        approval = ctx.history.approve_chapter(n, name)
        ctx.store.log(None, "chapter-approved", f"chapter {n} by {name}")
        if request.headers.get("x-requested-with") != "fetch":
            return RedirectResponse("/queue", status_code=303)
        return {
            "ok": True,
            "message": f"chapter {n} approved by {name}",
            "chapter": n,
            "editor": name,
            "at": approval.at,
        }
