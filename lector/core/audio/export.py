"""Delivery files: FLAC, WAV, MP3 (CBR + ID3), M4B (AAC + chapters + cover), WebVTT.

ffmpeg comes from ``imageio_ffmpeg.get_ffmpeg_exe()`` (no ffprobe there). Audio is
streamed to ffmpeg's stdin as raw float32 in blocks, so no temporary WAV is
written and memory stays flat. Every file is written to a temp name in the
destination folder and moved into place (``os.replace``). ffmpeg failures raise
AudioError carrying the tail of ffmpeg's stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from ..errors import AudioError
from ..fsutil import atomic_path, atomic_write_bytes
from .io import Audio, as_mono_float32, write_flac, write_wav
from .mp4mux import adts_table, write_m4b
from .tags import TrackTags, id3_bytes, m4b_items

STREAM_BLOCK = 1 << 18
# ffmpeg encodes at once in this process: each is ~30 MiB and CPU-bound, so more than the cores
# (capped at 4) only adds memory to a render's process tree, not speed
FFMPEG_JOBS = min(4, max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))
ffmpeg_slots = threading.BoundedSemaphore(FFMPEG_JOBS)
M4B_RATE = 44100


@dataclass(frozen=True)
class Id3Tags:
    title: str
    artist: str  # author / narrator
    album: str
    track: int | None = None
    track_total: int | None = None
    genre: str = "Audiobook"
    year: str | None = None


@dataclass(frozen=True)
class M4bChapter:
    title: str
    audio: str | Path | Audio  # a FLAC/WAV path or float32 mono at ``sample_rate``
    duration_s: float = 0.0  # informational; marks use the real sample counts
    sample_rate: int = M4B_RATE


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def export_flac(audio: Audio, sample_rate: int, path: str | Path) -> Path:
    """FLAC 24-bit, atomic."""
    return write_flac(path, audio, sample_rate)


def export_wav(audio: Audio, sample_rate: int, path: str | Path) -> Path:
    """WAV PCM 24-bit, atomic."""
    return write_wav(path, audio, sample_rate)


def _blocks(audio: Audio) -> Iterator[bytes]:
    for a in range(0, audio.size, STREAM_BLOCK):
        yield np.clip(audio[a : a + STREAM_BLOCK], -1.0, 1.0).astype("<f4", copy=False).tobytes()


def _run_ffmpeg(args: list[str], chunks: Iterable[bytes], what: str) -> None:
    """Run ffmpeg with raw audio chunks on stdin; AudioError with stderr's tail on failure."""
    with ffmpeg_slots, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-y", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        assert proc.stdin is not None  # stdin=PIPE
        broken = False
        try:
            for chunk in chunks:
                proc.stdin.write(chunk)
        except BrokenPipeError:
            broken = True
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                broken = True
        rc = proc.wait()
        if rc != 0 or broken:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-1500:]
            raise AudioError(
                f"ffmpeg failed writing {what} (exit {rc}): {tail.strip()}",
                fix="check the input audio and the output folder",
            )


def _raw_input(sample_rate: int) -> list[str]:
    return ["-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0"]


def export_mp3(
    audio: Audio,
    sample_rate: int,
    path: str | Path,
    *,
    kbps: int = 192,
    tags: Id3Tags | TrackTags | None = None,
) -> Path:
    """MP3 CBR ``kbps`` at 44.1 kHz mono with ID3v2.3 tags (``Id3Tags``) or the book's ID3v2.4 tag
    (``tags.TrackTags``: written with mutagen after encoding), atomic."""
    x = as_mono_float32(audio)
    book_tag = isinstance(tags, TrackTags)
    meta = _id3_args(tags) if isinstance(tags, Id3Tags) else []
    final = Path(path)
    with atomic_path(final, suffix=".mp3") as tmp:
        args = [
            *_raw_input(sample_rate),
            "-map_metadata",
            "-1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{kbps}k",
            "-ar",
            "44100",
            "-ac",
            "1",
            *meta,
            "-id3v2_version",
            "0" if book_tag else "3",
            "-f",
            "mp3",
            str(tmp),
        ]
        _run_ffmpeg(args, _blocks(x), str(final))
        if isinstance(tags, TrackTags):  # the tag in front, streamed (a long chapter's MP3 is large)
            with atomic_path(tmp) as tagged, open(tagged, "wb") as out, open(tmp, "rb") as src:
                out.write(id3_bytes(tags))
                shutil.copyfileobj(src, out, 1 << 20)
    return final


def _id3_args(tags: Id3Tags) -> list[str]:
    pairs = [
        ("title", tags.title),
        ("artist", tags.artist),
        ("album_artist", tags.artist),
        ("album", tags.album),
        ("genre", tags.genre),
    ]
    if tags.track is not None:
        pairs.append(("track", f"{tags.track}/{tags.track_total}" if tags.track_total else str(tags.track)))
    if tags.year:
        pairs.append(("date", tags.year))
    return [a for k, v in pairs for a in ("-metadata", f"{k}={v}")]


def _escape_meta(value: str) -> str:
    out = value
    for ch in ("\\", "=", ";", "#", "\n"):
        out = out.replace(ch, "\\" + ch)
    return out


def ffmetadata(
    titles: Sequence[str], samples: Sequence[int], sample_rate: int, *, title: str, author: str
) -> str:
    """FFMETADATA1 text with one [CHAPTER] per title (times in ms, from sample counts)."""
    lines = [
        ";FFMETADATA1",
        f"title={_escape_meta(title)}",
        f"artist={_escape_meta(author)}",
        f"album={_escape_meta(title)}",
        f"album_artist={_escape_meta(author)}",
        "genre=Audiobook",
    ]
    pos = 0
    for name, n in zip(titles, samples, strict=True):
        start_ms, end_ms = pos * 1000 // sample_rate, (pos + n) * 1000 // sample_rate
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={start_ms}",
            f"END={end_ms}",
            f"title={_escape_meta(name)}",
        ]
        pos += n
    return "\n".join(lines) + "\n"


def _chapter_samples(ch: M4bChapter) -> int:
    if isinstance(ch.audio, np.ndarray):
        n = ch.audio.size
        return n if ch.sample_rate == M4B_RATE else round(n * M4B_RATE / ch.sample_rate)
    info = sf.info(str(ch.audio))
    frames, rate = int(info.frames), int(info.samplerate)
    return frames if rate == M4B_RATE else round(frames * M4B_RATE / rate)


def _chapter_chunks(chapters: Sequence[M4bChapter], samples: Sequence[int]) -> Iterator[bytes]:
    """Each chapter's audio at 44.1 kHz, exactly ``samples[i]`` long (padded/cut by a few samples)."""
    for ch, n in zip(chapters, samples, strict=True):
        if isinstance(ch.audio, np.ndarray):
            x = as_mono_float32(ch.audio)
            rate = ch.sample_rate
        else:
            with sf.SoundFile(str(ch.audio)) as fh:
                rate = fh.samplerate
                if rate == M4B_RATE and fh.channels == 1:
                    for block in fh.blocks(STREAM_BLOCK, dtype="float32"):
                        yield from _blocks(block)
                    continue
                x = fh.read(dtype="float32", always_2d=True).mean(axis=1).astype(np.float32)
        if rate != M4B_RATE:
            x = soxr.resample(x, rate, M4B_RATE).astype(np.float32)
        x = x[:n] if x.size >= n else np.concatenate([x, np.zeros(n - x.size, np.float32)])
        yield from _blocks(x)


def export_m4b(
    chapters: Sequence[M4bChapter | tuple[Any, ...]],
    path: str | Path,
    *,
    title: str,
    author: str,
    cover: str | Path | None = None,
    kbps: int = 64,
) -> Path:
    """AAC ``kbps`` mono in an .m4b (ipod muxer) with chapter marks, title/author tags and cover art."""
    chs = [c if isinstance(c, M4bChapter) else M4bChapter(*c) for c in chapters]
    if not chs:
        raise AudioError("no chapters to put in the m4b", fix="render at least one chapter first")
    samples = [_chapter_samples(c) for c in chs]
    final = Path(path)
    with (
        tempfile.TemporaryDirectory(prefix="lector-m4b-") as tmpdir,
        atomic_path(final, suffix=".m4b") as tmp,
    ):
        meta = Path(tmpdir) / "chapters.txt"
        meta.write_text(
            ffmetadata([c.title for c in chs], samples, M4B_RATE, title=title, author=author),
            encoding="utf-8",
        )
        args = [*_raw_input(M4B_RATE), "-f", "ffmetadata", "-i", str(meta)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if cover is not None:
            args, maps = [*args, "-i", str(_cover_file(cover))], maps + _COVER_MAPS
        args += [
            *maps,
            "-c:a",
            "aac",
            "-b:a",
            f"{kbps}k",
            "-ac",
            "1",
            "-movflags",
            "+faststart",
            "-f",
            "ipod",
            str(tmp),
        ]
        _run_ffmpeg(args, _chapter_chunks(chs, samples), str(final))
    return final


# the cover is ffmpeg's third input (audio, chapter metadata, cover) and goes in as attached art
_COVER_MAPS = ["-map", "2:v", "-c:v", "copy", "-disposition:v:0", "attached_pic"]


def _cover_file(cover: str | Path) -> Path:
    cov = Path(cover)
    if not cov.is_file():
        raise AudioError("cover image not found", file=cov, fix="add cover.jpg or drop the cover")
    return cov


AAC_FRAME = 1024  # samples per AAC frame


def encode_aac(chapter: M4bChapter, path: str | Path, *, kbps: int = 64) -> Path:
    """One chapter's AAC-LC (ADTS, 44.1 kHz mono, ``kbps``), atomic: encoded once per chapter master,
    then put into the book frame for frame by :func:`mux_m4b`."""
    final = Path(path)
    with atomic_path(final, suffix=".aac") as tmp:
        args = [*_raw_input(M4B_RATE), "-c:a", "aac", "-b:a", f"{kbps}k", "-ac", "1", "-f", "adts", str(tmp)]
        _run_ffmpeg(args, _chapter_chunks([chapter], [_chapter_samples(chapter)]), str(final))
    return final


def adts_samples(path: str | Path) -> int:
    """Samples (at the stream rate) in an ADTS file: 1024 per frame (mp4mux.adts_table, worked out
    once per file identity)."""
    return adts_table(path).frames * AAC_FRAME


def mux_m4b(
    chapters: Sequence[tuple[str, str | Path]],
    path: str | Path,
    *,
    title: str,
    author: str,
    cover: str | Path | None = None,
    tags: TrackTags | None = None,
) -> Path:
    """An .m4b from per-chapter ADTS files (``(title, aac path)``) without re-encoding: their AAC
    frames back to back, chapter marks at each part's first sample, title/author tags and cover
    art (mp4mux.write_m4b: the layout of ffmpeg's ipod muxer, without its per-frame cost); with
    ``tags``, the book's full tag set and checked cover (tags.m4b_items) instead."""
    if tags is not None:
        return write_m4b(path, chapters, title=tags.title, author=tags.book.author, items=m4b_items(tags))
    if cover is not None:
        _cover_file(cover)
    return write_m4b(path, chapters, title=title, author=author, cover=cover)


def vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def vtt_text(timeline: Sequence[object]) -> str:
    """WebVTT for a timeline: rows with ``start_s``, ``end_s`` and ``text`` (dicts or objects)."""
    lines = ["WEBVTT", ""]
    for i, row in enumerate(timeline, 1):
        text = " ".join(str(_field(row, "text")).split()).replace("-->", "->")
        lines += [
            str(i),
            f"{vtt_time(_field(row, 'start_s'))} --> {vtt_time(_field(row, 'end_s'))}",
            text,
            "",
        ]
    return "\n".join(lines)


def _field(row: object, key: str) -> Any:
    return row.get(key) if isinstance(row, dict) else getattr(row, key)


def export_vtt(timeline: Sequence[object] | dict[str, Any], path: str | Path) -> Path:
    """WebVTT subtitles from a timeline (the timeline.json dict or its ``sentences`` list), atomic."""
    rows = timeline["sentences"] if isinstance(timeline, dict) else timeline
    atomic_write_bytes(path, vtt_text(rows).encode("utf-8"))
    return Path(path)
