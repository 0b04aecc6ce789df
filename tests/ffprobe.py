"""Chapter marks of a media file as ffmpeg reads them (an independent check of our muxers)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lector.core.audio.export import ffmpeg_exe

_CHAPTER = re.compile(r"Chapter #\d+:\d+: start ([\d.]+), end ([\d.]+)\s+Metadata:\s+title\s+: (.*)")


def ffmpeg_chapters(path: Path) -> list[tuple[float, float, str]]:
    """(start_s, end_s, title) per chapter. ``ffmpeg -i`` with no output exits 1 by design: the
    listing on stderr is what counts, so the exit status is not checked."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-i", str(path)]
    err = subprocess.run(cmd, capture_output=True, text=True, check=False).stderr
    return [(float(a), float(b), t.strip()) for a, b, t in _CHAPTER.findall(err)]
