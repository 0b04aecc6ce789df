"""Waveform and loudness of a built chapter, against its delivery profile (for the review app).

    levels = chapter_levels(chapter_flac, rows, "acx")      # rows: the timeline's sentences
    levels = cached_chapter_levels(chapter_flac, rows, "acx", cache_dir)   # kept by content in cache_dir

Read once, block by block (one second at a time), so an hour-long chapter costs a few MB beyond
the result. What is measured, on the mastered ``chapter.flac`` (what listeners hear and what the
profile judges):

- per sentence (its timeline span, sample-exact): the level in the profile's unit (RMS dBFS for
  ACX-style profiles, BS.1770 integrated LUFS for the others), the sample peak in dBFS, and
  ``bars``: the sample peak of each of ``BARS_PER_SENTENCE`` equal slices, 0–255 of full scale;
  ``problems`` names each limit of the profile the sentence is outside of. A sentence is short,
  so its level is an indication: the profile itself judges the whole chapter.
- per paragraph (rows carrying the same ``paragraph`` one after another): the same figures over
  the span from its first sentence's start to its last one's end (the pauses between its
  sentences included, as the profile measures a chapter), ``BARS_PER_PARAGRAPH`` bars.
- per second: ``curve`` (RMS dBFS of that second; for LUFS profiles the short-term loudness,
  the 3 s window ending with that second) and ``peaks_dbfs`` (that second's sample peak).

Values below -120 dB (digital silence) read -120.0, as in ``measure``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, astuple, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.signal as ss
import soundfile as sf

from ..errors import AudioError
from ..fsutil import atomic_write_text
from ..hashing import file_digest
from ..profiles import Profile, get_profile
from .measure import FLOOR_DB, db, integrated_loudness, k_weighting_sos, power_db

WAVEFORM_VERSION = "levels2"  # change when what is measured changes: old cache files are not read
BARS_PER_SENTENCE = 96
BARS_PER_PARAGRAPH = 240
SHORT_TERM_S = 3  # EBU Tech 3341 short-term loudness window
BLOCK_S = 10  # seconds decoded at a time
Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SentenceLevel:
    id: str
    start_s: float
    end_s: float
    level: float  # in the profile's unit (ChapterLevels.level_unit)
    peak_dbfs: float
    bars: tuple[int, ...]  # sample peak per slice, 0..255 of full scale
    problems: tuple[str, ...]  # "level -25.10 below -23", "peak -1.20 above -3"


@dataclass(frozen=True)
class ParagraphLevel:
    index: int  # the rows' ``paragraph`` value
    sentence_ids: tuple[str, ...]
    start_s: float
    end_s: float
    level: float
    peak_dbfs: float
    bars: tuple[int, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ChapterLevels:
    profile: str
    level_unit: str  # "dBFS RMS" | "LUFS"
    min_level: float
    max_level: float
    peak_max_dbfs: float
    sample_rate: int
    duration_s: float
    curve: tuple[float, ...]  # one value per second, in level_unit
    peaks_dbfs: tuple[float, ...]  # one value per second
    sentences: tuple[SentenceLevel, ...]
    paragraphs: tuple[ParagraphLevel, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChapterLevels:
        rows = tuple(
            SentenceLevel(**{**s, "bars": tuple(s["bars"]), "problems": tuple(s["problems"])})
            for s in data["sentences"]
        )
        paragraphs = tuple(
            ParagraphLevel(
                **{
                    **g,
                    "sentence_ids": tuple(g["sentence_ids"]),
                    "bars": tuple(g["bars"]),
                    "problems": tuple(g["problems"]),
                }
            )
            for g in data["paragraphs"]
        )
        return cls(
            **{
                **data,
                "curve": tuple(data["curve"]),
                "peaks_dbfs": tuple(data["peaks_dbfs"]),
                "sentences": rows,
                "paragraphs": paragraphs,
            }
        )


@dataclass(frozen=True)
class _Span:
    id: str
    start: int  # samples
    end: int
    paragraph: int | None = None
    bars: int = BARS_PER_SENTENCE


def _spans(rows: Sequence[dict[str, Any]], rate: int, bars: int) -> list[_Span]:
    spans = []
    for row in rows:
        start, end = round(float(row["start_s"]) * rate), round(float(row["end_s"]) * rate)
        para = row.get("paragraph")
        spans.append(
            _Span(
                str(row["id"]), max(0, start), max(0, start, end), None if para is None else int(para), bars
            )
        )
    return sorted(spans, key=lambda s: (s.start, s.end))


def _paragraph_groups(spans: Sequence[_Span]) -> list[list[_Span]]:
    """Runs of sentence spans (in time order) with the same paragraph; rows without one: none."""
    groups: list[list[_Span]] = []
    for s in spans:
        if s.paragraph is None:
            continue
        if groups and groups[-1][-1].paragraph == s.paragraph:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def _mono_blocks(f: sf.SoundFile, seconds: int = BLOCK_S) -> Iterator[Samples]:
    """Whole seconds of mono float32 (read in order: SoundFile.blocks seeks before every block)."""
    while True:
        block = f.read(seconds * f.samplerate, dtype="float32", always_2d=True)
        if len(block) == 0:
            return
        yield block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)


def chapter_levels(
    path: str | Path,
    rows: Sequence[dict[str, Any]],
    profile: Profile | str,
    *,
    bars: int = BARS_PER_SENTENCE,
    paragraph_bars: int = BARS_PER_PARAGRAPH,
) -> ChapterLevels:
    """Levels of the audio file ``path``; ``rows`` carry ``id``, ``start_s``, ``end_s`` (a timeline's
    ``sentences``) and optionally ``paragraph`` (its index in the chapter)."""
    p = get_profile(profile) if isinstance(profile, str) else profile
    try:
        f = sf.SoundFile(str(path))
    except (OSError, RuntimeError) as exc:
        raise AudioError(f"cannot read {path}: {exc}", fix="render the chapter again") from exc
    with f:
        rate = int(f.samplerate)
        spans = _spans(rows, rate, bars)
        groups = _paragraph_groups(spans)
        paras = [
            _Span(str(g[0].paragraph), g[0].start, max(s.end for s in g), bars=paragraph_bars) for g in groups
        ]
        curve = _Curve(rate, p.level_kind == "lufs")
        measured = _measure(_mono_blocks(f), spans + paras, curve, rate, p)
    return ChapterLevels(
        profile=p.name,
        level_unit="LUFS" if p.level_kind == "lufs" else "dBFS RMS",
        min_level=p.min_level,
        max_level=p.max_level,
        peak_max_dbfs=p.peak_max_dbfs,
        sample_rate=rate,
        duration_s=round(curve.samples / rate, 3),
        curve=tuple(curve.levels),
        peaks_dbfs=tuple(curve.peaks),
        sentences=tuple(measured[: len(spans)]),
        paragraphs=tuple(
            ParagraphLevel(int(m.id), tuple(s.id for s in g), *astuple(m)[1:])
            for g, m in zip(groups, measured[len(spans) :], strict=True)
        ),
    )


def _measure(
    blocks: Iterator[Samples], spans: Sequence[_Span], curve: _Curve, rate: int, p: Profile
) -> list[SentenceLevel]:
    """Each span's levels (in the order given; spans may overlap), feeding ``curve`` on the way."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end))
    pieces: dict[int, list[Samples]] = {}
    done: dict[int, SentenceLevel] = {}
    pos, first_open = 0, 0
    for x in blocks:
        curve.add(x)
        end = pos + len(x)
        for k in range(first_open, len(order)):
            i = order[k]
            s = spans[i]
            if s.start >= end:
                break
            if s.end > pos:
                pieces.setdefault(i, []).append(x[max(s.start - pos, 0) : min(s.end, end) - pos])
            if s.end <= end and i not in done:
                done[i] = _sentence(s, _join(pieces.pop(i, [])), rate, p, s.bars)
        while first_open < len(order) and order[first_open] in done:
            first_open += 1
        pos = end
    for i, s in enumerate(spans):  # spans past the end of the file: what there was of them
        if i not in done:
            done[i] = _sentence(s, _join(pieces.pop(i, [])), rate, p, s.bars)
    return [done[i] for i in range(len(spans))]


def _join(parts: list[Samples]) -> Samples:
    if not parts:
        return np.zeros(0, np.float32)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


class _Curve:
    """Per-second level and peak, fed one-second blocks in order."""

    def __init__(self, rate: int, lufs: bool) -> None:
        self.rate = rate
        self.sos = k_weighting_sos(rate) if lufs else None
        self.zi = np.zeros((self.sos.shape[0], 2)) if self.sos is not None else None
        self.k_power: list[float] = []  # K-weighted mean square per second
        self.levels: list[float] = []
        self.peaks: list[float] = []
        self.samples = 0

    def add(self, block: Samples) -> None:
        self.samples += len(block)
        for start in range(0, len(block), self.rate):
            self._second(block[start : start + self.rate])

    def _second(self, x: Samples) -> None:
        self.peaks.append(round(db(float(np.max(np.abs(x)))), 2))
        if self.sos is None:
            self.levels.append(round(power_db(_mean_square(x)), 2))
            return
        y, self.zi = ss.sosfilt(self.sos, x.astype(np.float64), zi=self.zi)
        self.k_power.append(float(np.mean(y * y)))
        window = self.k_power[-SHORT_TERM_S:]
        mean_square = sum(window) / len(window)
        self.levels.append(round(max(FLOOR_DB, -0.691 + power_db(mean_square)), 2))


def _mean_square(x: Samples) -> float:
    # not np.dot: a BLAS call per second is slow when its threads contend for a busy CPU
    return float(np.mean(np.square(x, dtype=np.float64)))


def _sentence(s: _Span, x: Samples, rate: int, p: Profile, bars: int) -> SentenceLevel:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if p.level_kind == "lufs":
        level = integrated_loudness(x, rate) if len(x) else FLOOR_DB
    else:
        level = power_db(_mean_square(x)) if len(x) else FLOOR_DB
    level, peak_dbfs = round(level, 2), round(db(peak), 2)
    problems = []
    if level < p.min_level:
        problems.append(f"level {level:.2f} below {p.min_level:g}")
    elif level > p.max_level:
        problems.append(f"level {level:.2f} above {p.max_level:g}")
    if peak_dbfs > p.peak_max_dbfs:
        problems.append(f"peak {peak_dbfs:.2f} above {p.peak_max_dbfs:g}")
    return SentenceLevel(
        id=s.id,
        start_s=round(s.start / rate, 3),
        end_s=round(s.end / rate, 3),
        level=level,
        peak_dbfs=peak_dbfs,
        bars=bar_peaks(x, bars),
        problems=tuple(problems),
    )


def bar_peaks(x: Samples, bars: int = BARS_PER_SENTENCE) -> tuple[int, ...]:
    """Sample peak of each of ``bars`` equal slices of ``x`` (fewer when ``x`` is shorter), 0..255."""
    n = min(bars, len(x))
    if n == 0:
        return ()
    edges = np.linspace(0, len(x), n + 1).astype(np.int64)[:-1]
    peaks = np.maximum.reduceat(np.abs(x), edges)
    return tuple(int(v) for v in np.clip(np.round(peaks * 255), 0, 255))


# ---------------------------------------------------------------- cache by content


def cache_key(audio_digest: str, rows: Sequence[dict[str, Any]], profile: str, bars: int) -> str:
    spans = [[str(r["id"]), float(r["start_s"]), float(r["end_s"]), r.get("paragraph")] for r in rows]
    ident = json.dumps([WAVEFORM_VERSION, audio_digest, profile, bars, spans], separators=(",", ":"))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()


def cached_chapter_levels(
    path: Path,
    rows: Sequence[dict[str, Any]],
    profile: str,
    cache_dir: Path,
    *,
    bars: int = BARS_PER_SENTENCE,
) -> ChapterLevels:
    """:func:`chapter_levels`, measured once per content (the audio's sha256, the spans, the
    profile) and kept as ``cache_dir/<key>.json``."""
    try:
        digest = file_digest(path)
    except OSError as exc:
        raise AudioError(f"cannot read {path}: {exc.strerror}", fix="render the chapter again") from exc
    cached = Path(cache_dir) / f"{cache_key(digest, rows, profile, bars)}.json"
    try:
        return ChapterLevels.from_json(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not measured yet (or an unreadable file): measure again
    levels = chapter_levels(path, rows, profile, bars=bars)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cached, json.dumps(levels.to_json(), separators=(",", ":")), fsync=False)
    except OSError:
        pass  # a read-only build folder only costs measuring again
    return levels
