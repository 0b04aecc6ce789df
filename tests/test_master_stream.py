"""Mastering streamed from disk: the same master as in memory, holding a few blocks, not the chapter."""

from __future__ import annotations

import tracemalloc
from functools import cache

import numpy as np
import pytest

from bench.speech import speech_like
from lector.core.audio.master import master_chapter, master_samples
from lector.core.audio.measure import measure
from lector.core.audio.recipe import replay
from lector.core.audio.samples import ArraySamples, ScratchSamples
from lector.core.errors import AudioError

SR = 44100


@cache
def _base(k: int) -> np.ndarray:
    return speech_like(12.0 + k * 0.37, SR, seed=k, level_dbfs=-27.0)


def _block(i: int) -> np.ndarray:
    """A paragraph block: 12-13.5 s of speech-like audio at -30..-24 dBFS, each one different."""
    return (np.roll(_base(i % 5), i * 997) * np.float32(10 ** ((i % 7 - 3) / 20))).astype(np.float32)


def _punchy(seconds: float, seed: int) -> np.ndarray:
    """Quiet speech under loud clicks: a crest factor only the compressor brings into acx."""
    rng = np.random.default_rng(seed)
    x = speech_like(seconds, SR, seed=seed, level_dbfs=-40.0)
    for p in rng.integers(0, x.size - 400, 6):
        x[p : p + 300] += rng.normal(0.0, 0.9, 300).astype(np.float32)
    return np.clip(x, -1.0, 1.0)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_streamed_master_holds_a_few_blocks_and_equals_the_in_memory_master(tmp_path):
    n_blocks = 40  # 8.5 minutes: 90 MB of float32
    for k in range(5):
        _base(k)
    tracemalloc.start()
    with ScratchSamples(tmp_path) as chapter:
        for i in range(n_blocks):
            chapter.append(_block(i))
        streamed = master_samples(chapter, SR, "acx")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        whole = np.concatenate([_block(i) for i in range(n_blocks)])
        starts = [sl.start for sl in chapter.slices]
        ref = master_chapter(whole, SR, "acx", bounds=starts)
        assert ref.audio is not None and streamed.audio is None
        assert all(_same(chapter.block(i), ref.audio[sl]) for i, sl in enumerate(chapter.slices))
        assert measure(chapter, SR) == ref.measurements == streamed.measurements
    largest = max(sl.stop - sl.start for sl in chapter.slices) * 4
    assert chapter.size * 4 == 89_893_440
    assert largest == 2_377_872
    assert peak < 5 * largest  # a few blocks (the block, limiter and measuring temporaries), far below
    assert peak < chapter.size * 4 // 8  # the chapter's float32 size
    assert streamed.recipe == ref.recipe and streamed.gain_db == ref.gain_db
    assert streamed.violations == ref.violations == ()
    assert [s.op for s in streamed.recipe.steps][:2] == ["gain", "limit"]


def test_streamed_compression_equals_the_in_memory_one_and_replays_per_block(tmp_path):
    blocks = [_punchy(7.0 + i * 0.5, seed=i) for i in range(6)]
    with ScratchSamples(tmp_path) as chapter:
        for b in blocks:
            chapter.append(b)
        streamed = master_samples(chapter, SR, "acx")
        ref = master_chapter(np.concatenate(blocks), SR, "acx", bounds=[sl.start for sl in chapter.slices])
        assert ref.audio is not None and streamed.recipe is not None
        assert [s.op for s in streamed.recipe.steps] == [
            *("gain", "limit", "gain", "limit", "compress", "gain", "limit", "gate", "gain")
        ]
        assert streamed.recipe == ref.recipe and streamed.notes == ref.notes
        for i, (b, sl) in enumerate(zip(blocks, chapter.slices, strict=True)):
            assert _same(chapter.block(i), ref.audio[sl])
            assert _same(replay(streamed.recipe, b, SR), ref.audio[sl])


def test_scratch_samples_read_put_and_clip(tmp_path):
    with ScratchSamples(tmp_path) as s:
        s.append(np.arange(5, dtype=np.float32))
        s.append(np.arange(10, 13, dtype=np.float32))
        assert (s.size, s.slices) == (8, [slice(0, 5), slice(5, 8)])
        assert s.read(3, 7).tolist() == [3.0, 4.0, 10.0, 11.0]
        assert s.read(6, 100).tolist() == [11.0, 12.0]
        s.put(1, np.array([7.0, 8.0, 9.0], dtype=np.float32))
        assert [c.tolist() for c in s.chunks(3)] == [[0.0, 1.0, 2.0], [3.0, 4.0, 7.0], [8.0, 9.0]]
        with pytest.raises(ValueError, match="block 0 holds 5 samples, got 2"):
            s.put(0, np.zeros(2, dtype=np.float32))
    assert list(tmp_path.iterdir()) == []  # the scratch file is gone


def test_array_samples_change_the_array_in_place():
    x = np.ones(10, dtype=np.float32)
    s = ArraySamples(x, bounds=[4, 4, 0, 99])
    assert s.slices == [slice(0, 4), slice(4, 10)]
    b = s.block(1)
    b *= 2.0
    s.put(1, b)
    s.put(0, np.zeros(4, dtype=np.float32))
    assert x.tolist() == [0.0] * 4 + [2.0] * 6


def test_master_samples_refuses_another_rate(tmp_path):
    with ScratchSamples(tmp_path) as s:
        s.append(np.zeros(4800, dtype=np.float32))
        with pytest.raises(AudioError, match="at 48000 Hz to acx"):
            master_samples(s, 48000, "acx")
