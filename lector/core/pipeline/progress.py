"""The render's progress lines on the ``lector.progress`` logger (the CLI's progress bar reads the
``lector`` extra of each record; inside a Prefect run lector.flows forwards them to the run log)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lector.core.model import Chapter
from lector.core.render import RenderReport

from .synth import Batch

PROGRESS_LOGGER = "lector.progress"
TITLE_CHARS = 60
progress = logging.getLogger(PROGRESS_LOGGER)


def chapter_label(index: int, title: str) -> str:
    """``ch03 The Red-Headed League`` (a long title is cut at TITLE_CHARS)."""
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    return f"ch{index:02d} {title}".rstrip()


def announce(
    chapters: Sequence[Chapter],
    chapter_batches: dict[int, list[Batch]],
    probed: dict[int, list[RenderReport | None]],
) -> None:
    """The run's size for the CLI's progress bar: chapters, sentences, and how many are already in
    the render cache (their batches need no synthesis)."""
    total = sum(len(b) for bs in chapter_batches.values() for b in bs)
    cached = sum(
        len(b)
        for i, bs in chapter_batches.items()
        for b, hit in zip(bs, probed.get(i) or [None] * len(bs), strict=True)
        if hit is not None
    )
    event = {
        "event": "start",
        "sentences": total,
        "cached": cached,
        "chapters": {ch.index: [ch.title, len(ch.sentences)] for ch in chapters},
    }
    progress.info(
        "rendering %d chapter(s): %d sentences, %d already in the render cache",
        len(chapters),
        total,
        cached,
        extra={"lector": event},
    )


def log_rendered(chapter: Chapter, reports: list[RenderReport], done: int, total: int) -> None:
    """One line when a chapter's synthesis is complete: its engines, cache hits, the book's progress."""
    engines: dict[str, int] = {}
    for rep in reports:
        for r in rep.results:
            if r.ok:
                engines[r.engine_id] = engines.get(r.engine_id, 0) + 1
    spoken = ", ".join(f"{e} {n}" for e, n in sorted(engines.items())) or "no engine"
    progress.info(
        "%s: %d sentences rendered (%s; synthesized %d, cached %d) — book %d/%d sentences",
        chapter_label(chapter.index, chapter.title),
        sum(len(r.results) for r in reports),
        spoken,
        sum(r.synthesized for r in reports),
        sum(r.cached for r in reports),
        done,
        total,
    )
