"""Pronunciation from the page: pick a word of a sentence, set its IPA (English) or pinyin
(Chinese); it goes into the project's lexicon.tsv and every sentence that reads it is marked
changed, so the next preview or "Re-render flagged & changed" speaks it the new way.

GET  /api/sentences/{sid}/words          the sentence's words and how the plan reads them now
POST /sentences/{sid}/pronunciation      word, pronunciation[, context] -> lexicon.tsv (validated)

A refused entry is a 422 whose message says why and what to write instead (lexicon.py's own
validation, as `lector plan` applies it); nothing is written then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from lector.core.errors import LexiconError
from lector.core.lock import project_lock
from lector.core.text.lexicon import Entry, lang_of
from lector.core.text.lexicon_edit import check_entry, entry_matches, write_entry

from .actions import Outcome
from .security import csrf_protect

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

    @app.post("/sentences/{sid}/pronunciation", dependencies=post)
    def pronunciation(
        request: Request,
        sid: str,
        word: str = Form(""),
        pronunciation: str = Form(""),
        context: str = Form(""),
    ) -> Response:
        _chapter, sentence = plan_sentence(sid)
        try:
            entry = check_entry(word, pronunciation, context)
        except LexiconError as exc:
            return _refused(exc.message + (f" — {exc.fix}" if exc.fix else ""))
        if not any(entry_matches(entry, lang, spoken) for lang, spoken in _runs(sentence)):
            return _refused(
                f"{entry.grapheme!r} is not read in this sentence — pick a word of this sentence "
                "(click it, or select it in the text)"
            )
        with project_lock(ctx.root / "build", "review pronunciation", wait_s=LOCK_WAIT_S, on_wait=None):
            old = write_entry(ctx.root, entry)
        affected = affected_sentences(ctx.view.plan(), entry)
        what = f"{entry.grapheme} → {entry.pron}"
        for a in affected:
            ctx.store.set_pending(a.id, a.chapter, True, "lexicon", what)
        was = old.split("\t")[1].strip() if old else ""
        ctx.store.log(sid, "pronunciation", what + (f" (was {was})" if was else ""))
        typed = " ".join(pronunciation.split())
        message = (
            f"lexicon.tsv: {what}"
            + (f" (written as {entry.pron!r})" if entry.pron != typed else "")
            + (" — replaces the earlier entry" if old else "")
            + f"; {len(affected)} sentence(s) marked changed: press Preview edit to hear it"
        )
        row: Response = ctx.reply(request, sid, Outcome(True, message))
        if not isinstance(row, JSONResponse):  # a plain form post: back to the chapter
            return row
        return JSONResponse(
            {
                "ok": True,
                "message": message,
                "entry": {"word": entry.grapheme, "pronunciation": entry.pron, "context": entry.context},
                "affected": [a.__dict__ for a in affected],
                "html": json.loads(bytes(row.body))["html"],
            }
        )


def _refused(message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": message, "affected": []}, status_code=422)
