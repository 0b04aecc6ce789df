"""ASR transcripts of takes, packed into Whisper windows and remembered per window.

Owns how wanted takes are grouped into windows (content-defined, so the grouping depends on the
takes alone) and when a cached transcript may be reused (only for the same window); the QC cache
entry keeps the last few windows a take was heard in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import asr as asr_mod
from . import cache as qc_cache
from .checks import SignalStats, Thresholds
from .takes import Loader, TakeRef


def stored_windows(entry: dict[str, Any]) -> dict[str, str]:
    """A QC cache entry's transcripts by ASR window id."""
    found = entry.get("asr")
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def recent_windows(asr_map: dict[str, str], keep: int = 4) -> dict[str, str]:
    """The last ``keep`` windows a take was transcribed in (an edit nearby starts a new one)."""
    return dict(list(asr_map.items())[-keep:])


def window_transcripts(
    refs: Sequence[TakeRef],
    wanted: list[int],
    stats: Sequence[SignalStats],
    entries: Sequence[dict[str, Any]],
    audios: Mapping[int, Loader],  # ref index -> its audio, for each wanted take
    *,
    th: Thresholds,
) -> dict[int, tuple[str, str, bool]]:
    """ref index -> (window id, transcript, freshly transcribed) for the takes that want ASR.

    The windows are packed over every wanted take in order, cached or not (with content-defined
    boundaries), so they depend on the takes alone, never on which of them a killed render had
    already measured; a cached transcript
    counts only for the same window (asr.window_id), and a window with one take missing is
    transcribed whole (one Whisper call, as for that take alone)."""
    out: dict[int, tuple[str, str, bool]] = {}
    keys = [refs[i].key for i in wanted]
    breaks = asr_mod.content_breaks(keys) if all(keys) else None
    windows = (
        asr_mod.pack_windows([stats[i].duration_s for i in wanted], breaks=breaks)
        if asr_mod.packs()
        else [[n] for n in range(len(wanted))]
    )
    for window in windows:
        members = [wanted[n] for n in window]
        wid = asr_mod.window_id([refs[i].key for i in members])
        known = [k for i in members if (k := stored_windows(entries[i]).get(wid)) is not None]
        if len(known) == len(members):
            out.update({i: (wid, k, False) for i, k in zip(members, known, strict=True)})
            continue
        qc_cache.CALLS["asr"] += len(members)

        def suspect(
            n: int, hyp: str, members: list[int] = members
        ) -> bool:  # a packed mismatch is confirmed alone
            ref = refs[members[n]]
            return asr_mod.score_transcript(hyp, ref.text, ref.spoken).wer > th.asr_max_wer

        xs = [asr_mod.to_asr_rate(*audios[i]()) for i in members]
        for i, text in zip(members, asr_mod.transcribe_group(xs, retry=suspect), strict=True):
            out[i] = (wid, text, True)
    return out
