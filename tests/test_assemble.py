"""assemble_chapter: block-wise masters, the kept recipe after an edit, stored blocks."""

from __future__ import annotations

import numpy as np
import pytest

from lector.core.audio.assemble import assemble_chapter
from lector.core.audio.block_store import _BLOCKS, block_path, chapter_audio
from lector.core.audio.blockcodec import split_adts_frames, split_mp3_frames
from lector.core.audio.blockframes import drop_block_files, encode_chapter_blocks, encoded_path
from lector.core.audio.chapter_flac import splice_chapter_flac
from lector.core.audio.master import check_profile, master_chapter
from lector.core.audio.master_flac import quantize_master, read_master_flac, write_master_flac
from lector.core.audio.measure import measure
from lector.core.audio.recipe import replay
from lector.core.audio.stitch import GRID, stitch_chapter
from lector.core.cache import LocalStore
from lector.core.errors import AudioError
from lector.core.model import Chapter, Sentence, Span, Token
from lector.core.project import PauseSettings
from lector.core.render import RenderResult

PAUSES = PauseSettings()
SPLIT = {"mp3": split_mp3_frames, "aac": split_adts_frames}
SR = 24000


def _speech(seed: int, seconds: float, amp: float = 0.2) -> np.ndarray:
    """Syllable-like bursts of band-limited noise (so limiter and level decisions have work)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    env = (0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / SR)) ** 2
    return (amp * env * np.convolve(rng.standard_normal(n), np.ones(6) / 6, "same")).astype(np.float32)


def _book(tmp_path, amps: list[float]):
    store = LocalStore(tmp_path / "cache")
    sentences, results = [], []
    for i, amp in enumerate(amps):
        key = f"{i:02d}" + "cd" * 31
        audio = _speech(i, 1.0 + 0.1 * i, amp)
        store.write(key, audio, SR)
        span = Span(f"Line {i}.", f"line {i}.", "en", (Token("line", "lˈaɪn"),))
        sentences.append(
            Sentence(
                id=f"s{i}",
                text=f"Line {i}.",
                spans=(span,),
                lang="en",
                voice="narrator",
                seed=i,
                pause_after_ms=900 if i % 2 else 450,
                paragraph=i // 2,
            )
        )
        results.append(RenderResult(f"s{i}", key, "fake", "1", "tone-en", SR, audio.size / SR, True))
    return Chapter(1, "One", tuple(sentences)), results, store


def _audio(tmp_path, built) -> np.ndarray:
    return np.concatenate(chapter_audio(tmp_path / "blocks", built.blocks))


def _assemble(tmp_path, chapter, results, store, previous=None):
    return assemble_chapter(
        chapter,
        results,
        store,
        pauses=PAUSES,
        sample_rate=44100,
        profile="acx",
        block_dir=tmp_path / "blocks",
        previous=previous,
    )


def _edit(store, results, i: int, amp: float = 0.2):
    key = "ee" + "cd" * 31
    audio = _speech(99, 1.7, amp)
    store.write(key, audio, SR)
    results = list(results)
    results[i] = RenderResult(f"s{i}", key, "fake", "1", "tone-en", SR, audio.size / SR, True)
    return results


def test_fresh_master_is_the_stitched_chapter_mastered_block_by_block(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    built = _assemble(tmp_path, chapter, results, store)
    stitched = stitch_chapter(chapter, results, store, pauses=PAUSES)
    assert (built.remastered, built.recipe_kept, built.missing) == (3, False, ())
    assert [b.length for b in built.blocks] == [b.length for b in stitched.blocks]
    assert all(b.length % GRID == 0 for b in built.blocks)
    assert built.timeline == stitched.timeline
    assert check_profile(built.measurements, "acx") == ()
    whole = master_chapter(
        stitched.audio.copy(), 44100, "acx", bounds=[b.start_sample for b in stitched.blocks]
    )
    assert whole.recipe == built.recipe
    assert _audio(tmp_path, built).tobytes() == quantize_master(whole.audio).tobytes()
    for block, span in zip(built.blocks, stitched.blocks, strict=True):
        piece = stitched.audio[span.start_sample : span.start_sample + span.length]
        want = quantize_master(replay(built.recipe, piece, 44100))
        assert (
            read_master_flac(block_path(tmp_path / "blocks", block.key, block.recipe)).tobytes()
            == want.tobytes()
        )
    # measurements combined from the blocks agree with measuring the whole master
    m, whole_m = built.measurements, measure(quantize_master(whole.audio), 44100)
    assert (m.rms_dbfs, m.peak_dbfs, m.true_peak_dbfs, m.duration_s) == (
        whole_m.rms_dbfs,
        whole_m.peak_dbfs,
        whole_m.true_peak_dbfs,
        whole_m.duration_s,
    )
    assert abs(m.lufs_integrated - whole_m.lufs_integrated) < 0.05
    assert abs(m.noise_floor_dbfs - whole_m.noise_floor_dbfs) < 0.5
    assert (abs(m.head_s - whole_m.head_s), abs(m.tail_s - whole_m.tail_s)) < (0.011, 0.011)


def test_two_fresh_renders_are_identical(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    a = _assemble(tmp_path / "a", chapter, results, store)
    b = _assemble(tmp_path / "b", chapter, results, store)
    assert _audio(tmp_path / "a", a).tobytes() == _audio(tmp_path / "b", b).tobytes()
    assert a.recipe == b.recipe


def test_an_edit_remasters_one_block_and_keeps_the_others_byte_for_byte(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    first = _assemble(tmp_path, chapter, results, store)
    edited = _edit(store, results, 2)
    again = _assemble(tmp_path, chapter, edited, store, previous=first.recipe)
    assert (again.remastered, again.recipe_kept) == (1, True)
    assert again.recipe == first.recipe
    assert again.notes == ("kept the previous mastering recipe: 1 of 3 block(s) re-mastered",)
    assert check_profile(again.measurements, "acx") == ()
    before, after = _audio(tmp_path, first), _audio(tmp_path, again)
    for i in (0, 2):
        old, new = first.blocks[i], again.blocks[i]
        assert old.id == new.id
        assert (
            before[old.start_sample : old.start_sample + old.length].tobytes()
            == after[new.start_sample : new.start_sample + new.length].tobytes()
        )
    assert again.blocks[1].id != first.blocks[1].id
    assert again.timeline[2].sentence_id == "s2"


def test_an_edit_that_moves_the_level_out_of_the_window_masters_afresh(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    first = _assemble(tmp_path, chapter, results, store)
    loud = _edit(store, results, 2, amp=0.9)
    loud = list(loud)
    for i in (0, 1, 3, 4, 5):  # every take much louder: the old gain would overshoot
        key = f"{i:02d}" + "ef" * 31
        audio = _speech(i, 1.0 + 0.1 * i, 0.9)
        store.write(key, audio, SR)
        loud[i] = RenderResult(f"s{i}", key, "fake", "1", "tone-en", SR, audio.size / SR, True)
    again = _assemble(tmp_path, chapter, loud, store, previous=first.recipe)
    assert (again.recipe_kept, again.remastered) == (False, 3)
    assert again.recipe != first.recipe
    assert check_profile(again.measurements, "acx") == ()


def test_a_damaged_stored_block_is_reported_then_made_again(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    first = _assemble(tmp_path, chapter, results, store)
    want = _audio(tmp_path, first)
    _BLOCKS.items.clear()  # a fresh process: nothing in memory
    _BLOCKS.size = 0
    path = block_path(tmp_path / "blocks", first.blocks[0].key, first.blocks[0].recipe)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(AudioError, match="mastered block unreadable") as err:
        chapter_audio(tmp_path / "blocks", first.blocks)
    assert str(path) in str(err.value) and "run the render again" in str(err.value)
    again = _assemble(tmp_path, chapter, results, store, previous=first.recipe)
    assert (again.remastered, again.recipe_kept) == (1, True)
    assert _audio(tmp_path, again).tobytes() == want.tobytes()


def test_missing_take_assembles_nothing(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 4)
    failed = RenderResult("s1", "", "", "", "", 0, 0.0, False, "narrator", "all engines failed")
    built = _assemble(tmp_path, chapter, [results[0], failed, *results[2:]], store)
    assert built.missing == ("s1",)
    assert built.blocks == ()


def test_master_flac_holds_the_16_bit_values_exactly(tmp_path):
    x = quantize_master(np.linspace(-1.0, 1.0, 4801, dtype=np.float32))
    path = write_master_flac(tmp_path / "m.flac", x, 44100)
    assert read_master_flac(path).tobytes() == x.tobytes()


def test_block_frames_are_encoded_once_and_a_damaged_one_again(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    built = _assemble(tmp_path, chapter, results, store)
    blocks_dir = tmp_path / "blocks"
    for codec, kbps, frame in (("mp3", 192, 1152), ("aac", 64, 1024)):
        first, encoded = encode_chapter_blocks(blocks_dir, built.blocks, codec, kbps=kbps)
        assert encoded == 3
        assert [len(split) for split in map(SPLIT[codec], first)] == [b.length // frame for b in built.blocks]
        again, encoded = encode_chapter_blocks(blocks_dir, built.blocks, codec, kbps=kbps)
        assert (again, encoded) == (first, 0)
        # a cut file and a file one whole frame short are both encoded again and repaired
        cut, short = (encoded_path(blocks_dir, b, codec, kbps) for b in built.blocks[1:3])
        cut.write_bytes(cut.read_bytes()[:-700])
        short.write_bytes(b"".join(SPLIT[codec](short.read_bytes())[:-1]))
        repaired, encoded = encode_chapter_blocks(blocks_dir, built.blocks, codec, kbps=kbps)
        assert (repaired, encoded) == (first, 2)
    # another bitrate is another file; nothing half-written is left behind
    assert encode_chapter_blocks(blocks_dir, built.blocks[:1], "aac", kbps=96)[1] == 1
    names = [p.name for p in blocks_dir.rglob("*") if p.is_file()]
    assert not [n for n in names if n.startswith(".")]
    assert sum(n.endswith(".aac") for n in names) == 4
    with pytest.raises(AudioError, match="unknown block codec"):
        encode_chapter_blocks(blocks_dir, built.blocks, "ogg", kbps=64)


def test_chapter_flac_is_spliced_from_the_blocks_frames(tmp_path):
    chapter, results, store = _book(tmp_path, [0.2] * 6)
    first = _assemble(tmp_path, chapter, results, store)
    again = _assemble(tmp_path, chapter, _edit(store, results, 2), store, previous=first.recipe)
    blocks_dir = tmp_path / "blocks"
    for built, name in ((first, "a.flac"), (again, "b.flac")):
        path = tmp_path / name
        splice_chapter_flac(path, blocks_dir, built.blocks, 44100)
        assert read_master_flac(path).tobytes() == _audio(tmp_path, built).tobytes()
    # frames sidecar gone: the chapter is decoded and encoded instead, same samples
    block_path(blocks_dir, again.blocks[0].key, again.blocks[0].recipe).with_suffix(".frames.npz").unlink()
    path = tmp_path / "c.flac"
    splice_chapter_flac(path, blocks_dir, again.blocks, 44100)
    assert read_master_flac(path).tobytes() == _audio(tmp_path, again).tobytes()


def test_an_edit_is_spliced_from_the_last_chapter_flac_once_the_block_files_are_gone(tmp_path):
    ref = tmp_path / "ref"  # the same edit with every block's own FLAC kept
    chapter, results, store = _book(ref, [0.2] * 6)
    first = _assemble(ref, chapter, results, store)
    again = _assemble(ref, chapter, _edit(store, results, 2), store, previous=first.recipe)
    splice_chapter_flac(ref / "b.flac", ref / "blocks", again.blocks, 44100)
    want = (ref / "b.flac").read_bytes()

    chapter, results, store = _book(tmp_path, [0.2] * 6)
    first = _assemble(tmp_path, chapter, results, store)
    blocks_dir, flac = tmp_path / "blocks", tmp_path / "chapter.flac"
    spliced = splice_chapter_flac(flac, blocks_dir, first.blocks, 44100)
    assert spliced is not None and drop_block_files(blocks_dir, first.blocks, "flac") > 0
    _BLOCKS.items.clear()  # a fresh process: nothing in memory
    _BLOCKS.size = 0
    again = assemble_chapter(
        chapter,
        _edit(store, results, 2),
        store,
        pauses=PAUSES,
        sample_rate=44100,
        profile="acx",
        block_dir=blocks_dir,
        previous=first.recipe,
        spliced=spliced,
    )
    assert (again.remastered, again.recipe_kept) == (1, True)
    # block 0 stays at frame 0, block 2 moves: its frames are renumbered as they are copied
    assert again.blocks[2].start_sample != first.blocks[2].start_sample
    now = splice_chapter_flac(flac, blocks_dir, again.blocks, 44100, previous=spliced)
    assert flac.read_bytes() == want
    assert now is not None and [now.spans[b.id].start_sample for b in again.blocks] == [
        b.start_sample for b in again.blocks
    ]
    # with every block file gone, a block's samples are read from the chapter FLAC
    drop_block_files(blocks_dir, again.blocks, "flac")
    _BLOCKS.items.clear()
    _BLOCKS.size = 0
    assert np.concatenate(chapter_audio(blocks_dir, again.blocks, now)).tobytes() == (
        read_master_flac(flac).tobytes()
    )
    _BLOCKS.items.clear()
    _BLOCKS.size = 0
    with pytest.raises(AudioError, match="mastered block unreadable"):
        chapter_audio(blocks_dir, again.blocks)  # nothing holds them without the chapter FLAC
