"""Waveform and loudness of a chapter for the page (lector.core.audio.waveform; drawn by wave.js).

GET /api/chapters/{n}/levels   the profile's limits, the per-second loudness curve and peaks, per
                               sentence: level, peak, waveform bars, what is outside the profile
                               and its QC / editor flags (``flags``); per paragraph the same figures
                               over its span (``paragraphs``)

Levels are measured once per chapter content and kept under build/ (cached_chapter_levels); the
flags are read fresh on each request, so a re-checked sentence shows its current state. The static
bundle (bundle.py) embeds the same JSON in each chapter page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

from lector.core.audio.waveform import cached_chapter_levels
from lector.core.build import BuildDir
from lector.core.errors import LectorError

from .data import BuildView


def levels_dir(build: BuildDir) -> Path:
    """Where measured levels are kept: beside the review state (the one place naming it)."""
    return build.review_state.parent / "levels"


def _profile(root: Path) -> str:
    from lector.core.project import load_project

    return str(load_project(root).config.output.profile)


def with_paragraphs(view: BuildView, n: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline's rows, each with its ``paragraph``: the paragraph block of master.json its
    start falls in (exactly what chapter.flac holds), else the plan's paragraph index."""
    doc = view.dir.read_master_doc(n)
    if doc is not None and doc.blocks:
        rate = doc.sample_rate
        bounds = [(b.start_sample, b.start_sample + b.length) for b in doc.blocks]

        def block_of(row: dict[str, Any]) -> int | None:
            at = round(float(row["start_s"]) * rate)
            return next((i for i, (a, z) in enumerate(bounds) if a <= at < z), None)

        return [{**r, "paragraph": block_of(r)} for r in rows]
    plan = view.plan_sentences()
    return [{**r, "paragraph": plan.get(str(r["id"]), {}).get("paragraph")} for r in rows]


def chapter_levels_json(view: BuildView, n: int, timeline: dict[str, Any]) -> dict[str, Any]:
    """The levels of chapter ``n`` with each sentence's current flags (LectorError when the chapter
    audio cannot be read)."""
    build = view.dir
    rows = with_paragraphs(view, n, list(timeline.get("sentences", [])))
    levels = cached_chapter_levels(build.chapter_flac(n), rows, _profile(view.root), levels_dir(build))
    flags = {
        s.id: list(s.flags) + (["editor: flagged"] if s.status == "flagged" else [])
        for s in view.sentences(n)
    }
    data = levels.to_json()
    for row in data["sentences"]:
        row["flags"] = flags.get(row["id"], [])
    return data


def register_waveform(app: FastAPI, ctx: Any) -> None:
    """Add the route; ``ctx`` is review.app.Ctx (root, view)."""

    @app.get("/api/chapters/{n}/levels", response_model=None)
    def chapter_levels(n: int) -> dict[str, Any] | JSONResponse:
        timeline = ctx.view.timeline(n)
        if timeline is None:
            raise HTTPException(404, f"chapter {n} is not rendered")
        try:
            return chapter_levels_json(ctx.view, n, timeline)
        except LectorError as exc:
            text = exc.message + (f" — {exc.fix}" if exc.fix else "")
            return JSONResponse({"ok": False, "message": text}, status_code=422)
