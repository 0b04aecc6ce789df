"""Delivery profiles: loudness targets and limits a mastered chapter must meet.

``acx``      Audible/ACX: RMS -23…-18 dBFS (target -20), peak ≤ -3 dBFS (sample and
             4x true peak), noise floor ≤ -60 dBFS, 44.1 kHz, head 0.5–1 s,
             tail 1–5 s, at most 120 minutes per file.
``podcast``  -16 LUFS integrated (±1 LU), true peak ≤ -1 dBTP.
``ebu-r128`` -23 LUFS integrated (±0.5 LU), true peak ≤ -1 dBTP.
``apple-books`` / ``google-play``  the ACX level window (what Findaway, which delivers to Apple
             Books, asks), noise floor ≤ -60 dBFS, silence at the head and tail of every file;
             MP3 CBR ≥ 128 kbps mono, the book 5 minutes to 100 hours (Google Play's partner rules).

Besides the signal, each profile names the retailer's book rules (``RetailRules``): opening and
closing credits, the MP3 bitrate, the book's length and the cover (checked by
lector.core.qc.retail; the QC report says pass/fail per rule).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .errors import ConfigError


@dataclass(frozen=True)
class RetailRules:
    """What a retailer checks beyond the chapter signal (None / False: no such rule)."""

    label: str  # "ACX / Audible"
    credits: bool = False  # opening and closing credits required
    mp3_min_kbps: int | None = None  # CBR
    book_s: tuple[float, float] | None = None  # the whole book's length (min, max)
    cover_square: bool = False
    cover_px: tuple[int, int] | None = None  # the cover's side (min, max)


@dataclass(frozen=True)
class Profile:
    name: str
    level_kind: Literal["rms", "lufs"]  # what the gain stage normalises
    target_level: float  # dBFS RMS or LUFS
    min_level: float
    max_level: float
    peak_max_dbfs: float  # sample-peak ceiling
    true_peak_max_dbfs: float  # 4x oversampled ceiling
    noise_floor_max_dbfs: float | None = None
    sample_rate: int = 44100
    head_s: tuple[float, float] | None = None  # allowed leading room tone (min, max)
    tail_s: tuple[float, float] | None = None
    max_duration_s: float | None = None
    retail: RetailRules = RetailRules("no retailer")


ACX = Profile(
    name="acx",
    level_kind="rms",
    target_level=-20.0,
    min_level=-23.0,
    max_level=-18.0,
    peak_max_dbfs=-3.0,
    true_peak_max_dbfs=-3.0,
    noise_floor_max_dbfs=-60.0,
    sample_rate=44100,
    head_s=(0.5, 1.0),
    tail_s=(1.0, 5.0),
    max_duration_s=120 * 60.0,
    retail=RetailRules(
        "ACX / Audible", credits=True, mp3_min_kbps=192, cover_square=True, cover_px=(2400, 99999)
    ),
)
APPLE_BOOKS = replace(  # ACX's levels, longer head room, no chapter length limit
    ACX,
    name="apple-books",
    head_s=(0.5, 5.0),
    max_duration_s=None,
    retail=RetailRules(
        "Apple Books",
        credits=True,
        mp3_min_kbps=128,
        book_s=(5 * 60.0, 100 * 3600.0),
        cover_square=True,
        cover_px=(2400, 99999),
    ),
)
GOOGLE_PLAY = replace(
    APPLE_BOOKS, name="google-play", retail=replace(APPLE_BOOKS.retail, label="Google Play Books")
)
PODCAST = Profile(
    name="podcast",
    level_kind="lufs",
    target_level=-16.0,
    min_level=-17.0,
    max_level=-15.0,
    peak_max_dbfs=-1.0,
    true_peak_max_dbfs=-1.0,
    sample_rate=44100,
    retail=RetailRules("podcast (Apple Podcasts)", mp3_min_kbps=96, cover_square=True, cover_px=(1400, 3000)),
)
EBU_R128 = Profile(
    name="ebu-r128",
    level_kind="lufs",
    target_level=-23.0,
    min_level=-23.5,
    max_level=-22.5,
    peak_max_dbfs=-1.0,
    true_peak_max_dbfs=-1.0,
    sample_rate=44100,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (ACX, APPLE_BOOKS, GOOGLE_PLAY, PODCAST, EBU_R128)}


def get_profile(name: str) -> Profile:
    """Profile by name ("acx", "podcast", "ebu-r128")."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown mastering profile {name!r}",
            field="output.profile",
            fix=f"use one of {sorted(PROFILES)}",
        ) from None
