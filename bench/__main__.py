"""``python -m bench`` — run every benchmark, each in its own subprocess, then merge.

    python -m bench                      # all benchmarks (minutes; run once, on a quiet machine)
    python -m bench --quick              # fast subset: --quick, or a small size per benchmark
    python -m bench --only pipeline,engines --no-readme

Each ``bench/<name>.py`` writes ``bench/results/<name>.json`` (see bench/common.py); its
stdout/stderr go to ``bench/results/<name>.log``. This merges the JSON files into
``bench/results/summary.json`` and rewrites the table between ``<!-- bench:start -->`` and
``<!-- bench:end -->`` in README.md (nothing else in README.md is touched).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .common import BENCH_DIR, RESULTS_DIR, machine_info
from .table import README_END, README_START, render_table, update_readme

REPO = BENCH_DIR.parent
ORDER = ("engines", "pipeline", "mastering", "polyphones")  # known benchmarks first, in this order
NOT_BENCHES = {"__init__", "__main__", "common", "table", "speech"}
DEFAULT_TIMEOUT_S = 3600
# --quick for the benchmarks that have no --quick flag of their own
QUICK_ARGS = {"engines": ["--runs", "1"], "mastering": ["--minutes", "5"], "polyphones": ["--skip-baselines"]}


@dataclass(frozen=True)
class Run:
    bench: str
    status: str  # "ok" | "failed" | "timeout" | "no-result" | "skipped"
    returncode: int | None
    wall_s: float
    peak_rss_mb: float | None
    log: str
    note: str = ""


def discover() -> list[str]:
    """Benchmark scripts in bench/ (modules with a ``__main__`` guard): ORDER first, then by name."""
    found = {
        p.stem
        for p in BENCH_DIR.glob("*.py")
        if p.stem not in NOT_BENCHES and '__name__ == "__main__"' in p.read_text(encoding="utf-8")
    }
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def bench_args(name: str, *, quick: bool, results_dir: Path) -> list[str] | None:
    """Command-line arguments for ``bench.<name>``; None = no quick mode (skipped with --quick)."""
    source = (BENCH_DIR / f"{name}.py").read_text(encoding="utf-8")
    args = ["--out", str(results_dir / f"{name}.json")] if '"--out"' in source else []
    if not quick:
        return args
    if '"--quick"' in source:
        return [*args, "--quick"]
    return args + QUICK_ARGS[name] if name in QUICK_ARGS else None


def run_one(name: str, args: list[str], *, quick: bool, timeout_s: float, results_dir: Path) -> Run:
    """Run ``python -m bench.<name> ARGS`` in a subprocess; wait4 gives its own peak RSS."""
    out_json = results_dir / f"{name}.json"
    log_path = results_dir / f"{name}.log"
    before = out_json.stat().st_mtime_ns if out_json.exists() else None
    cmd = [sys.executable, "-m", f"bench.{name}", *args]
    env = dict(os.environ, LECTOR_BENCH_QUICK="1" if quick else "0", LECTOR_BENCH_RESULTS=str(results_dir))
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        rc, rss_mb = _wait(proc, timeout_s)
    wall_s = round(time.perf_counter() - start, 2)
    rel_log = str(log_path.relative_to(REPO)) if log_path.is_relative_to(REPO) else str(log_path)
    if rc is None:
        return Run(name, "timeout", None, wall_s, rss_mb, rel_log, f"killed after {timeout_s:.0f} s")
    fresh = out_json.exists() and out_json.stat().st_mtime_ns != before
    status = "failed" if rc != 0 else ("ok" if fresh else "no-result")
    return Run(name, status, rc, wall_s, rss_mb, rel_log)


def _wait(proc: subprocess.Popen, timeout_s: float) -> tuple[int | None, float | None]:
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, round(usage.ru_maxrss / 1024.0, 1)
        if time.monotonic() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, round(usage.ru_maxrss / 1024.0, 1)
        time.sleep(0.2)


def load_results(names: list[str], results_dir: Path) -> dict[str, dict]:
    out = {}
    for name in names:
        path = results_dir / f"{name}.json"
        if path.exists():
            try:
                out[name] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                out[name] = {"error": f"unreadable JSON: {exc}"}
    return out


def write_summary(runs: list[Run], results: dict[str, dict], quick: bool, results_dir: Path) -> Path:
    summary = {
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": quick,
        "machine": machine_info(),
        "runs": [asdict(r) for r in runs],
        "results": results,
    }
    path = results_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fast subset (benchmarks with a --quick mode)")
    ap.add_argument("--only", default="", help="comma-separated benchmark names")
    ap.add_argument("--no-readme", action="store_true", help="do not refresh the README table")
    ap.add_argument("--merge-only", action="store_true", help="run nothing; merge existing JSON")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per benchmark")
    ap.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = discover()
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            print(
                f"bench: unknown benchmark(s) {', '.join(unknown)}; have {', '.join(names)}", file=sys.stderr
            )
            return 2
        names = wanted
    args.results.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for name in names:
        bench_argv = bench_args(name, quick=args.quick, results_dir=args.results)
        if args.merge_only or bench_argv is None:
            why = "merge only" if args.merge_only else "no --quick mode"
            runs.append(Run(name, "skipped", None, 0.0, None, "", why))
            continue
        print(f"bench: {name} {' '.join(bench_argv)}", flush=True)
        run = run_one(name, bench_argv, quick=args.quick, timeout_s=args.timeout, results_dir=args.results)
        runs.append(run)
        print(f"bench: {name} {run.status} in {run.wall_s:.1f} s (peak RSS {run.peak_rss_mb} MB)", flush=True)
    results = load_results(discover(), args.results)  # --only re-runs some, the table shows all
    for run in runs:  # mark results produced by a --quick run
        if args.quick and run.status == "ok" and run.bench in results:
            results[run.bench]["quick"] = True
    summary = write_summary(runs, results, args.quick, args.results)
    table = render_table(runs, results)
    print(table)
    print(f"bench: wrote {summary}")
    if not args.no_readme:
        readme = REPO / "README.md"
        if update_readme(readme, table):
            print(f"bench: refreshed the table in {readme.name}")
        else:
            print(
                f"bench: {readme.name} has no {README_START} ... {README_END} markers; table not written",
                file=sys.stderr,
            )
    return 0 if all(r.status in ("ok", "skipped") for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
