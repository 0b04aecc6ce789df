"""Block-wise MP3/AAC: exact frame counts, no reservoir, per-block determinism, sample-aligned
decoding of concatenated blocks with room-tone-level junctions, ID3, m4b marks, on-disk cache."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen.mp4
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from lector.core.audio.blockcodec import (
    AAC_FRAME,
    GRID,
    MP3_FRAME,
    encode_aac_block,
    encode_block,
    encode_mp3_block,
    holds_frames,
    parse_mp3_header,
    split_adts_frames,
    split_mp3_frames,
    write_adts,
    write_mp3,
)
from lector.core.audio.export import Id3Tags, ffmpeg_exe, mux_m4b
from lector.core.errors import AudioError
from tests.ffprobe import ffmpeg_chapters

SR = 44100
EDGE = 9000  # room-tone edges of every block (> 200 ms)
KBPS = {"mp3": 192, "aac": 64}
FRAME = {"mp3": MP3_FRAME, "aac": AAC_FRAME}
SPLIT = {"mp3": split_mp3_frames, "aac": split_adts_frames}
ENCODE_ONE = {"mp3": encode_mp3_block, "aac": encode_aac_block}


def speechy_block(n_grid: int, seed: int) -> np.ndarray:
    """-70 dBFS room tone throughout; in the middle a harmonic chirp (voiced-like) plus band-limited
    noise bursts (fricative-like), -20 dBFS RMS, with a smooth envelope."""
    rng = np.random.default_rng(seed)
    n = n_grid * GRID
    x = rng.standard_normal(n) * 10 ** (-70 / 20)
    t = np.arange(n - 2 * EDGE) / SR
    f0 = 110 + 15 * seed + 60 * t / t[-1]
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 40) if k * f0.max() < 8000)
    gate = np.sin(2 * np.pi * 3 * t) > 0.6
    bursts = np.convolve(rng.standard_normal(t.size), np.hanning(9) / 4.5, "same") * gate
    mid = (voiced + 0.5 * bursts) * np.sin(np.pi * np.arange(t.size) / t.size) ** 0.5
    x[EDGE : n - EDGE] += mid * (10 ** (-20 / 20) / np.sqrt(np.mean(mid**2)))
    return x.astype(np.float32)


BLOCKS = [speechy_block(3, 1), speechy_block(5, 2), speechy_block(2, 3)]
SIGNAL = np.concatenate(BLOCKS)
JUNCTIONS = [3 * GRID, 8 * GRID]
LOUD = np.zeros(SIGNAL.size, bool)
for _a, _b in ((0, 3 * GRID), (3 * GRID, 8 * GRID), (8 * GRID, 10 * GRID)):
    LOUD[_a + EDGE : _b - EDGE] = True


@pytest.fixture(scope="module")
def encoded() -> dict[str, tuple[bytes, ...]]:
    return {c: tuple(encode_block(b, c, kbps=KBPS[c]) for b in BLOCKS) for c in ("mp3", "aac")}


def decode(data: bytes, fmt: str) -> np.ndarray:
    out = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            fmt,
            "-i",
            "pipe:0",
            "-f",
            "f32le",
            "-ac",
            "1",
            "-ar",
            str(SR),
            "pipe:1",
        ],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, "<f4")


def dbfs(v: float) -> float:
    return 20 * np.log10(max(v, 1e-12))


def test_mp3_frames_cbr_mono_no_reservoir_no_tags(encoded):
    for block, data in zip(BLOCKS, encoded["mp3"], strict=True):
        frames = split_mp3_frames(data)
        assert len(frames) == block.size // MP3_FRAME
        heads = [parse_mp3_header(f) for f in frames]
        assert {(h.kbps, h.sample_rate, h.mono) for h in heads} == {(192, SR, True)}
        assert [h.main_data_begin for h in heads] == [0] * len(frames)
        assert b"Xing" not in data[:200] and b"Info" not in data[:200] and data[:3] != b"ID3"


def test_adts_frames_lc_mono_44k(encoded):
    for block, data in zip(BLOCKS, encoded["aac"], strict=True):
        frames = split_adts_frames(data)
        assert len(frames) == block.size // AAC_FRAME
        # profile (2 bits) 1 = AAC-LC, sampling index 4 = 44100 Hz, channel configuration 1 = mono
        assert {(f[2] >> 6, (f[2] >> 2) & 0xF, ((f[2] & 1) << 2) | (f[3] >> 6)) for f in frames} == {
            (1, 4, 1)
        }


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_block_bytes_depend_only_on_the_block(encoded, codec):
    alone = ENCODE_ONE[codec](BLOCKS[1], kbps=KBPS[codec])
    assert alone == ENCODE_ONE[codec](BLOCKS[1], kbps=KBPS[codec])
    assert alone == encoded[codec][1]
    # the same block encoded after another one, by name: same bytes
    again = tuple(encode_block(b, codec, kbps=KBPS[codec]) for b in (BLOCKS[2], BLOCKS[1]))
    assert again == (encoded[codec][2], encoded[codec][1])


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_concatenated_blocks_decode_sample_aligned(encoded, codec):
    out = decode(b"".join(encoded[codec]), "mp3" if codec == "mp3" else "aac")
    assert out.size == SIGNAL.size
    x, loud = SIGNAL.astype(np.float64), LOUD
    lags = range(-64, 65)
    corr = [float(np.dot(x[loud], np.roll(out, -lag)[loud])) for lag in lags]
    assert lags[int(np.argmax(corr))] == 0
    err = out - x
    snr = 10 * np.log10(np.sum(x[loud] ** 2) / np.sum(err[loud] ** 2))
    assert snr >= 15.0, snr  # measured: MP3 192k 29.4 dB, AAC 64k 20.0 dB
    for j in JUNCTIONS:
        assert dbfs(float(np.abs(err[j - 2048 : j + 2048]).max())) < -50.0  # measured about -58 to -60


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_impulse_comes_back_at_its_sample(codec):
    x = np.zeros(2 * GRID, np.float32)
    x[5000] = 0.5
    out = decode(ENCODE_ONE[codec](x), codec)
    assert out.size == x.size and int(np.argmax(np.abs(out))) == 5000


def test_block_length_must_be_whole_frames():
    with pytest.raises(AudioError, match="1000 samples, not a positive multiple of 1152"):
        encode_mp3_block(np.zeros(1000, np.float32))
    with pytest.raises(AudioError, match="1152 samples, not a positive multiple of 1024"):
        encode_aac_block(np.zeros(1152, np.float32))
    with pytest.raises(AudioError, match="100 kbps is not an MPEG-1 Layer III bitrate"):
        encode_mp3_block(np.zeros(GRID, np.float32), kbps=100)
    with pytest.raises(AudioError, match="unknown block codec"):
        encode_block(BLOCKS[0], "ogg", kbps=64)


def test_write_mp3_tags_and_decodes(tmp_path, encoded):
    path = write_mp3(
        tmp_path / "01.mp3",
        encoded["mp3"],
        Id3Tags("Chapter One", "Ann Author", "The Book", 1, 12, year="2024"),
    )
    tags = ID3(path)
    assert tags.version == (2, 3, 0)
    assert {k: str(tags[k]) for k in ("TIT2", "TPE1", "TPE2", "TALB", "TCON", "TRCK", "TDRC")} == {
        "TIT2": "Chapter One",
        "TPE1": "Ann Author",
        "TPE2": "Ann Author",
        "TALB": "The Book",
        "TCON": "Audiobook",
        "TRCK": "1/12",
        "TDRC": "2024",
    }
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "f32le", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(out) // 4 == SIGNAL.size
    plain = write_mp3(tmp_path / "02.mp3", encoded["mp3"], None).read_bytes()
    audio = b"".join(encoded["mp3"])
    # an "Info" frame (what LAME writes for CBR: frame and byte counts), then the frames unchanged
    info = parse_mp3_header(plain)
    assert plain[info.length :] == audio
    assert plain[21:25] == b"Info"
    assert [int.from_bytes(plain[i : i + 4], "big") for i in (25, 29, 33)] == [
        3,
        len(split_mp3_frames(audio)),
        info.length + len(audio),
    ]
    mp3 = MP3(tmp_path / "02.mp3")
    assert (mp3.info.bitrate_mode, mp3.info.length) == (BitrateMode.CBR, SIGNAL.size / SR)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01.mp3", "02.mp3"]


def _book(tmp_path: Path, aac: tuple[bytes, ...]) -> tuple[Path, int, int]:
    one = write_adts(tmp_path / "01.aac", aac[:2])
    two = write_adts(tmp_path / "02.aac", aac[2:])
    book = mux_m4b([("One", one), ("Two", two)], tmp_path / "book.m4b", title="The Book", author="Ann Author")
    return book, BLOCKS[0].size + BLOCKS[1].size, BLOCKS[2].size


def test_mux_m4b_marks_equal_block_samples(tmp_path, encoded):
    book, n1, n2 = _book(tmp_path, encoded["aac"])
    marks = ffmpeg_chapters(book)
    assert [t for *_, t in marks] == ["One", "Two"]
    flat = [v for a, b, _ in marks for v in (a, b)]
    assert flat == pytest.approx([0.0, n1 / SR, n1 / SR, (n1 + n2) / SR], abs=0.001)
    assert mutagen.mp4.MP4(book).chapters[1].start == pytest.approx(n1 / SR, abs=0.001)
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(book), "-f", "f32le", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    assert len(out) // 4 == n1 + n2


def test_mux_m4b_track_duration_equals_block_samples(tmp_path, encoded):
    book, n1, n2 = _book(tmp_path, encoded["aac"])
    assert mutagen.mp4.MP4(book).info.length == pytest.approx((n1 + n2) / SR, abs=0.001)


def test_holds_frames_accepts_whole_blocks_only(encoded):
    for codec, frame in (("mp3", MP3_FRAME), ("aac", AAC_FRAME)):
        data, frames = encoded[codec][1], BLOCKS[1].size // frame
        assert holds_frames(codec, data, frames, KBPS[codec])
        assert not holds_frames(codec, data[:-5], frames, KBPS[codec])  # cut
        split = split_mp3_frames if codec == "mp3" else split_adts_frames
        assert not holds_frames(codec, b"".join(split(data)[:-1]), frames, KBPS[codec])  # a frame short
        assert not holds_frames(codec, b"junk" + data, frames, KBPS[codec])
    assert not holds_frames("mp3", encoded["mp3"][1], BLOCKS[1].size // MP3_FRAME, 256)  # other bitrate
