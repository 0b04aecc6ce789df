"""Long-book benchmark: peak memory of every process, QC cost and build/ size for a many-hour book.

    python -m bench.longbook                  # ~1 hour of audio (espeak-draft), QC off and on: ~5 min
    python -m bench.longbook --hours 10       # a 10-hour book: ~40 min on 2 shared cores
    python -m bench.longbook --quick          # 0.5 hours

Builds a Markdown project under a temporary folder (``--hours`` of generated English prose in
30-minute chapters, one ``espeak-draft`` narrator: a real engine whose synthesis is ~1000x real
time, so the run measures the pipeline, not the voice), then renders it twice in a child
process, as a producer does (``lector render --no-publish``, thread runner), each time on a clean
build/ in its own project copy: once with ``--no-qc``, once with QC. While a render runs, every
process in its tree (the ``lector`` process, its ffmpeg children, a temporary Prefect server) is
sampled every ``POLL_S`` from /proc (psutil); ``RUSAGE_CHILDREN`` adds the exact peak of the
largest waited-for descendant and the CPU seconds of the whole tree.

Metrics and their targets:
- ``peak_rss_render_mb`` / ``peak_rss_render_qc_mb``: the largest RSS of any one process of the
  render (the ``lector`` process in practice), target <= 1536 MiB for any length.
- ``peak_rss_tree_mb`` / ``peak_rss_tree_qc_mb``: the largest sum of RSS over the render's whole
  process tree at one sampling instant (the ``lector`` process, the Prefect server, ffmpeg
  children), target <= 1536 MiB. A child that has forked but not yet exec'd (same command line as
  its parent: ``subprocess`` starting ffmpeg) shares its parent's pages and is not added again.
- ``qc_cpu_share``: (CPU of the QC render - CPU of the no-QC render) / CPU of the no-QC render,
  target <= 0.20.
- ``build_mb_per_audio_hour``: bytes under build/ after the QC render, per hour of audio, target
  <= 400 MB (10**6 bytes); the per-folder split is in ``details``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import metric, write_result
from bench.proctree import TreeSampler

REPO = Path(__file__).resolve().parents[1]
LECTOR = [sys.executable, "-m", "lector"]
POLL_S = 0.25
RSS_TARGET = "<= 1536"
QC_TARGET = "<= 0.20"
DISK_TARGET = "<= 400"
WORDS_PER_HOUR = 10_300  # espeak-draft en-us speaks ~172 words a minute (measured, incl. pauses)
CHAPTER_MINUTES = 30
_NOUNS_TEXT = (
    "keeper stairs dawn step sea rhythm rock tower gull bread lamp light ship harbour rope window storm "
    "letter island boat morning evening lantern door kettle map compass"
)
NOUNS = _NOUNS_TEXT.split()
_VERBS_TEXT = (
    "climbed counted watched carried opened closed mended read wrote painted followed remembered answered "
    "crossed lifted"
)
VERBS = _VERBS_TEXT.split()
_ADJS_TEXT = "narrow grey slow old patient quiet bright heavy distant cold warm small long"
ADJS = _ADJS_TEXT.split()


def sentence(rng: random.Random) -> str:
    """One generated sentence of 9-17 words (no digits or abbreviations: one sentence each)."""
    parts = [f"the {rng.choice(ADJS)} {rng.choice(NOUNS)} {rng.choice(VERBS)} the {rng.choice(NOUNS)}"]
    for _ in range(rng.randint(0, 2)):
        parts.append(
            f"{rng.choice(('and', 'while', 'before', 'after'))} the {rng.choice(NOUNS)} "
            f"{rng.choice(VERBS)} a {rng.choice(ADJS)} {rng.choice(NOUNS)}"
        )
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def write_project(root: Path, hours: float, qc_sample: int | None = None) -> tuple[int, int]:
    """The long book: ``hours`` of prose in CHAPTER_MINUTES chapters, five sentences a paragraph.
    Returns (chapters, sentences)."""
    rng = random.Random(1616)
    words_per_chapter = WORDS_PER_HOUR * CHAPTER_MINUTES / 60
    chapters = max(1, round(hours * 60 / CHAPTER_MINUTES))
    (root / "manuscript").mkdir(parents=True)
    total = 0
    for n in range(1, chapters + 1):
        paragraphs, words = [], 0
        while words < words_per_chapter:
            para = [sentence(rng) for _ in range(5)]
            words += sum(len(s.split()) for s in para)
            paragraphs.append(" ".join(para))
            total += 5
        (root / "manuscript" / f"{n:03d}.md").write_text(
            f"# Chapter {n}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
        )
    (root / "project.toml").write_text(
        '[book]\ntitle = "The Long Watch"\nauthor = "Lector Bench"\nlanguage = "en"\nseed = 16\n'
        'narrator = "narrator"\n\n'
        '[voices.narrator]\nengine = "espeak-draft"\nvoice = "en-us"\nlang = "en"\n\n'
        "[credits]\nopening = false\nclosing = false\n\n"
        + ("" if qc_sample is None else f"[render]\nqc_sample_takes = {qc_sample}\n\n")
        + '[output]\nprofile = "acx"\nformats = ["flac", "mp3", "m4b", "vtt"]\n',
        encoding="utf-8",
    )
    return chapters, total


@dataclass(frozen=True)
class Render:
    qc: bool
    wall_s: float
    cpu_s: float  # the whole tree: RUSAGE_CHILDREN user + system
    exact_peak_child_mb: float  # RUSAGE_CHILDREN ru_maxrss: the largest waited-for descendant
    peaks_mb: dict  # per process, sampled
    peak_tree_mb: float  # the largest sum over the tree at one instant (TreeSampler)
    peak_tree_procs: dict  # the processes at that instant
    ffmpeg_peak_mb: float
    returncode: int
    summary: dict
    build_bytes: dict  # per top-level build/ entry


def folder_bytes(path: Path, seen: set[tuple[int, int]] | None = None) -> int:
    """Bytes of the files under ``path``, each inode counted once (masters/*.flac are hard links of
    chapters/NN/chapter.flac); ``seen``: inodes already counted elsewhere."""
    seen, total = set() if seen is None else seen, 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def build_split(build: Path) -> dict[str, int]:
    """Bytes per top-level build/ entry, each inode counted once across them all (a hard link under
    masters/ counts with chapters/, which sorts first), so the entries add up to ``total``."""
    seen: set[tuple[int, int]] = set()
    out = {
        entry.name: (folder_bytes(entry, seen) if entry.is_dir() else entry.stat().st_size)
        for entry in sorted(build.iterdir())
    }
    out["total"] = folder_bytes(build)
    for p in (build / "blocks").rglob("*") if (build / "blocks").is_dir() else ():
        if p.is_file():  # blocks/<k>.<recipe>.flac|.frames.npz|.stats.npz|.<tag>.mp3|.aac, <k>.json
            kind = "blocks " + ".".join(p.name.split(".")[2:] or ["json"])
            kind = kind if not kind.endswith((".mp3", ".aac")) else "blocks " + kind.rsplit(".", 1)[1]
            out[kind] = out.get(kind, 0) + p.stat().st_size
    return out


def render(project: Path, *, qc: bool) -> Render:
    """One clean ``lector render --no-publish`` of ``project`` in a child process (a fresh Python:
    RUSAGE_CHILDREN's peak is the largest process of this render alone only for the first render,
    so each render runs under its own small wrapper process)."""
    shutil.rmtree(project / "build", ignore_errors=True)
    args = [*LECTOR, "render", str(project), "--no-publish", "--json", "--runner", "threads"]
    if not qc:
        args.append("--no-qc")
    wrapper = [sys.executable, "-m", "bench.longbook", "--child", "--", *args]
    start = time.perf_counter()
    env = {**os.environ, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}  # a busy machine
    proc = subprocess.Popen(
        wrapper, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    sampler = TreeSampler(proc.pid)
    while proc.poll() is None:
        sampler.sample()
        time.sleep(POLL_S)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    child = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    if proc.returncode != 0:
        print(err[-4000:], file=sys.stderr)
    peaks = {k: v for k, v in sampler.peaks_mb.items() if "bench.longbook" not in k}
    ffmpeg = max((v for k, v in peaks.items() if "ffmpeg" in k), default=0.0)
    print(
        f"qc={qc} rc={proc.returncode} wall={wall:.1f}s cpu={child.get('cpu_s', 0.0):.1f}s "
        f"peak={child.get('maxrss_mb')} MiB tree={sampler.peak_tree_mb} MiB",
        flush=True,
    )
    return Render(
        qc,
        round(wall, 1),
        round(child.get("cpu_s", 0.0), 1),
        child.get("maxrss_mb", 0.0),
        dict(sorted(peaks.items(), key=lambda kv: -kv[1])[:12]),
        sampler.peak_tree_mb,
        sampler.peak_tree_procs,
        ffmpeg,
        proc.returncode,
        child.get("summary", {}),
        build_split(project / "build"),
    )


def child_main(args: list[str]) -> int:
    """Run the render, then print its tree's CPU seconds and exact peak RSS (one JSON line)."""
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)  # status read below
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        summary = json.loads(done.stdout)
    except json.JSONDecodeError:
        summary = {"stdout_tail": done.stdout[-2000:]}
    sys.stderr.write(done.stderr[-4000:])
    keep = {
        k: summary.get(k)
        for k in ("synthesized", "cached", "chapters", "qc", "duration_s")
        if isinstance(summary, dict) and k in summary
    }
    print(
        json.dumps(
            {
                "cpu_s": use.ru_utime + use.ru_stime,
                "maxrss_mb": round(use.ru_maxrss / 1024, 1),
                "summary": keep,
            }
        )
    )
    return done.returncode


def audio_hours(project: Path) -> float:
    manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))
    seconds = manifest.get("duration_s") or sum(
        float(f.get("duration_s") or 0)
        for f in manifest.get("files", [])
        if str(f.get("path", "")).endswith(".flac")
    )
    return seconds / 3600.0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[2:])
    parser = argparse.ArgumentParser(prog="python -m bench.longbook")
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", help="build the projects here and keep them (default: a temp folder)")
    parser.add_argument(
        "--qc-sample", type=int, help="[render] qc_sample_takes (default: the project default)"
    )
    parser.add_argument("--skip-no-qc", action="store_true", help="only the QC render (no QC share)")
    opts = parser.parse_args(argv)
    hours = 0.5 if opts.quick else opts.hours
    work = Path(opts.keep or tempfile.mkdtemp(prefix="lector-longbook-"))
    try:
        return run_bench(work, hours, opts)
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


def run_bench(work: Path, hours: float, opts) -> int:
    plain, checked = work / "noqc", work / "qc"
    shutil.rmtree(plain, ignore_errors=True)
    shutil.rmtree(checked, ignore_errors=True)
    chapters, sentences = write_project(checked, hours, opts.qc_sample)
    shutil.copytree(checked, plain)
    runs = [] if opts.skip_no_qc else [render(plain, qc=False)]
    runs.append(render(checked, qc=True))
    failed = [r for r in runs if r.returncode != 0]
    hours_done = audio_hours(checked) if not failed else None
    with_qc, no_qc = runs[-1], (runs[0] if len(runs) == 2 else None)
    share = (with_qc.cpu_s - no_qc.cpu_s) / no_qc.cpu_s if no_qc and not failed else None
    per_hour = with_qc.build_bytes["total"] / 1e6 / hours_done if hours_done else None
    note = (
        f"{chapters} chapters, {sentences} sentences, espeak-draft, thread runner, 2 clean renders, "
        f"qc_sample_takes={'default' if opts.qc_sample is None else opts.qc_sample}"
    )
    metrics = [
        metric("audio_hours", hours_done, "h", note=note, digits=2),
        metric(
            "peak_rss_render_mb",
            no_qc.exact_peak_child_mb if no_qc else None,
            "MiB",
            RSS_TARGET,
            note="largest single process of the --no-qc render (getrusage RUSAGE_CHILDREN)",
        ),
        metric(
            "peak_rss_render_qc_mb",
            with_qc.exact_peak_child_mb,
            "MiB",
            RSS_TARGET,
            note="largest single process of the render with QC",
        ),
        metric(
            "peak_rss_tree_mb",
            no_qc.peak_tree_mb if no_qc else None,
            "MiB",
            RSS_TARGET,
            note="largest sum of RSS over the --no-qc render's process tree at one instant (sampled)",
        ),
        metric(
            "peak_rss_tree_qc_mb",
            with_qc.peak_tree_mb,
            "MiB",
            RSS_TARGET,
            note="largest sum of RSS over the QC render's process tree at one instant (sampled)",
        ),
        metric("peak_rss_ffmpeg_mb", with_qc.ffmpeg_peak_mb, "MiB", note="largest ffmpeg child (sampled)"),
        metric(
            "qc_cpu_share",
            share,
            "x",
            QC_TARGET,
            note="(CPU with QC - CPU without) / CPU without, whole process tree",
        ),
        metric("render_cpu_s_no_qc", no_qc.cpu_s if no_qc else None, "s"),
        metric("render_cpu_s_qc", with_qc.cpu_s, "s"),
        metric("render_wall_s_no_qc", no_qc.wall_s if no_qc else None, "s"),
        metric("render_wall_s_qc", with_qc.wall_s, "s"),
        metric(
            "build_mb_per_audio_hour",
            per_hour,
            "MB/h",
            DISK_TARGET,
            note="build/ after the QC render, 10**6 bytes per hour of audio",
        ),
    ]
    details = {
        "hours_requested": hours,
        "chapter_minutes": CHAPTER_MINUTES,
        "poll_s": POLL_S,
        "runs": [asdict(r) for r in runs],
    }
    path = write_result("longbook", metrics, details=details, quick=opts.quick)
    print(path)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
