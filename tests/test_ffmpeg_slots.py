"""ffmpeg encodes in one process are capped at FFMPEG_JOBS (each is ~30 MiB and CPU-bound)."""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

from lector.core.audio import blockcodec, export


def test_block_encodes_never_run_more_ffmpeg_than_the_slots(monkeypatch):
    real_run = subprocess.run
    lock = threading.Lock()
    running, most = [0], [0]

    def counting_run(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real_run(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(blockcodec.subprocess, "run", counting_run)
    args = ["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.5", "-f", "wav"]
    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda _: blockcodec._pipe_ffmpeg(args, b"", "silence"), range(16)))
    assert [o[:4] for o in outs] == [b"RIFF"] * 16
    assert 2 <= export.FFMPEG_JOBS <= 4
    assert most[0] <= export.FFMPEG_JOBS
