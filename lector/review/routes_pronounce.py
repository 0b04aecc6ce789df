"""Pronunciation from the page: pick a word of a sentence, set its IPA (English) or pinyin
(Chinese); it goes into the project's lexicon.tsv and every sentence that reads it is marked
changed, so the next preview or "Re-render flagged & changed" speaks it the new way.

GET  /api/sentences/{sid}/words          the sentence's words and how the plan reads them now
POST /sentences/{sid}/pronunciation/hear word, pronunciation: the word alone read that way (nothing saved)
POST /sentences/{sid}/pronunciation      word, pronunciation[, context][, scope] (validated) into
     scope=sentence: overrides.json, this sentence only · book (default): the project's lexicon.tsv ·
     shared: $LECTOR_LEXICONS (refused when unset: the installed package is never written)

A refused entry is a 422 whose message says why and what to write instead (lexicon.py's own
validation, as `lector plan` applies it); nothing is written then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from lector.core.errors import LectorError, LexiconError, ProjectBusy
from lector.core.lock import project_lock
from lector.core.overrides import load_overrides, save_overrides
from lector.core.text.lexicon import Entry, lang_of, load_project_lexicon
from lector.core.text.lexicon_edit import check_entry, entry_matches, shared_tsv, write_entry, write_tsv_entry

from .actions import Outcome
from .queue import PRONOUNCE_ACTION
from .security import csrf_protect
from .worker_records import PreviewBusy, PreviewError, short

LOCK_WAIT_S = 2.0  # as the other edits: then 409, nothing written


@dataclass(frozen=True)
class Affected:
    chapter: int
    id: str
    text: str


def _runs(sentence: dict[str, Any]) -> list[tuple[str, str]]:
    """(lang, spoken text) of each language run of a plan sentence."""
    spans = sentence.get("spans") or []
    if spans:
        return [(str(s.get("lang", "")), str(s.get("spoken") or s.get("text", ""))) for s in spans]
    text = str(sentence.get("spoken") or sentence.get("text", ""))
    return [(str(sentence.get("lang") or lang_of(text)), text)]


def affected_sentences(plan: dict[str, Any], entry: Entry) -> list[Affected]:
    """Every sentence of the plan that reads ``entry`` somewhere, in book order."""
    return [
        Affected(int(ch["index"]), str(s["id"]), str(s.get("text", "")))
        for ch in plan.get("chapters", [])
        for s in ch.get("sentences", [])
        if any(entry_matches(entry, lang, spoken) for lang, spoken in _runs(s))
    ]


def sentence_words(sentence: dict[str, Any]) -> list[dict[str, str]]:
    """The sentence's words (zh: characters) with their current reading and where it came from."""
    words = []
    for span in sentence.get("spans") or []:
        for t in span.get("tokens") or []:
            if t.get("pron"):
                words.append(
                    {
                        "text": t["text"],
                        "pron": t["pron"],
                        "origin": t.get("origin", ""),
                        "lang": span["lang"],
                    }
                )
    return words


def register_pronounce(app: FastAPI, ctx: Any) -> None:
    """Add the routes; ``ctx`` is review.app.Ctx (root, store, view, templates, reply)."""
    post = [Depends(csrf_protect)]

    def plan_sentence(sid: str) -> tuple[int, dict[str, Any]]:
        found = ctx.view.find_sentence(sid)
        if found is None:
            raise HTTPException(404, "no such sentence in the rendered book — reload the page")
        return found[0], ctx.view.plan_sentences().get(sid) or found[1]

    @app.get("/api/sentences/{sid}/words")
    def words(sid: str) -> dict[str, Any]:
        chapter, sentence = plan_sentence(sid)
        return {"id": sid, "chapter": chapter, "words": sentence_words(sentence)}

    @app.post("/sentences/{sid}/pronunciation/hear", dependencies=post)
    async def hear(sid: str, word: str = Form(""), pronunciation: str = Form("")) -> Response:
        chapter, sentence = plan_sentence(sid)
        try:
            entry = checked(sentence, word, pronunciation)
        except ScopeRefused as exc:
            return _refused(str(exc))
        return await hear_word(ctx, sid, chapter, entry, str(sentence.get("voice") or ""))

    @app.post("/sentences/{sid}/pronunciation", dependencies=post)
    def pronunciation(
        request: Request,
        sid: str,
        *,
        word: str = Form(""),
        pronunciation: str = Form(""),
        context: str = Form(""),
        scope: str = Form("book"),
    ) -> Response:
        chapter, sentence = plan_sentence(sid)
        if scope not in SCOPES:
            return _refused(f"unknown scope {scope!r} — use one of: {', '.join(SCOPES)}")
        try:
            entry = checked(sentence, word, pronunciation, context)
            here = Affected(chapter, sid, str(sentence.get("text", "")))
            saved = SCOPES[scope](ctx, here, entry)
        except ScopeRefused as exc:
            return _refused(str(exc))
        what = f"{entry.grapheme} → {entry.pron}"
        for a in saved.affected:
            ctx.store.set_pending(a.id, a.chapter, True, PENDING_ACTION, what)
        was = saved.old.split("\t")[1].strip() if saved.old else ""
        ctx.store.log(sid, "pronunciation", f"{what} ({scope})" + (f" (was {was})" if was else ""))
        typed = " ".join(pronunciation.split())
        message = (
            f"{saved.where}: {what}"
            + (f" (written as {entry.pron!r})" if entry.pron != typed else "")
            + (" — replaces the earlier entry" if saved.old else "")
            + saved.note
            + f"; {len(saved.affected)} sentence(s) marked changed: press Preview edit to hear it"
        )
        row: Response = ctx.reply(request, sid, Outcome(True, message))
        if not isinstance(row, JSONResponse):  # a plain form post: back to the chapter
            return row
        return JSONResponse(
            {
                "ok": True,
                "message": message,
                "scope": scope,
                "entry": {"word": entry.grapheme, "pronunciation": entry.pron, "context": entry.context},
                "affected": [a.__dict__ for a in saved.affected],
                "html": json.loads(bytes(row.body))["html"],
            }
        )


class ScopeRefused(Exception):
    """The entry cannot be saved in the scope asked for; the message says why and what to do."""


def checked(sentence: dict[str, Any], word: str, pronunciation: str, context: str = "") -> Entry:
    """The entry, validated as `lector plan` reads lexicons, for a word this sentence reads."""
    try:
        entry = check_entry(word, pronunciation, context)
    except LexiconError as exc:
        raise ScopeRefused(exc.message + (f" — {exc.fix}" if exc.fix else "")) from None
    if not any(entry_matches(entry, lang, spoken) for lang, spoken in _runs(sentence)):
        raise ScopeRefused(
            f"{entry.grapheme!r} is not read in this sentence — pick a word of this sentence "
            "(click it, or select it in the text)"
        )
    return entry


async def hear_word(ctx: Any, sid: str, chapter: int, entry: Entry, voice: str = "") -> Response:
    """The word alone read the new way, through the preview worker, by the cast voice of the word's
    language (preview_worker.word_voice: an English word in a Chinese sentence is read by the
    English voice, as a mixed-language render reads it); nothing of the book is written."""
    service = getattr(ctx, "previews", None)
    if service is None:
        return _refused("hearing a word needs the app's preview worker — restart `lector review`")
    timeline = ctx.view.timeline(chapter) or {}
    try:
        made = await run_in_threadpool(
            service.hear_word, sid, chapter, timeline, word=entry.grapheme, lang=entry.lang, pron=entry.pron
        )
    except (PreviewError, LectorError, OSError) as exc:
        status = 409 if isinstance(exc, (ProjectBusy, PreviewBusy)) else 422
        return JSONResponse({"ok": False, "message": short(exc), "affected": []}, status_code=status)
    return JSONResponse(
        {
            "ok": True,
            "message": f"{entry.grapheme} read {entry.pron}"
            + (f" by the {made.voice} voice" if voice and made.voice != voice else "")
            + " — not saved yet",
            "url": f"/audio/takes/{made.cache_key}",
            "voice": made.voice,
        }
    )


@dataclass(frozen=True)
class Saved:
    where: str  # the file written, as the editor reads it
    old: str | None  # the TSV line (or "word\tpron") it replaced
    affected: list[Affected]
    note: str = ""


def save_for_book(ctx: Any, here: Affected, entry: Entry) -> Saved:
    """The project's lexicon.tsv: every sentence of this book."""
    with project_lock(ctx.root / "build", "review pronunciation", wait_s=LOCK_WAIT_S, on_wait=None):
        old = write_entry(ctx.root, entry)
    return Saved("lexicon.tsv", old, affected_sentences(ctx.view.plan(), entry))


def save_for_sentence(ctx: Any, here: Affected, entry: Entry) -> Saved:
    """overrides.json: this sentence only (the planner reads it over every lexicon)."""
    if entry.context:
        raise ScopeRefused(
            "a context word applies to lexicon entries — for this sentence only, leave the context empty"
        )
    with project_lock(ctx.root / "build", "review pronunciation", wait_s=LOCK_WAIT_S, on_wait=None):
        ov = load_overrides(ctx.root)
        before = ov.pronunciations.get(here.id, {}).get(entry.grapheme)
        save_overrides(ctx.root, ov.with_pronunciation(here.id, entry.grapheme, entry.pron))
    old = f"{entry.grapheme}\t{before}" if before else None
    return Saved("overrides.json (this sentence only)", old, [here])


def save_for_shared(ctx: Any, here: Affected, entry: Entry) -> Saved:
    """The shared base lexicons in $LECTOR_LEXICONS (never the installed package's own folder)."""
    folder = os.environ.get("LECTOR_LEXICONS", "")
    if not folder:
        raise ScopeRefused(
            "the shared lexicon is the installed package's own folder, which the app does not edit — "
            "set LECTOR_LEXICONS to a shared lexicons folder (copy lector/core/lexicons there) and "
            "restart `lector review`, or save it for this book"
        )
    directory = Path(folder)
    if not directory.is_dir():
        raise ScopeRefused(f"LECTOR_LEXICONS={folder} is not a folder — create it or fix the variable")
    with project_lock(directory, "review shared lexicon", wait_s=LOCK_WAIT_S, on_wait=None):
        path = shared_tsv(directory, entry)
        old = write_tsv_entry(path, entry)
    mine = load_project_lexicon(ctx.root).lookup(entry.grapheme)
    note = (
        f" — but this book's own lexicon reads {mine.grapheme} as {mine.pron or mine.alias} and wins: "
        "save it for this book too to hear the shared reading here"
        if mine is not None and (mine.pron or mine.alias) != entry.pron
        else ""
    )
    return Saved(f"shared lexicon {path}", old, affected_sentences(ctx.view.plan(), entry), note)


PENDING_ACTION = PRONOUNCE_ACTION  # the queue lists these sentences as "pronunciation changed"
SCOPES: dict[str, Callable[[Any, Affected, Entry], Saved]] = {
    "sentence": save_for_sentence,
    "book": save_for_book,
    "shared": save_for_shared,
}


def _refused(message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message, "affected": []}, status_code=422)
