"""Exports: FLAC/WAV, MP3 CBR + ID3 (frame headers parsed), M4B chapters/tags/cover, WebVTT."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen.mp4
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import ID3

from bench.speech import speech_like
from lector.core.audio.export import (
    Id3Tags,
    M4bChapter,
    export_flac,
    export_m4b,
    export_mp3,
    export_vtt,
    export_wav,
    ffmpeg_exe,
    vtt_text,
)
from lector.core.audio.io import write_flac
from lector.core.errors import AudioError
from tests.ffprobe import ffmpeg_chapters

SR = 44100
MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """(bitrate kbps, sample rate) of every MPEG-1 Layer III frame, walking the whole file."""
    pos = 0
    if data[:3] == b"ID3":
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    end = len(data) - (128 if data[-128:-125] == b"TAG" else 0)
    frames = []
    while pos < end:
        h = int.from_bytes(data[pos : pos + 4], "big")
        assert h >> 21 == 0x7FF, f"lost frame sync at byte {pos}"
        assert (h >> 19) & 3 == 3 and (h >> 17) & 3 == 1, "not MPEG-1 Layer III"
        kbps = MPEG1_L3_KBPS[(h >> 12) & 0xF]
        rate = (44100, 48000, 32000)[(h >> 10) & 3]
        frames.append((kbps, rate))
        pos += 144 * kbps * 1000 // rate + ((h >> 9) & 1)
    assert pos == end
    return frames


@pytest.fixture(scope="module")
def cover(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cover") / "cover.jpg"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=32x32",
            "-frames:v",
            "1",
            str(path),
        ],
        check=True,
    )
    return path


def test_flac_and_wav_24bit(tmp_path):
    x = speech_like(3.0)
    for fn, name, fmt in ((export_flac, "a.flac", "FLAC"), (export_wav, "a.wav", "WAV")):
        path = fn(x, SR, tmp_path / "out" / name)
        info = sf.info(str(path))
        assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == (
            fmt,
            "PCM_24",
            SR,
            1,
            x.size,
        )
        back, _ = sf.read(str(path), dtype="float32")
        assert float(np.abs(back - x).max()) <= 2.0**-23
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.flac", "a.wav"]


def test_mp3_cbr_192_44k_with_id3(tmp_path):
    x = speech_like(6.0, sample_rate=24000)
    path = export_mp3(
        x,
        24000,
        tmp_path / "01-one.mp3",
        kbps=192,
        tags=Id3Tags("Chapter One", "Ann Author", "The Book", 1, 12),
    )
    data = path.read_bytes()
    frames = mp3_frames(data)
    assert len(frames) >= int(6.0 * SR / 1152)
    assert set(frames) == {(192, 44100)}
    tags = ID3(path)
    assert (str(tags["TIT2"]), str(tags["TPE1"]), str(tags["TALB"]), str(tags["TRCK"])) == (
        "Chapter One",
        "Ann Author",
        "The Book",
        "1/12",
    )
    assert tags.version == (2, 3, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01-one.mp3"]


def test_m4b_chapters_tags_cover(tmp_path, cover):
    one = speech_like(4.0, seed=1)
    two = speech_like(3.0, seed=2, sample_rate=24000)
    write_flac(tmp_path / "02.flac", two, 24000)
    path = export_m4b(
        [("Chapter One", one, 4.0), M4bChapter("第二章 = two", tmp_path / "02.flac", 3.0)],
        tmp_path / "book.m4b",
        title="The Book",
        author="Ann Author",
        cover=cover,
    )
    assert ffmpeg_chapters(path) == [(0.0, 4.0, "Chapter One"), (4.0, 7.0, "第二章 = two")]
    mp4 = mutagen.mp4.MP4(path)
    assert [(c.start, c.title) for c in mp4.chapters] == [(0.0, "Chapter One"), (4.0, "第二章 = two")]
    assert mp4.tags["\xa9nam"] == ["The Book"]
    assert mp4.tags["\xa9ART"] == ["Ann Author"]
    assert bytes(mp4.tags["covr"][0]) == cover.read_bytes()
    assert mp4.info.codec == "mp4a.40.2"
    assert abs(mp4.info.length - 7.0) < 0.1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["02.flac", "book.m4b"]


def test_ffmpeg_failure_raises_audio_error_and_leaves_nothing(tmp_path):
    with pytest.raises(AudioError, match="ffmpeg failed writing"):
        export_mp3(speech_like(1.0), 0, tmp_path / "bad.mp3")
    with pytest.raises(AudioError, match="cover image not found"):
        export_m4b(
            [("x", speech_like(1.0), 1.0)],
            tmp_path / "b.m4b",
            title="t",
            author="a",
            cover=tmp_path / "none.jpg",
        )
    assert list(tmp_path.iterdir()) == []


def test_vtt_exact(tmp_path):
    timeline = {
        "chapter": 1,
        "sentences": [
            {"id": "a", "start_s": 0.75, "end_s": 2.5, "text": "First  line."},
            {"id": "b", "start_s": 3601.2345, "end_s": 3605.0, "text": "Second --> line\nwrapped."},
        ],
    }
    path = export_vtt(timeline, tmp_path / "01.vtt")
    assert path.read_text(encoding="utf-8") == (
        "WEBVTT\n\n"
        "1\n00:00:00.750 --> 00:00:02.500\nFirst line.\n\n"
        "2\n01:00:01.234 --> 01:00:05.000\nSecond -> line wrapped.\n"
    )
    assert vtt_text(timeline["sentences"]) == path.read_text(encoding="utf-8")
