"""stitch_chapter: exact timeline, trimming, fades, room tone, timeline JSON."""

from __future__ import annotations

import json

import numpy as np

from lector.core.audio.measure import measure
from lector.core.audio.stitch import GRID, room_tone, stitch_chapter
from lector.core.build import BuildDir, Timeline
from lector.core.cache import LocalStore
from lector.core.model import Chapter, Sentence, Span, Token
from lector.core.project import PauseSettings
from lector.core.render import RenderResult

PAUSES = PauseSettings(head_ms=750, tail_ms=2500)


def _tone(n: int, rate: int, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * 220 * np.arange(n) / rate)).astype(np.float32)


def _setup(
    tmp_path, takes: list[tuple[np.ndarray, int]], pauses_ms: list[int], paragraphs: list[int] | None = None
):
    store = LocalStore(tmp_path / "cache")
    sentences, results = [], []
    for i, ((audio, rate), pause) in enumerate(zip(takes, pauses_ms, strict=True)):
        key = f"{i:02d}" + "ab" * 31
        store.write(key, audio, rate)
        span = Span(f"Line {i}.", f"line {i}.", "en", (Token("line", "lˈaɪn"), Token(str(i), "wˈʌn")))
        sentences.append(
            Sentence(
                id=f"id{i}",
                text=f"Line {i}.",
                spans=(span,),
                lang="en",
                voice="narrator",
                seed=10 + i,
                pause_after_ms=pause,
                paragraph=paragraphs[i] if paragraphs else 0,
            )
        )
        results.append(RenderResult(f"id{i}", key, "fake", "1", "tone-en", rate, audio.size / rate, True))
    return Chapter(3, "Chapter Three", tuple(sentences)), results, store


def test_timeline_exact_for_known_pauses(tmp_path):
    takes = [
        (_tone(24000, 24000), 24000),
        (_tone(44100 // 2, 44100), 44100),
        (_tone(22050 * 2, 22050), 22050),
    ]
    chapter, results, store = _setup(tmp_path, takes, [450, 900, 400])
    st = stitch_chapter(chapter, results, store, pauses=PAUSES, sample_rate=44100)
    assert [(t.start_sample, t.end_sample) for t in st.timeline] == [
        (33075, 33075 + 44100),
        (33075 + 44100 + 19845, 33075 + 44100 + 19845 + 22050),
        (33075 + 44100 + 19845 + 22050 + 39690, 33075 + 44100 + 19845 + 22050 + 39690 + 88200),
    ]
    assert [(t.start_s, t.end_s) for t in st.timeline] == [(0.75, 1.75), (2.2, 2.7), (3.6, 5.6)]
    # one paragraph = one block; its end (the 2.5 s tail) is rounded up to whole 9216-sample blocks
    assert 33075 + 44100 + 19845 + 22050 + 39690 + 88200 + 110250 == 357210
    assert st.audio.size == 39 * 9216 == 359424
    assert st.duration_s == 359424 / 44100
    assert st.audio.dtype == np.float32
    assert st.missing == ()
    assert (st.index, st.title, st.sample_rate) == (3, "Chapter Three", 44100)


def test_engine_silence_trimmed_to_margins_and_edges_faded(tmp_path):
    # 5 ms frames are 220 samples at 44.1 kHz; padding and tone are whole frames
    padded = np.concatenate(
        [np.zeros(220 * 50, np.float32), _tone(44000, 44100), np.zeros(22000, np.float32)]
    )
    chapter, results, store = _setup(tmp_path, [(padded, 44100)], [450])
    st = stitch_chapter(chapter, results, store, pauses=PAUSES)
    t = st.timeline[0]
    # 30 ms kept before the first and 50 ms after the last loud 5 ms frame
    assert t.end_sample - t.start_sample == 1323 + 44000 + 2205
    assert t.start_s == 0.75


def test_sentence_edges_get_5ms_fades(tmp_path):
    flat = np.full(44100, 0.5, np.float32)
    chapter, results, store = _setup(tmp_path, [(flat, 44100)], [450])
    st = stitch_chapter(chapter, results, store, pauses=PAUSES)
    s, e = st.timeline[0].start_sample, st.timeline[0].end_sample
    assert e - s == 44100
    got = [float(st.audio[i]) for i in (s, s + 110, s + 220, e - 111, e - 1)]
    want = [0.0, 0.25, 0.5, 0.25, 0.0]
    assert all(abs(g - w) < 0.005 for g, w in zip(got, want, strict=True)), got


def test_room_tone_in_head_gaps_and_tail_is_deterministic(tmp_path):
    chapter, results, store = _setup(tmp_path, [(_tone(24000, 24000), 24000)] * 2, [900, 450])
    a = stitch_chapter(chapter, results, store, pauses=PAUSES)
    b = stitch_chapter(chapter, results, store, pauses=PAUSES)
    assert a.audio.tobytes() == b.audio.tobytes()
    head = a.audio[: a.timeline[0].start_sample]
    gap = a.audio[a.timeline[0].end_sample : a.timeline[1].start_sample]
    tail = a.audio[a.timeline[1].end_sample :]
    for part in (head, gap, tail):
        assert int(np.count_nonzero(part == 0.0)) < part.size // 100
        assert abs(measure(part, 44100).rms_dbfs - -70.0) < 0.5
    assert room_tone(1000, 44100, phase=int(a.blocks[0].key[:8], 16)).tobytes() == head[:1000].tobytes()


def test_missing_take_is_listed_not_fatal(tmp_path):
    chapter, results, store = _setup(tmp_path, [(_tone(24000, 24000), 24000)] * 2, [450, 450])
    failed = RenderResult("id1", "", "", "", "", 0, 0.0, False, "narrator", "all engines failed")
    st = stitch_chapter(chapter, [results[0], failed], store, pauses=PAUSES)
    assert st.missing == ("id1",)
    assert [t.sentence_id for t in st.timeline] == ["id0"]


def test_write_timeline_json(tmp_path):
    chapter, results, store = _setup(tmp_path, [(_tone(24000, 24000), 24000)] * 2, [450, 450])
    st = stitch_chapter(chapter, results, store, pauses=PAUSES)
    # the timeline is a build record (lector.core.build): versioned by its "schema"
    timeline = Timeline.of(chapter, st.timeline, st.sample_rate, results, st.duration_s)
    path = BuildDir(tmp_path / "build").write_timeline(timeline)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == {
        "schema": "lector-timeline-v1",
        "chapter": 3,
        "title": "Chapter Three",
        "sample_rate": 44100,
        "duration_s": 5.851429,
        "sentences": [
            {
                "id": "id0",
                "start_s": 0.75,
                "end_s": 1.75,
                "cache_key": "00" + "ab" * 31,
                "text": "Line 0.",
                "pronunciation": "lˈaɪn wˈʌn",
                "voice": "narrator",
                "emotion": "neutral",
                "seed": 10,
                "engine": "fake",
                "fallback_from": None,
            },
            {
                "id": "id1",
                "start_s": 2.2,
                "end_s": 3.2,
                "cache_key": "01" + "ab" * 31,
                "text": "Line 1.",
                "pronunciation": "lˈaɪn wˈʌn",
                "voice": "narrator",
                "emotion": "neutral",
                "seed": 11,
                "engine": "fake",
                "fallback_from": None,
            },
        ],
    }
    assert sorted(p.name for p in path.parent.iterdir()) == ["timeline.json"]


def test_understated_result_duration_still_stitches_exactly(tmp_path):
    chapter, results, store = _setup(tmp_path, [(_tone(24000, 24000), 24000)] * 2, [450, 450])
    short = [
        RenderResult(r.sentence_id, r.cache_key, "fake", "1", "tone-en", 24000, 0.01, True) for r in results
    ]
    a = stitch_chapter(chapter, results, store, pauses=PAUSES)
    b = stitch_chapter(chapter, short, store, pauses=PAUSES)
    assert a.audio.tobytes() == b.audio.tobytes()
    assert a.timeline == b.timeline


def test_each_paragraph_is_a_block_of_whole_grid_lengths(tmp_path):
    takes = [(_tone(24000 + 1000 * i, 24000), 24000) for i in range(5)]
    chapter, results, store = _setup(tmp_path, takes, [450, 900, 450, 900, 400], paragraphs=[0, 0, 1, 1, 2])
    st = stitch_chapter(chapter, results, store, pauses=PAUSES)
    assert [b.length % GRID for b in st.blocks] == [0, 0, 0]
    assert [b.start_sample for b in st.blocks] == [
        0,
        st.blocks[0].length,
        st.blocks[0].length + st.blocks[1].length,
    ]
    assert st.audio.size == sum(b.length for b in st.blocks)
    # the second sentence of a paragraph follows its sentence pause exactly (450 ms = 19845 samples)
    assert st.timeline[1].start_sample - st.timeline[0].end_sample == 19845
    # a paragraph's closing pause (900 ms) is lengthened by less than one block grid
    gap = st.timeline[2].start_sample - st.timeline[1].end_sample
    assert 39690 <= gap < 39690 + GRID


def test_an_edit_leaves_the_other_paragraphs_samples_identical(tmp_path):
    takes = [(_tone(24000 + 1000 * i, 24000), 24000) for i in range(5)]
    chapter, results, store = _setup(tmp_path, takes, [450, 900, 450, 900, 400], paragraphs=[0, 0, 1, 1, 2])
    before = stitch_chapter(chapter, results, store, pauses=PAUSES)
    edited = _tone(40000, 24000, amp=0.3)
    store.write("ff" + "ab" * 31, edited, 24000)
    results[2] = RenderResult(
        "id2", "ff" + "ab" * 31, "fake", "1", "tone-en", 24000, edited.size / 24000, True
    )
    after = stitch_chapter(chapter, results, store, pauses=PAUSES)
    assert [b.key == a.key for b, a in zip(before.blocks, after.blocks, strict=True)] == [True, False, True]
    for i in (0, 2):
        b, a = before.blocks[i], after.blocks[i]
        assert b.length == a.length
        assert (
            before.audio[b.start_sample : b.start_sample + b.length].tobytes()
            == after.audio[a.start_sample : a.start_sample + a.length].tobytes()
        )
