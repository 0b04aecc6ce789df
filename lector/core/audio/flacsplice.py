"""Chapter FLACs spliced from their blocks' FLAC frames, so an edit re-encodes no FLAC but its own block.

Each mastered block (a whole number of 9216-sample grid units) is encoded once as 16-bit FLAC with
fixed 4608-sample frames (ffmpeg's encoder through PyAV, in process), so every frame is full and
self-contained. A chapter's FLAC is its blocks' frames back to back behind one STREAMINFO; only the
frame numbers in the frame headers change (a block's frame i becomes frame start/4608 + i), which
means the header's CRC-8 and the frame's CRC-16 change too. The CRC-16 (x^16+x^15+x^2+1, zero
initial value) is linear, so the new one follows from the old one and the two headers without
reading the frame's body: crc_new = crc_old ^ (crc(H_old) ^ crc(H_new)) * x^(8*len(body)) mod P;
x^(8*len(body)) mod P is computed once per frame when the block is encoded and kept beside it.
The STREAMINFO's MD5 is left unset (allowed by the format: "unknown"); the manifest's sha256
covers the file. The book's tags (VORBIS_COMMENT, PICTURE: tags.flac_metadata) go between the
STREAMINFO and the frames as the chapter is spliced; :func:`retag` gives a FLAC new tags by copying
its frames behind a new header (a new file, never a change in place: masters/ hard-links it).
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import AudioError
from ..fsutil import atomic_path
from .io import Audio

FRAME = 4608  # samples per FLAC frame (block code 0101); 9216 = 2 frames
BITS = 16  # the masters' sample size: what ACX and the other retailers take (44.1 kHz, 16-bit)
POLY16 = 0x18005  # FLAC's CRC-16
POLY8 = 0x107  # FLAC's CRC-8 (x^8+x^2+x+1)
FULL_SCALE = 1 << (BITS - 1)  # float 1.0 in sample words
STREAM_HEADER = 42  # bytes before the first frame: "fLaC" + STREAMINFO (see streaminfo)


@dataclass(frozen=True)
class FlacBlock:
    frames: bytes  # the frames back to back (no stream header)
    lengths: tuple[int, ...]  # bytes per frame
    powers: tuple[int, ...]  # x^(8 * body length) mod P per frame (for the CRC-16 update)
    samples: int


@lru_cache(maxsize=1)
def _crc_tables() -> tuple[list[int], list[int]]:
    t8, t16 = [], []
    for b in range(256):
        c8, c16 = b, b << 8
        for _ in range(8):
            c8 = ((c8 << 1) ^ POLY8) & 0xFF if c8 & 0x80 else (c8 << 1) & 0xFF
            c16 = ((c16 << 1) ^ POLY16) & 0xFFFF if c16 & 0x8000 else (c16 << 1) & 0xFFFF
        t8.append(c8)
        t16.append(c16)
    return t8, t16


def crc8(data: bytes) -> int:
    t8, _ = _crc_tables()
    c = 0
    for b in data:
        c = t8[c ^ b]
    return c


def crc16(data: bytes) -> int:
    _, t16 = _crc_tables()
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFF) ^ t16[(c >> 8) ^ b]
    return c


def _mulmod(a: int, b: int) -> int:
    """a * b in GF(2)[x] modulo the CRC-16 polynomial."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0x10000:
            a ^= POLY16
    return r


@lru_cache(maxsize=64)
def _x_pow_bytes_2k(k: int) -> int:
    """x^(8 * 2^k) mod P."""
    if k == 0:
        return _mulmod(1 << 8, 1)
    half = _x_pow_bytes_2k(k - 1)
    return _mulmod(half, half)


def x_pow_bytes(n: int) -> int:
    """x^(8n) mod P: what appending n zero bytes multiplies a CRC-16 by."""
    r, k = 1, 0
    while n:
        if n & 1:
            r = _mulmod(r, _x_pow_bytes_2k(k))
        n >>= 1
        k += 1
    return r


def utf8_number(n: int) -> bytes:
    """FLAC's UTF-8-like coding of a frame number (up to 31 bits)."""
    if n < 0x80:
        return bytes([n])
    for length, lead in ((2, 0xC0), (3, 0xE0), (4, 0xF0), (5, 0xF8), (6, 0xFC)):
        if n < 1 << (5 * length + 1):
            out = [0x80 | ((n >> (6 * i)) & 0x3F) for i in range(length - 1)][::-1]
            return bytes([lead | n >> 6 * (length - 1), *out])
    raise AudioError(f"FLAC frame number {n} out of range", fix="split the chapter")


def frame_number(frame: bytes | memoryview) -> int:
    """The frame number coded in a frame header (see :func:`utf8_number`)."""
    lead = frame[4]
    if lead < 0x80:
        return int(lead)
    more = 8 - (lead ^ 0xFF).bit_length() - 1  # continuation bytes
    n = lead & (0x7F >> (more + 1))
    for b in frame[5 : 5 + more]:
        n = n << 6 | (b & 0x3F)
    return int(n)


def renumbered_lengths(lengths: Sequence[int], old_first: int, new_first: int) -> list[int]:
    """Byte lengths of consecutive frames once renumbered from ``old_first`` to ``new_first``: only
    the header's frame-number bytes change size."""
    return [
        n - len(utf8_number(old_first + i)) + len(utf8_number(new_first + i)) for i, n in enumerate(lengths)
    ]


def _header_length(frame: bytes | memoryview) -> int:
    """Bytes of the frame header, CRC-8 included (4608-sample frames at 44.1 kHz: no extra fields)."""
    lead = frame[4]
    n = 1 if lead < 0x80 else 8 - (lead ^ 0xFF).bit_length()  # leading 1 bits = bytes
    return 4 + n + _extra_len(frame) + 1


def pcm_words(x: Audio) -> npt.NDArray[np.int16]:
    """float32 audio on the master's 16-bit grid as int16 words (what libsndfile and ffmpeg take);
    exact, since float32 * 2^15 is an integer on the grid."""
    return (np.asarray(x, dtype=np.float32) * np.float32(FULL_SCALE)).astype(np.int16)


def encode_block(audio: Audio, sample_rate: int) -> FlacBlock:
    """16-bit FLAC frames of one block (float32 on the 16-bit grid, a multiple of FRAME samples)."""
    import av

    x = np.asarray(audio, dtype=np.float32)
    if x.size == 0 or x.size % FRAME:
        raise AudioError(
            f"FLAC block has {x.size} samples, not a multiple of {FRAME}",
            fix="pad blocks to the 9216-sample grid (stitch.GRID)",
        )
    ints = pcm_words(x)
    cc = av.CodecContext.create("flac", "w")
    cc.sample_rate, cc.layout, cc.format = sample_rate, "mono", "s16"
    cc.open()
    packets = []
    for a in range(0, ints.size, FRAME):
        frame = av.AudioFrame.from_ndarray(ints[a : a + FRAME].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = sample_rate
        packets += [bytes(p) for p in cc.encode(frame)]
    packets += [bytes(p) for p in cc.encode(None) if p.size]  # the flush ends with an empty packet
    if len(packets) != x.size // FRAME or any(len(p) < 8 or p[2] >> 4 != 0b0101 for p in packets):
        raise AudioError(
            f"FLAC encoder returned {len(packets)} frames for {x.size // FRAME}",
            fix="check the PyAV (ffmpeg) build",
        )
    powers = tuple(x_pow_bytes(len(p) - _header_length(p) - 2) for p in packets)
    return FlacBlock(b"".join(packets), tuple(len(p) for p in packets), powers, x.size)


def streaminfo(sample_rate: int, samples: int, lengths: Sequence[int], *, last: bool = True) -> bytes:
    """fLaC + a STREAMINFO (MD5 unset) for fixed 4608-sample 16-bit mono frames; ``last``: no other
    metadata block follows."""
    info = (
        struct.pack(">HH", FRAME, FRAME) + min(lengths).to_bytes(3, "big") + max(lengths).to_bytes(3, "big")
    )
    packed = (sample_rate << 44) | (0 << 41) | ((BITS - 1) << 36) | samples
    info += packed.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes([0x80 if last else 0]) + len(info).to_bytes(3, "big") + info


def retag(path: str | Path, metadata: bytes, out: str | Path | None = None) -> Path:
    """The FLAC at ``path`` with its metadata after STREAMINFO replaced by ``metadata`` (blocks, the
    last one flagged last; b"" = none), written to ``out`` (default: ``path``) as a new file."""
    src = Path(path)
    final = Path(out) if out is not None else src
    with open(src, "rb") as fh:
        head = fh.read(STREAM_HEADER)
        if head[:4] != b"fLaC" or head[4] & 0x7F != 0:
            raise AudioError("not a FLAC file (no STREAMINFO first)", file=src, fix="re-render the chapter")
        last = bool(head[4] & 0x80)
        while not last:  # skip the old metadata blocks
            block = fh.read(4)
            if len(block) < 4:
                raise AudioError(
                    "FLAC metadata runs past the end of the file", file=src, fix="re-render the chapter"
                )
            last = bool(block[0] & 0x80)
            fh.seek(int.from_bytes(block[1:4], "big"), 1)
        with atomic_path(final, suffix=".flac") as tmp, open(tmp, "wb") as dst:
            dst.write(head[:4] + bytes([0 if metadata else 0x80]) + head[5:] + metadata)
            shutil.copyfileobj(fh, dst, 1 << 20)
    return final


def renumber(frame: bytes, number: int, power: int) -> bytes:
    """``frame`` with its frame number set to ``number`` (header CRC-8 and frame CRC-16 updated)."""
    return b"".join(_renumbered([frame], [number], [power]))


@lru_cache(maxsize=1 << 17)
def _numbered_header(fixed: bytes, extra: bytes, number: int) -> tuple[bytes, int]:
    """A frame header with ``number`` (CRC-8 included) and the CRC-16 of that header. ``fixed`` (the
    first 4 bytes) and ``extra`` are the same for every frame of a stream, so a chapter asks for
    each number once, whatever block it lands in (the Python CRC loops were most of a splice)."""
    head = fixed + utf8_number(number) + extra
    head += bytes([crc8(head)])
    return head, crc16(head)


@lru_cache(maxsize=1 << 17)
def _header_crc16(head: bytes) -> int:
    """crc16 of a frame header as stored (each block numbers its frames from 0: few distinct ones)."""
    return crc16(head)


def _mulmod_many(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> npt.NDArray[np.uint32]:
    """:func:`_mulmod` element-wise (uint32 arrays, values below 2^16)."""
    a, b, r = a.astype(np.uint32), b.astype(np.uint32), np.zeros(a.shape, np.uint32)
    for _ in range(16):
        r ^= np.where(b & 1, a, 0).astype(np.uint32)
        b >>= 1
        a <<= 1
        a ^= np.where(a & 0x10000, POLY16, 0).astype(np.uint32)
    return r


def _renumbered(
    frames: Sequence[bytes | memoryview], numbers: Sequence[int], powers: Sequence[int]
) -> list[bytes | memoryview]:
    """The pieces (header, body, CRC-16) of ``frames`` renumbered to ``numbers``; the CRC-16 update
    of every frame is done at once (see the module doc)."""
    heads, bodies, deltas, old_crcs = [], [], [], []
    for frame, number in zip(frames, numbers, strict=True):
        extra_len, old_len = _extra_len(frame), _header_length(frame)
        fixed, extra = bytes(frame[:4]), bytes(frame[old_len - 1 - extra_len : old_len - 1])
        head, head16 = _numbered_header(fixed, extra, number)
        heads.append(head)
        bodies.append(frame[old_len:-2])
        deltas.append(_header_crc16(bytes(frame[:old_len])) ^ head16)
        old_crcs.append(int.from_bytes(frame[-2:], "big"))
    crcs = np.array(old_crcs, np.uint32) ^ _mulmod_many(
        np.array(deltas, np.uint32), np.array(powers, np.uint32)
    )
    packed = crcs.astype(">u2").tobytes()
    return [
        piece
        for i, (head, body) in enumerate(zip(heads, bodies, strict=True))
        for piece in (head, body, packed[2 * i : 2 * i + 2])
    ]


def _extra_len(frame: bytes | memoryview) -> int:
    """Optional block-size / sample-rate bytes after the frame number (none for 4608 at 44.1 kHz)."""
    return {6: 1, 7: 2}.get(frame[2] >> 4, 0) + {12: 1, 13: 2, 14: 2}.get(frame[2] & 0x0F, 0)


def block_file_bytes(block: FlacBlock, sample_rate: int) -> bytes:
    """A stand-alone FLAC file of one block (what soundfile reads back as the mastered block)."""
    return streaminfo(sample_rate, block.samples, block.lengths) + block.frames


def write_spliced(
    path: str | Path,
    parts: Sequence[tuple[bytes, Sequence[int], Sequence[int], int]],
    sample_rate: int,
    metadata: bytes = b"",
) -> Path:
    """A chapter FLAC from its blocks in order: ``(frames, lengths, powers, start sample)`` each;
    ``lengths`` are the frames' lengths numbered from 0 (as the block was encoded; STREAMINFO's
    frame sizes come from them), while ``frames`` may carry any consecutive numbers (a block read
    back from an earlier chapter FLAC); ``metadata``: blocks to put after STREAMINFO (the last one
    flagged last), e.g. tags.flac_metadata."""
    lengths = [n for _, ls, _, _ in parts for n in ls]
    total = sum(len(ls) for _, ls, _, _ in parts) * FRAME
    final = Path(path)
    with atomic_path(final, suffix=".flac") as tmp, open(tmp, "wb") as fh:
        fh.write(streaminfo(sample_rate, total, lengths, last=not metadata) + metadata)
        for frames, lens, powers, start in parts:
            if start % FRAME:
                raise AudioError(
                    f"block starts at sample {start}, not on a FLAC frame",
                    file=final,
                    fix="blocks must lie on the 9216-sample grid",
                )
            first, numbered = start // FRAME, frame_number(frames)
            if first == numbered:  # numbered as they must be already (the encoder numbers from 0)
                fh.write(frames)
                continue
            held = renumbered_lengths(lens, 0, numbered) if numbered else lens  # as the frames lie
            view, ends = memoryview(frames), np.cumsum(held).tolist()
            frame_views = [view[end - n : end] for n, end in zip(held, ends, strict=True)]
            fh.writelines(_renumbered(frame_views, range(first, first + len(lens)), powers))
    return final
