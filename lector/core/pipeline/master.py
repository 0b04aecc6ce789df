"""A chapter's master: stitch + master to the project's profile, paragraph block by block.

``master_chapter`` writes ``chapters/NN/timeline.json`` and ``master.json`` (the recipe, the
mastered blocks, the measurements and ``master_id``, which names the master's exact samples).
Everything after it (chapter.flac, the exports, the AAC) is keyed by ``master_id``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace

from lector.core.audio.assemble import AssembledChapter, assemble_chapter, streamed
from lector.core.audio.block_store import block_path
from lector.core.audio.master_flac import write_master_flac
from lector.core.audio.stitch import STITCH_VERSION, BlockPlan, plan_blocks
from lector.core.build import BuildDir, MasterDoc, Timeline
from lector.core.cache import Store
from lector.core.errors import AudioError
from lector.core.hashing import file_digest
from lector.core.membudget import (
    MASTER_BUDGET,
    STREAM_BLOCK_COPIES,
    STREAM_BUFFER_BYTES,
    MemoryBudget,
    audio_bytes,
)
from lector.core.memtune import trim_heap
from lector.core.model import Chapter
from lector.core.project import Project
from lector.core.render import RenderReport, RenderResult, describe_failures

from ._build import ChapterOutput
from .stamps import spliced_file, stamp_output, up_to_date

progress = logging.getLogger("lector.progress")
_MASTER_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))  # chapters mastered at once


def mastering_slot() -> threading.BoundedSemaphore:
    """One per core. (Reached through a function: Dask pickles a task's function by value, and a
    lock in its globals cannot be pickled.)"""
    return _MASTER_SLOTS


def mastering_budget() -> MemoryBudget:
    """The process's memory budget for chapters being mastered (lector.core.membudget)."""
    return MASTER_BUDGET


def master_chapter(
    project: Project, chapter: Chapter, reports: list[RenderReport], store: Store
) -> ChapterOutput:
    """assemble_chapter(), reusing the blocks and the recipe of the last render (master.json) where
    they still hold. Writes timeline.json and master.json; kept as is when no block changed."""
    bd = BuildDir.of(project)
    results = [r for rep in reports for r in rep.results]
    plans, _ = plan_blocks(
        chapter, results, pauses=project.config.pauses, sample_rate=project.config.output.sample_rate
    )
    doc_path = bd.master_doc_path(chapter.index)
    identity = {
        "blocks": [p.key for p in plans],
        "profile": project.config.output.profile,
        "index": chapter.index,
        "title": chapter.title,
        "version": STITCH_VERSION,
    }
    kept = bd.read_master_doc(chapter.index) if bd.timeline_path(chapter.index).is_file() else None
    if (
        kept is not None
        and kept.output is not None
        and up_to_date(bd, chapter.index, "master", doc_path, identity)
        and _blocks_held(bd, chapter.index, kept)
    ):
        progress.info(
            "chapter %d unchanged: master kept",
            chapter.index,
            extra={"lector": {"event": "chapter", "chapter": chapter.index, "duration_s": None}},
        )
        return replace(kept.output, files=())
    built = _assemble(project, chapter, results, store, bd, need=held_bytes(project, plans, results))
    output = _write_master(project, chapter, results, built, bd)
    stamp_output(bd, chapter.index, "master", doc_path, identity)
    _log_mastered(chapter, built, project.config.output.profile)
    return output


def _blocks_held(bd: BuildDir, index: int, doc: MasterDoc) -> bool:
    """Every block of the master is in its own file or in chapter.flac (else the master step
    makes the missing ones again, from the takes and the kept recipe)."""
    if not doc.blocks:
        return True
    flac = spliced_file(bd, index, "flac", bd.chapter_flac(index))
    return all(
        (flac is not None and b.id in flac) or block_path(bd.blocks_dir, b.key, b.recipe).is_file()
        for b in doc.blocks
    )


def held_bytes(project: Project, plans: Sequence[BlockPlan], results: Sequence[RenderResult]) -> int:
    """Memory a fresh master of the chapter holds: a few copies of its largest block plus fixed
    buffers when it is streamed from disk (assemble.streamed), else a copy of the whole chapter."""
    out = project.config.output
    seconds = {r.sentence_id: r.duration_s for r in results if r.ok}
    blocks_s = [sum(seconds.get(s.id, 0.0) for s, _ in p.sentences) for p in plans]
    if streamed(out.sample_rate, out.profile):
        largest = audio_bytes(max(blocks_s, default=0.0) * 1.2, out.sample_rate)
        return largest * STREAM_BLOCK_COPIES + STREAM_BUFFER_BYTES
    return audio_bytes(sum(blocks_s) * 1.2, out.sample_rate)  # + pauses


def _assemble(
    project: Project, chapter: Chapter, results: list[RenderResult], store: Store, bd: BuildDir, *, need: int
) -> AssembledChapter:
    sample_rate = project.config.output.sample_rate
    previous = bd.read_master_doc(chapter.index)
    with mastering_slot(), mastering_budget().hold(need):
        built = assemble_chapter(
            chapter,
            results,
            store,
            pauses=project.config.pauses,
            sample_rate=sample_rate,
            profile=project.config.output.profile,
            block_dir=bd.blocks_dir,
            previous=previous.recipe if previous else None,
            spliced=spliced_file(bd, chapter.index, "flac", bd.chapter_flac(chapter.index)),
        )
    trim_heap()  # the chapter's buffers are freed: their pages back to the system before the next one
    if built.missing:
        raise AudioError(
            f"chapter {chapter.index}: no audio for sentences {', '.join(built.missing)}:\n"
            + describe_failures(results, chapter.sentences),
            field="render",
            fix="fix the sentence or cast a voice that can speak it, then re-run `lector render`",
        )
    return built


def _write_master(
    project: Project,
    chapter: Chapter,
    results: list[RenderResult],
    built: AssembledChapter,
    bd: BuildDir,
) -> ChapterOutput:
    """timeline.json, chapter.flac when the master is not block-encoded, and master.json."""
    m = built.measurements
    assert m is not None, "a chapter with audio for every sentence is measured"
    bd.write_timeline(Timeline.of(chapter, built.timeline, built.sample_rate, results, m.duration_s))
    master_id = built.master_id
    if built.audio is not None:  # not block-encoded: the master is written here
        flac = write_master_flac(bd.chapter_flac(chapter.index), built.audio, built.sample_rate)
        master_id = file_digest(flac)[:32]
    output = ChapterOutput(
        index=chapter.index,
        title=chapter.title,
        duration_s=round(m.duration_s, 3),
        profile=project.config.output.profile,
        gain_db=round(built.gain_db, 3),
        measurements=tuple((k, round(float(v), 3)) for k, v in vars(m).items()),
        violations=tuple(built.violations),
        files=(),
        master_id=master_id,
        recipe_kept=built.recipe_kept,
    )
    bd.write_master_doc(chapter.index, MasterDoc.of(built, master_id, output))
    return output


def _log_mastered(chapter: Chapter, built: AssembledChapter, profile: str) -> None:
    m = built.measurements
    assert m is not None
    progress.info(
        "chapter %d mastered: %.1f s, %s (%d of %d blocks mastered%s)",
        chapter.index,
        m.duration_s,
        "inside " + profile if not built.violations else "FLAGGED: " + "; ".join(built.violations),
        built.remastered,
        max(len(built.blocks), 1),
        ", recipe kept" if built.recipe_kept else "",
        extra={"lector": {"event": "chapter", "chapter": chapter.index, "duration_s": m.duration_s}},
    )


def load_master(bd: BuildDir, chapter_index: int) -> MasterDoc:
    """The chapter's master.json; an AudioError before the master step ran."""
    doc = bd.read_master_doc(chapter_index)
    if doc is None:
        raise AudioError(
            f"chapter {chapter_index} has no master yet",
            file=bd.master_doc_path(chapter_index),
            fix="run `lector render` (the master step writes it)",
        )
    return doc
