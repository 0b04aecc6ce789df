"""Stamps: "this output was made from exactly this identity" (BuildDir.stamp_path(index, step)).

A stamped output whose identity, size and sha256 still match is kept (and touched, so it stays
newer than master.json, which is how chapter_changed tells a finished chapter) instead of being
made again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lector.core.audio.spliced import Spliced
from lector.core.build import BuildDir, Stamp
from lector.core.hashing import file_digest, remember_digest


def stamped_identity(bd: BuildDir, index: int, step: str) -> dict[str, Any]:
    """The identity a step's stamp records ({} when there is none)."""
    stamp = bd.read_stamp(index, step)
    return stamp.identity if stamp is not None else {}


def up_to_date(bd: BuildDir, index: int, step: str, out: Path, identity: dict[str, Any]) -> bool:
    """``out`` was made from exactly ``identity`` and is intact: then it is touched instead of made again."""
    stamp = bd.read_stamp(index, step)
    if (
        stamp is None
        or stamp.identity != identity
        or not out.is_file()
        or out.stat().st_size != stamp.size
        or file_digest(out) != stamp.sha256
    ):
        return False
    os.utime(out)
    remember_digest(out, stamp.sha256)  # just checked; the touch changed only its times
    return True


def stamp_output(
    bd: BuildDir,
    index: int,
    step: str,
    out: Path,
    identity: dict[str, Any],
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    bd.write_stamp(index, step, Stamp(identity, out.stat().st_size, file_digest(out), dict(extra or {})))


def stamped_extra(bd: BuildDir, index: int, step: str, out: Path) -> dict[str, Any] | None:
    """What the step's stamp keeps beside the identity (Stamp.extra), while ``out`` is still the
    very file it was written for (size and sha256); None otherwise."""
    stamp = bd.read_stamp(index, step)
    try:
        if stamp is None or out.stat().st_size != stamp.size or file_digest(out) != stamp.sha256:
            return None
    except OSError:
        return None
    return stamp.extra


def spliced_file(bd: BuildDir, index: int, step: str, out: Path) -> Spliced | None:
    """Where each block lies in the chapter's ``step`` file ("flac": chapter.flac, "mp3"), from its
    stamp, while the file is the one the stamp describes; None otherwise."""
    extra = stamped_extra(bd, index, step, out)
    return Spliced.from_extra(out, extra) if extra is not None else None
