"""Mastering + export benchmark: 60 minutes of speech-like audio through master and FLAC/MP3/M4B.

    .venv/bin/python -m bench.mastering [--minutes 60] [--out bench/results/mastering.json]

The work runs in a child process so its peak RSS (``resource.getrusage``) covers
exactly master + export (plus the input audio itself); ffmpeg's own peak is
reported separately (RUSAGE_CHILDREN). After mastering (in place), the FLAC,
MP3 and M4B exports run concurrently (one thread each; the encoders are separate
ffmpeg processes / libsndfile calls that release the GIL). Throughput = audio
seconds / wall seconds of master + the parallel exports. Wall time depends on the
machine's load, so each stage is then re-run alone to record its CPU seconds
(this process + ffmpeg); ``x_realtime_idle_estimate`` = audio / (master CPU +
the slowest export's CPU), the wall time on an idle machine with >= 3 cores.
Targets: >= 60x real time, <= 1.5 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import RESULTS_DIR
from lector.core.fsutil import atomic_write_text

SR = 44100
TARGET_X_REALTIME = 60.0
TARGET_RSS_MB = 1536.0


def _cpu_s() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _stage(fn) -> tuple[float, float]:
    """(wall s, cpu s of this process + finished children) of one call."""
    w0, c0 = time.perf_counter(), _cpu_s()
    fn()
    return time.perf_counter() - w0, _cpu_s() - c0


def _parallel(jobs: dict) -> float:
    """Run the jobs in one thread each; wall seconds until all are done."""
    threads = [threading.Thread(target=f) for f in jobs.values()]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0


def child(minutes: float, workdir: Path) -> dict:
    """Do the work in this process; return timings (s) and peak RSS (MB)."""
    from bench.speech import speech_like
    from lector.core.audio.export import Id3Tags, M4bChapter, export_flac, export_m4b, export_mp3
    from lector.core.audio.master import master_chapter

    audio = speech_like(minutes * 60.0, SR, seed=2026)
    rss_input_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    box = {}
    master_wall, master_cpu = _stage(lambda: box.update(r=master_chapter(audio, SR, "acx", in_place=True)))
    result = box["r"]
    tags = Id3Tags("Chapter 1", "Bench", "Bench Book", 1, 1)
    chapters = [M4bChapter("Chapter 1", result.audio, minutes * 60.0)]
    jobs = {
        "flac": lambda: export_flac(result.audio, SR, workdir / "chapter.flac"),
        "mp3": lambda: export_mp3(result.audio, SR, workdir / "chapter.mp3", kbps=192, tags=tags),
        "m4b": lambda: export_m4b(chapters, workdir / "book.m4b", title="Bench Book", author="Bench"),
    }
    parallel_wall = _parallel(jobs)
    stages = {"master": (master_wall, master_cpu), **{k: _stage(f) for k, f in jobs.items()}}
    m = result.measurements
    return {
        "wall_s": {k: round(v[0], 3) for k, v in stages.items()},
        "cpu_s": {k: round(v[1], 3) for k, v in stages.items()},
        "exports_parallel_wall_s": round(parallel_wall, 3),
        "total_wall_s": round(master_wall + parallel_wall, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "input_only_rss_mb": round(rss_input_mb, 1),
        # largest child (ffmpeg); Linux may count the forked image before exec, so an upper bound
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "violations": list(result.violations),
        "measurements": {k: round(v, 3) for k, v in vars(m).items()},
        "sizes_bytes": {p.name: p.stat().st_size for p in sorted(workdir.iterdir())},
    }


def run(minutes: float, out: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="lector-bench-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.mastering", "--child", "--minutes", str(minutes), "--workdir", tmp],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    audio_s = minutes * 60.0
    res["audio_s"] = audio_s
    res["x_realtime"] = round(audio_s / res["total_wall_s"], 1)
    res["x_realtime_master_only"] = round(audio_s / res["wall_s"]["master"], 1)
    cpu = res["cpu_s"]
    # critical path with one core per export (encoders are single-threaded): load-independent figure
    res["critical_path_cpu_s"] = round(cpu["master"] + max(cpu["flac"], cpu["mp3"], cpu["m4b"]), 3)
    res["x_realtime_idle_estimate"] = round(audio_s / res["critical_path_cpu_s"], 1)
    res["targets"] = {"x_realtime": TARGET_X_REALTIME, "peak_rss_mb": TARGET_RSS_MB}
    res["meets_targets"] = {
        "x_realtime": res["x_realtime"] >= TARGET_X_REALTIME,
        "peak_rss_mb": res["peak_rss_mb"] <= TARGET_RSS_MB,
    }
    res["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    res["bench"] = "mastering"
    res["quick"] = minutes < 60
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(res, indent=2) + "\n")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "mastering.json")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.minutes, args.workdir)))
        return 0
    print(json.dumps(run(args.minutes, args.out), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
