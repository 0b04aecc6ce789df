"""Shared helpers for the benchmark scripts: timing, peak RSS, one JSON file per benchmark.

Each ``bench/<name>.py`` measures, builds :class:`Metric` values and calls
:func:`write_result`, which writes ``bench/results/<name>.json``::

    {"bench": "pipeline", "created_utc": "...", "machine": {...}, "quick": false,
     "metrics": [{"name": "pipeline_overhead", "value": 1.04, "unit": "x", "target": "<= 1.10",
                  "ok": true, "note": "demo-en, 3 chapters"}],
     "details": {...}}

``python -m bench`` merges these files into ``bench/results/summary.json`` and the README table.
Ratios are measured within one run (the machines are noisy); absolute times are only indicative.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from lector.core.fsutil import atomic_write_text

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = Path(os.environ.get("LECTOR_BENCH_RESULTS", BENCH_DIR / "results"))


@dataclass(frozen=True)
class Metric:
    name: str  # snake_case, unique within a benchmark
    value: float | str | None  # None = could not be measured (say why in note)
    unit: str = ""  # "x", "s", "MB", "x realtime", "RTF", ...
    target: str = ""  # "<= 1.10", ">= 20", "" when informative only
    ok: bool | None = None  # target met; None when there is no target or no value
    note: str = ""


@dataclass
class Stopwatch:
    """Wall time of a ``with`` block, in seconds (``perf_counter``)."""

    seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    watch = Stopwatch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident set size of this process (or of its waited-for children), in MiB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    kib = resource.getrusage(who).ru_maxrss  # KiB on Linux
    return round(kib / 1024.0, 1)


def check(value: float | None, target: str) -> bool | None:
    """Evaluate a target string such as ``"<= 1.10"`` or ``">= 20"`` against ``value``."""
    if value is None or not target:
        return None
    op, _, bound = target.partition(" ")
    limit = float(bound)
    if op == "<=":
        return value <= limit
    if op == ">=":
        return value >= limit
    if op == "==":
        return value == limit
    raise ValueError(f"unknown target operator in {target!r}; use <=, >= or ==")


def metric(
    name: str, value: float | str | None, unit: str = "", target: str = "", note: str = "", *, digits: int = 4
) -> Metric:
    """A :class:`Metric` with ``ok`` filled in from ``target`` (numbers are rounded)."""
    if isinstance(value, float):
        value = round(value, digits)
    ok = check(value, target) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return Metric(name=name, value=value, unit=unit, target=target, ok=ok, note=note)


def machine_info() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def is_quick(argv: list[str] | None = None) -> bool:
    """True when ``--quick`` is on the command line or ``LECTOR_BENCH_QUICK=1``."""
    args = sys.argv[1:] if argv is None else argv
    return "--quick" in args or os.environ.get("LECTOR_BENCH_QUICK") == "1"


def write_result(
    name: str,
    metrics: list[Metric],
    *,
    details: dict | None = None,
    quick: bool = False,
    results_dir: Path | None = None,
) -> Path:
    """Write ``<results_dir>/<name>.json`` atomically and return its path."""
    out_dir = results_dir or RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "bench": name,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "quick": quick,
        "peak_rss_mb": peak_rss_mb(),
        "metrics": [asdict(m) for m in metrics],
        "details": details or {},
    }
    path = out_dir / f"{name}.json"
    return atomic_write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def print_metrics(metrics: list[Metric]) -> None:
    """One line per metric, MISSED where its target is not met (a bench's console summary)."""
    for m in metrics:
        verdict = "" if m.ok is None else ("ok" if m.ok else "MISSED")
        print(f"{m.name}: {m.value} {m.unit} {m.target} {verdict}")
