"""M4B by stream copy of per-chapter AAC: marks at each chapter's real start, tags, cover, no re-encode."""

from __future__ import annotations

import mutagen.mp4
import pytest

from bench.speech import speech_like
from lector.core.audio.export import (
    AAC_FRAME,
    M4B_RATE,
    M4bChapter,
    adts_samples,
    encode_aac,
    mux_m4b,
)
from lector.core.audio.io import write_flac
from lector.core.errors import AudioError
from tests.ffprobe import ffmpeg_chapters


def test_mux_m4b_stream_copies_chapter_aac(tmp_path):
    from tests.conftest import make_cover

    cover = make_cover(tmp_path / "cover.jpg")
    write_flac(tmp_path / "02.flac", speech_like(3.0, seed=2, sample_rate=24000), 24000)
    one = encode_aac(M4bChapter("One", speech_like(4.0, seed=1)), tmp_path / "01.aac")
    two = encode_aac(M4bChapter("Two", tmp_path / "02.flac"), tmp_path / "02.aac")
    n1, n2 = adts_samples(one), adts_samples(two)
    assert n1 % AAC_FRAME == 0 and 4.0 * M4B_RATE < n1 <= 4.0 * M4B_RATE + 3 * AAC_FRAME
    assert 3.0 * M4B_RATE < n2 <= 3.0 * M4B_RATE + 3 * AAC_FRAME
    book = mux_m4b(
        [("One", one), ("第二章 = two", two)],
        tmp_path / "book.m4b",
        title="The Book",
        author="Ann Author",
        cover=cover,
    )
    end1, end2 = n1 / M4B_RATE, (n1 + n2) / M4B_RATE  # each mark at its chapter's first sample
    assert ffmpeg_chapters(book) == [
        (0.0, pytest.approx(end1, abs=1e-6), "One"),
        (pytest.approx(end1, abs=1e-6), pytest.approx(end2, abs=1e-6), "第二章 = two"),
    ]
    mp4 = mutagen.mp4.MP4(book)
    assert [c.title for c in mp4.chapters] == ["One", "第二章 = two"]
    assert mp4.chapters[1].start == pytest.approx(end1, abs=1e-4)
    assert (mp4.tags["\xa9nam"], mp4.tags["\xa9ART"]) == (["The Book"], ["Ann Author"])
    assert bytes(mp4.tags["covr"][0]) == cover.read_bytes()
    assert mp4.info.codec == "mp4a.40.2"
    assert mp4.info.length == pytest.approx((n1 + n2) / M4B_RATE, abs=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "01.aac",
        "02.aac",
        "02.flac",
        "book.m4b",
        "cover.jpg",
    ]


def test_adts_samples_rejects_other_bytes(tmp_path):
    bad = tmp_path / "x.aac"
    bad.write_bytes(b"not adts at all")
    with pytest.raises(AudioError, match="not an ADTS frame"):
        adts_samples(bad)
