"""Mastering-profile checks of a chapter: from the master step's record, else by measuring chapter.flac.

Owns turning a profile's rules into :class:`ProfileCheck` rows and remembering the measured result
per (chapter.flac bytes, profile) in the QC cache, so QC does not measure a chapter twice.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..build import BuildDir
from .cache import QCCache, profile_key
from .report import ProfileCheck
from .take_audio import read_flac

if TYPE_CHECKING:
    from ..audio.measure import Measurements


def profile_checks(chapter_flac: Path, profile: str) -> tuple[ProfileCheck, ...]:
    """Mastering-profile checks of chapter.flac: one ProfileCheck per rule, pass or fail."""
    try:
        from ..audio.measure import measure
    except ImportError:
        return (ProfileCheck(profile, True, None, "qc:profile-check-unavailable"),)
    if not chapter_flac.is_file():
        return (ProfileCheck(profile, False, None, f"{chapter_flac.name} missing"),)
    audio, rate = read_flac(chapter_flac)
    return rule_checks(measure(audio, rate), profile)


def rule_checks(m: Measurements, profile: str) -> tuple[ProfileCheck, ...]:
    """One ProfileCheck per rule of ``profile`` (audio.profiles.profile_rules), pass or fail."""
    from ..audio.profiles import profile_rules

    return tuple(
        ProfileCheck(profile, r.ok, round(float(r.value), 3), r.detail, r.rule)
        for r in profile_rules(m, profile)
    )


def cached_profile(chapter_flac: Path, profile: str, cache: QCCache) -> tuple[ProfileCheck, ...]:
    """profile_checks(), remembered per (chapter.flac bytes, profile) in the QC cache."""
    if cache.root is None or not chapter_flac.is_file():
        return profile_checks(chapter_flac, profile)
    key = profile_key(profile, chapter_flac)
    entry = cache.load(key)
    try:
        return tuple(ProfileCheck(**p) for p in entry["profile"])
    except (KeyError, TypeError):
        pass
    checks = profile_checks(chapter_flac, profile)
    cache.store_extra(key, {"profile": [asdict(p) for p in checks]})
    return checks


def master_profile(build_dir: Path, index: int, profile: str) -> tuple[ProfileCheck, ...]:
    """Profile checks from the measurements the master step recorded for exactly the samples in
    chapter.flac (master.json), so QC does not read and measure the whole chapter again after a
    one-sentence edit; () when there is no such record (QC then measures chapter.flac)."""
    doc = BuildDir(build_dir).read_master_doc(index)
    if doc is None:
        return ()
    return rule_checks(doc.measured(), profile)
