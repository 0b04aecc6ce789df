"""The book's M4B: every mastered chapter's AAC muxed into one file with chapter marks and tags."""

from __future__ import annotations

import logging

from lector.core.audio.cover import project_cover
from lector.core.audio.export import mux_m4b
from lector.core.audio.tags import TrackTags
from lector.core.ingest.metadata import book_metadata
from lector.core.model import Plan
from lector.core.project import Project

from ._build import BuildDir, ChapterOutput, chapter_from_dict, read_manifest, slugify
from .exports import chapter_aac, wants_aac

progress = logging.getLogger("lector.progress")


def export_book(project: Project, plan: Plan, outputs: list[ChapterOutput]) -> tuple[str, ...]:
    """Every mastered chapter's AAC (chapter_aac, encoded once per master) in one .m4b, not
    re-encoded, with chapter marks, title, author and cover; returns its path relative to build/."""
    if not wants_aac(project) or not outputs:
        return ()
    bd = BuildDir.of(project)
    chapters = [(o.title, chapter_aac(project, o.index)) for o in outputs]
    out = bd.master_file(slugify(plan.title, project.name), "m4b")
    meta, cover = book_metadata(project), project_cover(project)
    for note in meta.notes + (cover.warnings if cover is not None else ("no cover: add cover.jpg",)):
        progress.warning("book tags: %s", note, extra={"lector": {"event": "summary"}})
    mux_m4b(
        chapters, out, title=meta.title, author=meta.author, tags=TrackTags(meta, meta.title, cover=cover)
    )
    for done in bd.aac_dir.glob("*.aac"):  # the M4B holds them; remade from the blocks' AAC frames
        done.unlink(missing_ok=True)
    progress.info("book: %s (%d chapters)", out, len(chapters))
    return (bd.rel(out),)


def previous_book_files(project: Project) -> tuple[str, ...]:
    """The last manifest's M4B (still on disk): a run that mastered no chapter keeps it."""
    previous = read_manifest(project.build_dir) or {}
    return tuple(
        f["path"]
        for f in previous.get("files", [])
        if f["path"].endswith(".m4b") and (project.build_dir / f["path"]).is_file()
    )


def merge_previous(project: Project, plan: Plan, done: dict[int, ChapterOutput]) -> list[ChapterOutput]:
    """This run's chapters plus, for the others, the last manifest's entries (when still present)."""
    previous = read_manifest(project.build_dir) or {}
    by_index = dict(done)
    for entry in previous.get("chapters", []):
        idx = entry["index"]
        if idx in by_index or not all((project.build_dir / f).is_file() for f in entry["files"]):
            continue
        by_index[idx] = chapter_from_dict(entry)
    plan_indexes = {ch.index for ch in plan.chapters}
    return [by_index[i] for i in sorted(by_index) if i in plan_indexes]
