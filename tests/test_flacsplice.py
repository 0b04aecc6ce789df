"""flacsplice: per-block FLAC frames renumbered into one chapter stream, CRCs updated."""

from __future__ import annotations

import subprocess

import numpy as np
import soundfile as sf

from lector.core.audio.export import ffmpeg_exe
from lector.core.audio.flacsplice import (
    FRAME,
    _mulmod,
    crc16,
    encode_block,
    renumber,
    utf8_number,
    write_spliced,
    x_pow_bytes,
)

SR = 44100


def _grid_noise(frames: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(frames * FRAME) * 0.05
    return (np.rint(x * 2**15) / 2**15 + 0.0).astype(np.float32)  # + 0.0: no -0.0 (FLAC has none)


def test_crc16_of_appended_zeros_is_a_multiplication():
    data = bytes(range(200))
    assert crc16(data + bytes(1234)) == _mulmod(crc16(data), x_pow_bytes(1234))


def test_utf8_frame_numbers():
    assert [utf8_number(n).hex() for n in (0, 127, 128, 2047, 2048, 65535)] == [
        "00",
        "7f",
        "c280",
        "dfbf",
        "e0a080",
        "efbfbf",
    ]


def test_renumbered_frames_equal_frames_encoded_in_place():
    # a frame's bytes depend on its own samples only, so a short block's frames renumbered to
    # 130 (2-byte number) and 2050 (3-byte number) must equal a long encode's frames there
    piece = _grid_noise(2, 7)
    short = encode_block(piece, SR)
    long_audio = np.zeros(2052 * FRAME, np.float32)
    for at in (130, 2050):
        long_audio[at * FRAME : (at + 2) * FRAME] = piece
    whole = encode_block(long_audio, SR)
    offsets = np.concatenate([[0], np.cumsum(whole.lengths)])
    a = short.frames[: short.lengths[0]]
    b = short.frames[short.lengths[0] :]
    for at in (130, 2050):
        want = whole.frames[offsets[at] : offsets[at + 2]]
        assert renumber(a, at, short.powers[0]) + renumber(b, at + 1, short.powers[1]) == want


def test_spliced_chapter_decodes_to_its_blocks_and_passes_crc_checks(tmp_path):
    blocks = [_grid_noise(n, seed) for seed, n in enumerate((4, 10, 2, 30))]
    encoded = [encode_block(b, SR) for b in blocks]
    starts = np.concatenate([[0], np.cumsum([b.size for b in blocks])])[:-1]
    path = write_spliced(
        tmp_path / "chapter.flac",
        [(e.frames, e.lengths, e.powers, int(s)) for e, s in zip(encoded, starts, strict=True)],
        SR,
    )
    audio, rate = sf.read(str(path), dtype="float32")
    assert (rate, audio.tobytes()) == (SR, np.concatenate(blocks).tobytes())
    assert sf.info(str(path)).frames == sum(b.size for b in blocks)
    verify = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-err_detect",
        "crccheck+explode",
        "-i",
        str(path),
        "-f",
        "null",
        "-",
    ]
    subprocess.run(verify, capture_output=True, check=True)
    damaged = bytearray(path.read_bytes())
    damaged[-3] ^= 0x01  # the last residual bits of the last frame, before its CRC-16
    (tmp_path / "bad.flac").write_bytes(bytes(damaged))
    verify[verify.index(str(path))] = str(tmp_path / "bad.flac")
    assert b"CRC error" in subprocess.run(verify, capture_output=True, check=False).stderr


def test_stream_header_length():
    from lector.core.audio.flacsplice import STREAM_HEADER, streaminfo

    assert len(streaminfo(SR, 3 * FRAME, [100, 120, 90])) == STREAM_HEADER == 42
