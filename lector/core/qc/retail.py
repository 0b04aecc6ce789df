"""The book's retail rules (lector.core.profiles.RetailRules) checked on what a render delivered.

The chapter signal rules (level, peaks, noise floor, room tone, chapter length) are checked per
chapter (qc.profile.rule_checks); these are the rules of the book as a whole: opening and closing
credits (chapters from ingest.credits), the MP3 bitrate, the sample rate, the book's length and the
cover. Every rule of the profile is reported, pass or fail, as a ProfileCheck with its ``rule``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..audio.cover import Cover
from ..profiles import Profile, get_profile
from .report import ProfileCheck

CREDITS_SOURCE = "manuscript/credits"  # ingest.credits.SOURCE


@dataclass(frozen=True)
class BookPart:
    """One chapter of the delivered book."""

    index: int
    title: str
    source: str
    duration_s: float


@dataclass(frozen=True)
class Delivery:
    """What was delivered, as the rules need it."""

    chapters: tuple[BookPart, ...]
    formats: tuple[str, ...]
    mp3_kbps: int
    sample_rate: int
    cover: Cover | None


def book_checks(profile: Profile | str, book: Delivery) -> tuple[ProfileCheck, ...]:
    """Every book rule of ``profile``, pass or fail (see the module doc)."""
    p = get_profile(profile) if isinstance(profile, str) else profile
    rules, out = p.retail, []

    def add(rule: str, ok: bool, value: float | None, detail: str) -> None:
        out.append(ProfileCheck(p.name, ok, value, f"{rules.label}: {detail}", rule))

    if rules.credits:
        first = book.chapters[0] if book.chapters else None
        last = book.chapters[-1] if book.chapters else None
        add(
            "opening_credits",
            bool(first and first.source == CREDITS_SOURCE),
            None,
            "opening credits present"
            if first and first.source == CREDITS_SOURCE
            else "no opening credits chapter (set [credits] opening = true)",
        )
        add(
            "closing_credits",
            bool(last and last.source == CREDITS_SOURCE and len(book.chapters) > 1),
            None,
            "closing credits present"
            if last and last.source == CREDITS_SOURCE
            else "no closing credits chapter (set [credits] closing = true)",
        )
    if rules.mp3_min_kbps is not None and "mp3" in book.formats:
        ok = book.mp3_kbps >= rules.mp3_min_kbps
        add(
            "mp3_bitrate",
            ok,
            float(book.mp3_kbps),
            f"MP3 CBR {book.mp3_kbps} kbps {'at or above' if ok else 'below'} {rules.mp3_min_kbps} kbps",
        )
    ok = book.sample_rate == p.sample_rate
    add(
        "sample_rate",
        ok,
        float(book.sample_rate),
        f"{book.sample_rate} Hz {'=' if ok else '!='} {p.sample_rate} Hz",
    )
    if rules.book_s is not None:
        total = sum(c.duration_s for c in book.chapters)
        lo, hi = rules.book_s
        ok = lo <= total <= hi
        add(
            "book_length",
            ok,
            round(total, 3),
            f"book {total / 60:.1f} min {'inside' if ok else 'outside'} {lo / 60:g}…{hi / 60:g} min",
        )
    if rules.cover_px is not None or rules.cover_square:
        out += _cover_checks(p, book.cover)
    return tuple(out)


def _cover_checks(p: Profile, cover: Cover | None) -> list[ProfileCheck]:
    rules = p.retail
    if cover is None:
        return [
            ProfileCheck(
                p.name,
                False,
                None,
                f"{rules.label}: no cover (add cover.jpg to the project "
                "folder, or use an EPUB with a cover image)",
                "cover",
            )
        ]
    out = []
    if rules.cover_square:
        ok = cover.width == cover.height
        out.append(
            ProfileCheck(
                p.name,
                ok,
                None,
                f"{rules.label}: cover {cover.source} is {cover.width} x "
                f"{cover.height} px, {'square' if ok else 'not square'}",
                "cover_square",
            )
        )
    if rules.cover_px is not None:
        lo, hi = rules.cover_px
        side = min(cover.width, cover.height)
        ok = lo <= side and max(cover.width, cover.height) <= hi
        limits = f"{lo}…{hi}" if hi < 99999 else f"at least {lo}"
        out.append(
            ProfileCheck(
                p.name,
                ok,
                float(side),
                f"{rules.label}: cover {cover.width} x {cover.height} px "
                f"({'within' if ok else 'not'} {limits} px)",
                "cover_size",
            )
        )
    return out
