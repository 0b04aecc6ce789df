"""A mastered chapter's measurements checked against its delivery profile (lector.core.profiles),
one :class:`RuleResult` per signal rule, pass or fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..profiles import Profile, get_profile

if TYPE_CHECKING:
    from .measure import Measurements


@dataclass(frozen=True)
class RuleResult:
    """One rule of a profile, checked: ``detail`` says the value against the limit either way."""

    rule: str  # level | peak | true_peak | noise_floor | head_room_tone | tail_room_tone | chapter_length
    ok: bool
    value: float
    detail: str


def profile_rules(m: Measurements, profile: Profile | str) -> tuple[RuleResult, ...]:
    """Every signal rule of ``profile`` applied to a chapter's measurements, pass or fail."""
    p = get_profile(profile) if isinstance(profile, str) else profile
    level_value, unit = (m.rms_dbfs, "dBFS RMS") if p.level_kind == "rms" else (m.lufs_integrated, "LUFS")
    out = [
        _window("level", level_value, (p.min_level, p.max_level), f"level {level_value:.2f} {unit}", ""),
        _ceiling("peak", m.peak_dbfs, p.peak_max_dbfs, f"peak {m.peak_dbfs:.2f} dBFS"),
        _ceiling(
            "true_peak", m.true_peak_dbfs, p.true_peak_max_dbfs, f"true peak {m.true_peak_dbfs:.2f} dBTP"
        ),
    ]
    if p.noise_floor_max_dbfs is not None:
        out.append(
            _ceiling(
                "noise_floor",
                m.noise_floor_dbfs,
                p.noise_floor_max_dbfs,
                f"noise floor {m.noise_floor_dbfs:.2f} dBFS",
            )
        )
    if p.head_s is not None:
        out.append(_window("head_room_tone", m.head_s, p.head_s, f"head room tone {m.head_s:.2f} s", " s"))
    if p.tail_s is not None:
        out.append(_window("tail_room_tone", m.tail_s, p.tail_s, f"tail room tone {m.tail_s:.2f} s", " s"))
    if p.max_duration_s is not None:
        ok = m.duration_s <= p.max_duration_s
        out.append(
            RuleResult(
                "chapter_length",
                ok,
                m.duration_s,
                f"duration {m.duration_s / 60:.1f} min "
                f"{'within' if ok else 'above'} {p.max_duration_s / 60:g} min",
            )
        )
    return tuple(out)


def _window(rule: str, value: float, limits: tuple[float, float], what: str, unit: str) -> RuleResult:
    ok = limits[0] <= value <= limits[1]
    return RuleResult(
        rule, ok, value, f"{what} {'inside' if ok else 'outside'} {limits[0]:g}…{limits[1]:g}{unit}"
    )


def _ceiling(rule: str, value: float, limit: float, what: str) -> RuleResult:
    ok = value <= limit
    return RuleResult(rule, ok, value, f"{what} {'at or below' if ok else 'above'} {limit:g}")
