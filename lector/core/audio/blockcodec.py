"""Block-wise MP3 and AAC encoding: one chapter export = the concatenation of per-block frames.

A chapter master is a run of blocks (one per paragraph) whose lengths are multiples of
``GRID`` = lcm(1152, 1024) samples, so every block is a whole number of MP3 frames and of AAC
frames. Each block is encoded on its own and only the frames that decode to the block's own
samples are kept, so the encoded bytes of a block depend on that block alone: an edit
re-encodes one block, and a clean render is byte-identical to an incremental one.

How a block is encoded: ffmpeg gets ``[pre-context][block][post-context]`` (silence: it depends
on nothing else and measured smaller junction errors than mirrored edges), the encoder's and
decoder's delay is absorbed by choosing the pre-context so that a whole number of frames
precedes the block, and exactly ``len/frame`` frames are kept. MP3 frames are made with the bit
reservoir off (``main_data_begin`` = 0) and ADTS frames are self-delimiting, so frames from
different encodes concatenate into a valid stream. At a junction the decoder overlaps the previous
block's tail with the next block's head; blocks start and end in room tone, so the error there stays
at room-tone level.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..fsutil import atomic_path
from .export import Id3Tags, ffmpeg_exe, ffmpeg_slots
from .io import Audio, as_mono_float32
from .mp4mux import adts_frame_length
from .tags import TrackTags, id3_bytes

SAMPLE_RATE = 44100
MP3_FRAME = 1152
AAC_FRAME = 1024
GRID = 9216  # lcm(MP3_FRAME, AAC_FRAME): a block is whole frames of both codecs
CODEC_VERSION = "blockcodec-1"  # bump whenever the recipe (args, delays, context) changes: cache key

# Delay from input sample to decoded sample, measured with ffmpeg n9.0.2 (imageio-ffmpeg): a 0.5
# impulse at samples 5000 and 7001 in silence, encoded as below and decoded by ffmpeg to f32le,
# peaks at +1105 (MP3: LAME's 576 encoder delay + the 529-sample decoder filterbank delay; no
# Xing/LAME tag, so the decoder trims nothing) and at +1024 (AAC: the aac encoder's priming;
# ADTS carries no priming info, so the decoder trims nothing).
MP3_DELAY = 1105
AAC_DELAY = 1024
# Frames dropped before the block: with 2, the first kept frame's analysis windows (MDCT overlap and
# polyphase filter reach < 1152 samples back) lie inside the pre-context, never before the stream
# start. 2, 3 and 4 measured the same junction error, so the shortest is used.
LEAD_FRAMES = 2
TAIL_FRAMES = 2  # post-context: covers the last kept frame's overlap and look-ahead

MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_RATES = (44100, 48000, 32000)


@dataclass(frozen=True)
class Mp3Header:
    kbps: int
    sample_rate: int
    mono: bool
    length: int  # bytes, header included
    main_data_begin: int  # 0 when the frame does not borrow from the bit reservoir


def parse_mp3_header(data: bytes, pos: int = 0) -> Mp3Header:
    """The MPEG-1 Layer III frame header (and side info's ``main_data_begin``) at ``pos``."""
    h = int.from_bytes(data[pos : pos + 4], "big") if pos + 4 <= len(data) else 0
    if h >> 21 != 0x7FF or (h >> 19) & 3 != 3 or (h >> 17) & 3 != 1:
        raise AudioError(
            f"not an MPEG-1 Layer III frame at byte {pos}", fix="delete the file to re-encode it"
        )
    kbps_i, rate_i = (h >> 12) & 0xF, (h >> 10) & 3
    if kbps_i in (0, 15) or rate_i == 3:
        raise AudioError(f"bad MP3 bitrate/rate at byte {pos}", fix="delete the file to re-encode it")
    kbps, rate = MPEG1_L3_KBPS[kbps_i], _MP3_RATES[rate_i]
    side = pos + 4 + (0 if (h >> 16) & 1 else 2)  # protection bit 0 means a 2-byte CRC follows
    if side + 2 > len(data):
        raise AudioError(f"truncated MP3 frame at byte {pos}", fix="delete the file to re-encode it")
    main_data_begin = int.from_bytes(data[side : side + 2], "big") >> 7
    return Mp3Header(
        kbps, rate, (h >> 6) & 3 == 3, 144 * kbps * 1000 // rate + ((h >> 9) & 1), main_data_begin
    )


def split_mp3_frames(data: bytes) -> list[bytes]:
    """The MPEG-1 Layer III frames of ``data`` (no tags); AudioError on anything else or a cut frame."""
    frames, pos = [], 0
    while pos < len(data):
        n = parse_mp3_header(data, pos).length
        if pos + n > len(data):
            raise AudioError(f"truncated MP3 frame at byte {pos}", fix="delete the file to re-encode it")
        frames.append(data[pos : pos + n])
        pos += n
    return frames


def split_adts_frames(data: bytes) -> list[bytes]:
    """The ADTS frames of ``data``; AudioError on anything else or a cut frame."""
    frames, pos = [], 0
    while pos < len(data):
        n = adts_frame_length(data, pos)
        if pos + n > len(data):
            raise AudioError(f"truncated ADTS frame at byte {pos}", fix="delete the file to re-encode it")
        frames.append(data[pos : pos + n])
        pos += n
    return frames


@dataclass(frozen=True)
class _Codec:
    name: str
    frame: int
    delay: int
    args: Callable[[int], list[str]]
    split: Callable[[bytes], list[bytes]]

    @property
    def pre(self) -> int:
        # the kept frames start exactly at the block: pre + delay == LEAD_FRAMES whole frames
        return LEAD_FRAMES * self.frame - self.delay


def _mp3_args(kbps: int) -> list[str]:
    if kbps not in MPEG1_L3_KBPS[1:]:
        # LAME would silently round to a legal rate, and the frames would not carry ``kbps``
        raise AudioError(
            f"{kbps} kbps is not an MPEG-1 Layer III bitrate",
            field="kbps",
            fix=f"use one of {', '.join(map(str, MPEG1_L3_KBPS[1:]))}",
        )
    # -reservoir 0: every frame self-contained; no Xing/Info frame and no ID3 so only audio frames come out
    return [
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{kbps}k",
        "-reservoir",
        "0",
        "-write_xing",
        "0",
        "-id3v2_version",
        "0",
        "-f",
        "mp3",
    ]


def _aac_args(kbps: int) -> list[str]:
    return ["-c:a", "aac", "-b:a", f"{kbps}k", "-f", "adts"]


_CODECS = {
    "mp3": _Codec("mp3", MP3_FRAME, MP3_DELAY, _mp3_args, split_mp3_frames),
    "aac": _Codec("aac", AAC_FRAME, AAC_DELAY, _aac_args, split_adts_frames),
}


def _codec(name: str) -> _Codec:
    if name not in _CODECS:
        raise AudioError(f"unknown block codec {name!r}", field="codec", fix="use 'mp3' or 'aac'")
    return _CODECS[name]


def _context(x: Audio, pre: int, post: int) -> Audio:
    """``x`` between ``pre`` and ``post`` samples of silence. At a junction the decoder overlaps the
    previous block's post-context with this block's pre-context; silence there gives less junction
    error than the block's mirrored edges for both codecs, and it is what the decoder assumes
    before the first block of a chapter anyway."""
    return np.concatenate([np.zeros(pre, np.float32), x, np.zeros(post, np.float32)])


def _pipe_ffmpeg(args: list[str], data: bytes, what: str) -> bytes:
    """ffmpeg with ``data`` on stdin, returning stdout; AudioError with stderr's tail on failure."""
    with ffmpeg_slots:
        proc = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args, "pipe:1"],
            input=data,
            capture_output=True,
            check=False,  # a failure becomes an AudioError with ffmpeg's own words
        )
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace")[-1500:].strip()
        raise AudioError(
            f"ffmpeg failed encoding {what} (exit {proc.returncode}): {tail}", fix="check the input audio"
        )
    return proc.stdout


def _encode_block(audio: Audio, codec: _Codec, kbps: int) -> bytes:
    x = as_mono_float32(audio, what=f"{codec.name} block")
    if x.size == 0 or x.size % codec.frame:
        raise AudioError(
            f"{codec.name} block has {x.size} samples, not a positive multiple of {codec.frame}",
            fix=f"pad blocks to a multiple of GRID = {GRID} samples",
        )
    padded = np.clip(_context(x, codec.pre, TAIL_FRAMES * codec.frame), -1.0, 1.0)
    raw = [
        "-f",
        "f32le",
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-map_metadata",
        "-1",
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        "1",
    ]
    out = codec.split(
        _pipe_ffmpeg([*raw, *codec.args(kbps)], padded.astype("<f4").tobytes(), f"a {codec.name} block")
    )
    n = x.size // codec.frame
    kept = out[LEAD_FRAMES : LEAD_FRAMES + n]
    if len(kept) != n:
        raise AudioError(
            f"{codec.name} encoder returned {len(out)} frames, need {LEAD_FRAMES + n}",
            fix="check the ffmpeg build (imageio-ffmpeg)",
        )
    return b"".join(kept)


def encode_mp3_block(audio: Audio, *, kbps: int = 192) -> bytes:
    """Exactly len/1152 MPEG-1 Layer III CBR frames (44.1 kHz mono, no reservoir, no tags) whose
    decoding is the block's samples, sample-aligned; ``audio`` is float32 mono at 44.1 kHz."""
    return _encode_block(audio, _CODECS["mp3"], kbps)


def encode_aac_block(audio: Audio, *, kbps: int = 64) -> bytes:
    """Exactly len/1024 ADTS AAC-LC frames (44.1 kHz mono, no priming) whose decoding is the block's
    samples, sample-aligned; ``audio`` is float32 mono at 44.1 kHz."""
    return _encode_block(audio, _CODECS["aac"], kbps)


def encode_block(audio: Audio, codec: str, *, kbps: int) -> bytes:
    """:func:`encode_mp3_block` or :func:`encode_aac_block` by name ("mp3" | "aac")."""
    return _encode_block(audio, _codec(codec), kbps)


def frame_samples(codec: str) -> int:
    """Samples per frame of ``codec`` (1152 for "mp3", 1024 for "aac")."""
    return _codec(codec).frame


def holds_frames(codec: str, data: bytes, frames: int, kbps: int) -> bool:
    """``data`` is exactly ``frames`` whole frames of ``codec`` at ``kbps`` (a stored block is checked
    before it is reused). CBR MP3 frames are walked by their padding bit alone after the first
    header is parsed (a frame is 144*kbps*1000/44100 bytes plus that bit; each frame's sync and
    bitrate bytes must match the first's), ~10x cheaper than parsing every header."""
    try:
        if codec != "mp3":
            return len(_codec(codec).split(data)) == frames
        head = parse_mp3_header(data)
    except AudioError:
        return False
    if head.kbps != kbps:
        return False
    base, pos, count = 144 * kbps * 1000 // SAMPLE_RATE, 0, 0
    sync, rate_byte = data[:2], data[2] & 0xFC  # bitrate + rate bits, not padding/private
    while pos + 4 <= len(data) and data[pos : pos + 2] == sync and data[pos + 2] & 0xFC == rate_byte:
        pos += base + ((data[pos + 2] >> 1) & 1)
        count += 1
    return pos == len(data) and count == frames


def _id3_bytes(tags: Id3Tags | TrackTags) -> bytes:
    """An ID3v2.3 tag with the fields export_mp3 writes (title, artist, album artist, album, genre,
    track, date); the book's full ID3v2.4 tag for a ``tags.TrackTags`` (cover, narrator, ...)."""
    if isinstance(tags, TrackTags):
        return id3_bytes(tags)
    from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TRCK

    tag = ID3()
    for frame in (
        TIT2(encoding=3, text=tags.title),
        TPE1(encoding=3, text=tags.artist),
        TPE2(encoding=3, text=tags.artist),
        TALB(encoding=3, text=tags.album),
        TCON(encoding=3, text=tags.genre),
    ):
        tag.add(frame)
    if tags.track is not None:
        tag.add(
            TRCK(encoding=3, text=f"{tags.track}/{tags.track_total}" if tags.track_total else str(tags.track))
        )
    if tags.year:
        tag.add(TDRC(encoding=3, text=tags.year))  # saved as TYER in v2.3
    buf = io.BytesIO()
    tag.save(buf, v2_version=3, padding=lambda info: 0)
    return buf.getvalue()


def _write_stream(path: str | Path, head: bytes, frames: Iterable[bytes], suffix: str) -> Path:
    final = Path(path)
    with atomic_path(final, suffix=suffix) as tmp, open(tmp, "wb") as fh:
        fh.write(head)
        for chunk in frames:
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    return final


def write_mp3(
    path: str | Path,
    frames: Iterable[bytes],
    tags: Id3Tags | TrackTags | None = None,
    *,
    frame_count: int | None = None,
) -> Path:
    """An .mp3 file: ID3v2.3 ``tags`` (if any), an "Info" frame, then the MP3 ``frames`` (e.g.
    encoded blocks), atomic. ``frame_count``: the frames in ``frames`` when the caller knows it
    (blocks: samples / 1152), else they are counted."""
    chunks = [bytes(c) for c in frames]
    count = frame_count if frame_count is not None else sum(len(split_mp3_frames(c)) for c in chunks)
    head = (_id3_bytes(tags) if tags is not None else b"") + _info_frame(chunks, count)
    return _write_stream(path, head, chunks, ".mp3")


def _info_frame(chunks: Sequence[bytes], audio_frames: int) -> bytes:
    """A silent frame carrying the "Info" tag (frame and byte counts): what LAME writes at the head
    of a CBR file, so players and checkers read the stream as CBR with its exact length.
    Decoders that know the tag (ffmpeg, mutagen, browsers) skip it; it has no LAME delay field
    because the blocks carry no encoder delay."""
    first = next((c for c in chunks if c), b"")
    if not first:
        return b""
    h = int.from_bytes(first[:4], "big") | (1 << 16)  # no CRC
    h &= ~(1 << 9)  # no padding byte
    info = parse_mp3_header(h.to_bytes(4, "big") + bytes(2))
    side = 17 if info.mono else 32  # MPEG-1 side info, all zero: a silent frame
    body = (
        b"Info"
        + (3).to_bytes(4, "big")
        + audio_frames.to_bytes(4, "big")
        + (info.length + sum(map(len, chunks))).to_bytes(4, "big")
    )  # the Info frame counts in bytes, not frames
    frame = h.to_bytes(4, "big") + bytes(side) + body
    return frame + bytes(info.length - len(frame))


def write_adts(path: str | Path, frames: Iterable[bytes]) -> Path:
    """An ADTS .aac file of the concatenated ``frames`` (what mux_m4b puts in the book), atomic."""
    return _write_stream(path, b"", frames, ".aac")
