"""mp4mux.write_m4b: the layout of ffmpeg's ipod muxer, exact chapter marks, the same decoded audio."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import mutagen.mp4
import numpy as np
import pytest

from lector.core.audio.blockcodec import GRID, encode_aac_block, write_adts
from lector.core.audio.export import M4B_RATE, adts_samples, ffmetadata, ffmpeg_exe
from lector.core.audio.mp4mux import write_m4b
from lector.core.errors import AudioError
from tests.conftest import make_cover
from tests.ffprobe import ffmpeg_chapters

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"udta", b"edts", b"tref", b"ilst"}


def _tone(blocks: int, freq: float) -> np.ndarray:
    t = np.arange(blocks * GRID) / M4B_RATE
    return (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(scope="module")
def chapters(tmp_path_factory) -> list[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("aac")
    return [
        (title, write_adts(folder / f"{i}.aac", [encode_aac_block(_tone(n, f))]))
        for i, (title, n, f) in enumerate(
            (("One", 3, 220.0), ("第二章 = two", 2, 330.0), ("Three", 4, 440.0))
        )
    ]


def _boxes(data: bytes, pos: int = 0, end: int | None = None, path: str = "") -> list[str]:
    """Box paths in file order ("moov/trak/mdia/..."), the way ffmpeg's ipod muxer nests them."""
    end, out = len(data) if end is None else end, []
    while pos < end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0] if size == 1 else size
        name = f"{path}/{kind.decode('latin1')}".lstrip("/")
        out.append(name)
        skip = {b"meta": 12, b"stsd": 16}.get(kind, 8 if kind in CONTAINERS else None)
        if skip is not None:
            out += _boxes(data, pos + skip, pos + size, name)
        pos += size
    return out


def _ffmpeg_m4b(chapters, out: Path, cover: Path) -> Path:
    """The same book by ffmpeg's remux (what mux_m4b ran before mp4mux)."""
    meta = out.with_suffix(".txt")
    meta.write_text(
        ffmetadata(
            [t for t, _ in chapters],
            [adts_samples(p) for _, p in chapters],
            M4B_RATE,
            title="The Book",
            author="Ann Author",
        ),
        encoding="utf-8",
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "aac",
            "-i",
            "pipe:0",
            "-f",
            "ffmetadata",
            "-i",
            str(meta),
            "-i",
            str(cover),
            "-map",
            "0:a",
            "-map_metadata",
            "1",
            "-map_chapters",
            "1",
            "-map",
            "2:v",
            "-c:v",
            "copy",
            "-disposition:v:0",
            "attached_pic",
            "-c:a",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
            "-movflags",
            "+faststart",
            "-f",
            "ipod",
            str(out),
        ],
        input=b"".join(p.read_bytes() for _, p in chapters),
        check=True,
    )
    return out


def _pcm(path: Path, fmt: list[str] | None = None) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", *(fmt or []), "-i", str(path), "-f", "f32le", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout


def test_same_layout_and_audio_as_ffmpegs_ipod_muxer(chapters, tmp_path):
    cover = make_cover(tmp_path / "cover.jpg")
    ours = write_m4b(tmp_path / "ours.m4b", chapters, title="The Book", author="Ann Author", cover=cover)
    theirs = _ffmpeg_m4b(chapters, tmp_path / "ffmpeg.m4b", cover)
    assert _boxes(ours.read_bytes()) == [b for b in _boxes(theirs.read_bytes()) if b != "free"]
    joined = tmp_path / "joined.aac"  # the chapters as one ADTS stream
    joined.write_bytes(b"".join(p.read_bytes() for _, p in chapters))
    assert _pcm(ours) == _pcm(theirs) == _pcm(joined, ["-f", "aac"])
    assert len(_pcm(ours)) == 4 * 9 * GRID
    assert ours.read_bytes()[4:8] == b"ftyp" and _boxes(ours.read_bytes())[1] == "moov"  # streamable


def test_chapter_marks_sit_on_the_first_sample_and_tags_and_cover_are_set(chapters, tmp_path):
    cover = make_cover(tmp_path / "cover.jpg")
    book = write_m4b(tmp_path / "book.m4b", chapters, title="The Book", author="Ann Author", cover=cover)
    starts = [0, 3 * GRID, 5 * GRID]
    assert ffmpeg_chapters(book) == [
        (pytest.approx(s / M4B_RATE, abs=1e-6), pytest.approx(e / M4B_RATE, abs=1e-6), t)
        for s, e, t in zip(starts, [*starts[1:], 9 * GRID], ("One", "第二章 = two", "Three"), strict=True)
    ]
    mp4 = mutagen.mp4.MP4(book)
    assert [(c.title, round(c.start, 4)) for c in mp4.chapters] == [
        ("One", 0.0),
        ("第二章 = two", round(3 * GRID / M4B_RATE, 4)),
        ("Three", round(5 * GRID / M4B_RATE, 4)),
    ]
    tags = {k: mp4.tags[k] for k in ("\xa9nam", "\xa9ART", "aART", "\xa9alb", "\xa9gen")}
    assert tags == {
        "\xa9nam": ["The Book"],
        "\xa9ART": ["Ann Author"],
        "aART": ["Ann Author"],
        "\xa9alb": ["The Book"],
        "\xa9gen": ["Audiobook"],
    }
    assert bytes(mp4.tags["covr"][0]) == cover.read_bytes()
    assert mp4.tags["covr"][0].imageformat == mutagen.mp4.MP4Cover.FORMAT_JPEG
    assert (mp4.info.codec, mp4.info.sample_rate, mp4.info.channels) == ("mp4a.40.2", 44100, 1)
    assert mp4.info.length == pytest.approx(9 * GRID / M4B_RATE, abs=1e-6)


def test_png_cover_is_marked_png(chapters, tmp_path):
    png = tmp_path / "cover.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    book = write_m4b(tmp_path / "book.m4b", chapters[:1], title="t", author="a", cover=png)
    assert mutagen.mp4.MP4(book).tags["covr"][0].imageformat == mutagen.mp4.MP4Cover.FORMAT_PNG


def test_refuses_what_it_cannot_write(chapters, tmp_path):
    with pytest.raises(AudioError, match="no chapters"):
        write_m4b(tmp_path / "a.m4b", [], title="t", author="a")
    junk = tmp_path / "junk.aac"
    junk.write_bytes(chapters[0][1].read_bytes() + b"xx")
    with pytest.raises(AudioError, match="trailing bytes"):
        write_m4b(tmp_path / "b.m4b", [("x", junk)], title="t", author="a")
    with pytest.raises(AudioError, match="255 at most"):
        write_m4b(tmp_path / "c.m4b", [(str(i), chapters[0][1]) for i in range(256)], title="t", author="a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.aac"]  # nothing half-written
