"""Chapter masters from paragraph blocks; after an edit only the changed paragraphs are redone.

A chapter is a row of blocks (one per paragraph, see :mod:`.stitch`). Mastering decides its
steps on the whole chapter and applies them block by block (:func:`.master.master_samples`),
and the decisions are kept as a :class:`Recipe`. While it is mastered the chapter lies in a
scratch file (:class:`.samples.ScratchSamples`): the process holds one block, not the chapter.
Each mastered block is stored under ``<block key>.<recipe tag>`` (:mod:`.block_store`); the
chapter FLAC is spliced from the blocks' frames by :mod:`.chapter_flac`. This module owns the
decision: replay or master afresh.

After an edit the previous recipe is replayed on the changed blocks only, the others come from
the store byte for byte, and the chapter is measured. The recipe is kept when the chapter still
passes its profile with the level inside the window's margin (so the editor's approved
paragraphs do not move by a fraction of a dB); otherwise the chapter is mastered afresh. A
clean render always masters afresh, so two clean renders give identical masters; an edited
chapter may differ from a clean render of the same text by that kept recipe (see
docs/ARCHITECTURE.md, "Incremental masters").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model import Chapter
from ..profiles import get_profile
from ..project import PauseSettings
from .block_store import MasteredBlock, load_meta, recipe_tag, save_block
from .io import Audio
from .master import MasterResult, check_profile, level_inside, master_chapter, master_samples
from .master_flac import quantize_master
from .measure import BlockStats, Measurements, combine_stats
from .recipe import Recipe, replay
from .samples import Samples, ScratchSamples
from .spliced import Spliced
from .stitch import (
    BlockPlan,
    SentenceTime,
    TakeResult,
    grid_for,
    place_blocks,
    plan_blocks,
    stitch_block,
    stitch_blocks,
)
from .store import Store


@dataclass(frozen=True)
class AssembledChapter:
    recipe: Recipe | None
    gain_db: float
    measurements: Measurements | None  # combined from the blocks' stats (see measure.BlockStats)
    violations: tuple[str, ...]
    notes: tuple[str, ...]
    timeline: tuple[SentenceTime, ...]
    blocks: tuple[MasteredBlock, ...]  # empty when the rate is not block-encoded (not 44.1 kHz)
    missing: tuple[str, ...]  # sentence ids without audio: nothing was assembled
    remastered: int  # blocks stitched and mastered in this call
    recipe_kept: bool  # the previous render's recipe was replayed
    sample_rate: int = 44100
    audio: Audio | None = None  # the master, only when not block-encoded

    @property
    def master_id(self) -> str:
        """Names the master's exact samples: its block ids in order (block-encoded chapters)."""
        return hashlib.sha256(" ".join(b.id for b in self.blocks).encode()).hexdigest()[:32]


def assemble_chapter(
    chapter: Chapter,
    results: Sequence[TakeResult],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    previous: Recipe | None = None,
    spliced: Spliced | None = None,
) -> AssembledChapter:
    """Stitch + master one chapter, reusing stored blocks mastered with ``previous`` when it holds;
    ``spliced``: the previous chapter FLAC, which holds the frames of blocks whose files are gone."""
    plans, missing = plan_blocks(chapter, results, pauses=pauses, sample_rate=sample_rate)
    if missing or not plans:
        return _nothing(missing or tuple(s.id for s in chapter.sentences))
    blockwise = streamed(sample_rate, profile)
    if blockwise and previous is not None and previous.profile == profile:
        kept = _replay_previous(
            plans,
            store,
            pauses=pauses,
            sample_rate=sample_rate,
            profile=profile,
            block_dir=block_dir,
            recipe=previous,
            spliced=spliced,
        )
        if kept is not None:
            return kept
    return _master_afresh(
        plans,
        store,
        pauses=pauses,
        sample_rate=sample_rate,
        profile=profile,
        block_dir=block_dir if blockwise else None,
    )


def streamed(sample_rate: int, profile: str) -> bool:
    """Chapters at this rate and profile are mastered from disk block by block and stored as blocks
    (else: resampled and mastered whole in memory, see _master_whole)."""
    return grid_for(sample_rate) > 1 and get_profile(profile).sample_rate == sample_rate


def _nothing(missing: tuple[str, ...]) -> AssembledChapter:
    return AssembledChapter(None, 0.0, None, (), (), (), (), missing, 0, False)


def _replay_previous(
    plans: Sequence[BlockPlan],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path,
    recipe: Recipe,
    spliced: Spliced | None,
) -> AssembledChapter | None:
    """The chapter from stored blocks + ``recipe`` replayed on new ones (no stored audio is read);
    None when it no longer passes the profile inside the level margin."""
    locals_, stats, redone = [], [], 0
    for plan in plans:
        got = load_meta(block_dir, plan.key, recipe_tag(recipe), spliced)
        if got is None:
            audio, local, lost = stitch_block(plan, store, pauses=pauses, sample_rate=sample_rate)
            if lost:
                return None  # a take vanished from the cache: the full path reports it
            mastered = quantize_master(replay(recipe, audio, sample_rate))
            got = (
                local,
                save_block(
                    block_dir, plan.key, recipe_tag(recipe), mastered, local=local, sample_rate=sample_rate
                ),
            )
            redone += 1
        locals_.append(got[0])
        stats.append(got[1])
    starts, timeline = place_blocks([st.n for st in stats], locals_, sample_rate)
    blocks = tuple(
        MasteredBlock(p.key, recipe_tag(recipe), a, st.n)
        for p, a, st in zip(plans, starts, stats, strict=True)
    )
    m = combine_stats(stats, sample_rate)
    if check_profile(m, profile) or not level_inside(m, profile):
        return None
    gain = sum(s.a for s in recipe.steps if s.op == "gain")
    note = f"kept the previous mastering recipe: {redone} of {len(plans)} block(s) re-mastered"
    return AssembledChapter(recipe, gain, m, (), (note,), timeline, blocks, (), redone, True, sample_rate)


def _master_afresh(
    plans: Sequence[BlockPlan],
    store: Store,
    *,
    pauses: PauseSettings,
    sample_rate: int,
    profile: str,
    block_dir: Path | None,
) -> AssembledChapter:
    if block_dir is None:
        return _master_whole(plans, store, pauses=pauses, sample_rate=sample_rate, profile=profile)
    with ScratchSamples(block_dir) as chapter:  # the chapter on disk (unnamed), one block in memory
        _, locals_, missing = stitch_blocks(
            plans, store, pauses=pauses, sample_rate=sample_rate, sink=chapter.append
        )
        if missing:
            return _nothing(missing)
        lengths = [sl.stop - sl.start for sl in chapter.slices]
        starts, timeline = place_blocks(lengths, locals_, sample_rate)
        result = master_samples(chapter, sample_rate, profile)
        assert result.recipe is not None  # master_samples always records its steps
        blocks, stats = _save_blocks(
            block_dir,
            chapter,
            plans=plans,
            starts=starts,
            locals_=locals_,
            tag=recipe_tag(result.recipe),
            sample_rate=sample_rate,
        )
    m = combine_stats(stats, sample_rate)
    return AssembledChapter(
        result.recipe,
        result.gain_db,
        m,
        check_profile(m, profile),
        result.notes,
        timeline,
        blocks,
        (),
        len(plans),
        False,
        sample_rate,
    )


def _master_whole(
    plans: Sequence[BlockPlan], store: Store, *, pauses: PauseSettings, sample_rate: int, profile: str
) -> AssembledChapter:
    """A chapter whose rate is not block-encoded (or not the profile's: resampled whole), mastered
    in memory and kept whole; nothing is stored."""
    pieces, locals_, missing = stitch_blocks(plans, store, pauses=pauses, sample_rate=sample_rate)
    if missing:
        return _nothing(missing)
    _, timeline = place_blocks([p.size for p in pieces], locals_, sample_rate)
    whole = _join_releasing(pieces)  # one copy of the chapter while it is mastered, not two
    result = master_chapter(whole, sample_rate, profile, in_place=True)
    del whole
    assert result.audio is not None  # master_chapter returns the array it mastered
    return _kept_whole(result, timeline, quantize_master(result.audio), len(plans))


def _kept_whole(
    result: MasterResult, timeline: tuple[SentenceTime, ...], x: Audio, remastered: int
) -> AssembledChapter:
    """A master held in memory whole (its rate is not block-encoded): nothing is stored."""
    return AssembledChapter(
        result.recipe,
        result.gain_db,
        result.measurements,
        result.violations,
        result.notes,
        timeline,
        (),
        (),
        remastered,
        False,
        result.sample_rate,
        x,
    )


def _save_blocks(
    block_dir: Path,
    chapter: Samples,
    *,
    plans: Sequence[BlockPlan],
    starts: Sequence[int],
    locals_: Sequence[Sequence[SentenceTime]],
    tag: str,
    sample_rate: int,
) -> tuple[tuple[MasteredBlock, ...], list[BlockStats]]:
    """The freshly mastered ``chapter`` cut at ``starts``, put on the 16-bit grid and stored block
    by block."""
    ends = (*starts[1:], chapter.size)
    blocks = tuple(MasteredBlock(p.key, tag, a, b - a) for p, a, b in zip(plans, starts, ends, strict=True))
    stats = [
        save_block(
            block_dir,
            b.key,
            b.recipe,
            quantize_master(chapter.read(b.start_sample, b.start_sample + b.length)),
            local=local,
            sample_rate=sample_rate,
        )
        for b, local in zip(blocks, locals_, strict=True)
    ]
    return blocks, stats


_NO_AUDIO: Audio = np.empty(0, np.float32)  # what a released piece is replaced with


def _join_releasing(pieces: list[Audio]) -> Audio:
    """np.concatenate(pieces), dropping each piece once copied: the joined array's pages become
    resident as they are filled while the pieces' go back, so the chapter is never held twice."""
    whole = np.empty(sum(p.size for p in pieces), np.float32)
    at = 0
    for i, piece in enumerate(pieces):
        whole[at : at + piece.size] = piece
        at += piece.size
        pieces[i] = _NO_AUDIO
    pieces.clear()
    return whole
