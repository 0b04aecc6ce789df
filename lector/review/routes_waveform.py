"""Waveform and loudness of a chapter for the page (lector.core.audio.waveform; drawn by wave.js).

GET /api/chapters/{n}/levels   the profile's limits, the per-second loudness curve and peaks, and
                               per sentence: level, peak, waveform bars, what is outside the
                               profile and its QC / editor flags (``flags``)

Levels are measured once per chapter content and kept under build/ (cached_chapter_levels); the
flags are read fresh on each request, so a re-checked sentence shows its current state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

from lector.core.audio.waveform import cached_chapter_levels
from lector.core.build import BuildDir
from lector.core.errors import LectorError


def levels_dir(build: BuildDir) -> Path:
    """Where measured levels are kept: beside the review state (the one place naming it)."""
    return build.review_state.parent / "levels"


def _profile(ctx: Any) -> str:
    from lector.core.project import load_project

    return str(load_project(ctx.root).config.output.profile)


def register_waveform(app: FastAPI, ctx: Any) -> None:
    """Add the route; ``ctx`` is review.app.Ctx (root, view)."""

    @app.get("/api/chapters/{n}/levels", response_model=None)
    def chapter_levels(n: int) -> dict[str, Any] | JSONResponse:
        timeline = ctx.view.timeline(n)
        if timeline is None:
            raise HTTPException(404, f"chapter {n} is not rendered")
        build = BuildDir(ctx.root / "build")
        rows = timeline.get("sentences", [])
        try:
            levels = cached_chapter_levels(build.chapter_flac(n), rows, _profile(ctx), levels_dir(build))
        except LectorError as exc:
            text = exc.message + (f" — {exc.fix}" if exc.fix else "")
            return JSONResponse({"ok": False, "message": text}, status_code=422)
        flags = {
            s.id: list(s.flags) + (["editor: flagged"] if s.status == "flagged" else [])
            for s in ctx.view.sentences(n)
        }
        data = levels.to_json()
        for row in data["sentences"]:
            row["flags"] = flags.get(row["id"], [])
        return data
