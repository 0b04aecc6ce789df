"""The README benchmark table: rows from each benchmark's JSON, written between markers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
MAX_GENERIC_ROWS = 8
_SKIP_KEYS = {"machine", "details", "created_utc", "quick", "bench", "dataset", "error"}


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def rows_for(name: str, payload: dict) -> list[tuple[str, str, str, str, str]]:
    """(metric, value, target, met, note) rows for one benchmark's JSON."""
    if isinstance(payload.get("metrics"), list):
        return [
            (
                m.get("name", "?"),
                (_fmt(m.get("value")) + (f" {m['unit']}" if m.get("unit") else "")).strip(),
                m.get("target", "") or "",
                _fmt(m.get("ok")) if m.get("ok") is not None else "",
                m.get("note", "") or "",
            )
            for m in payload["metrics"]
        ]
    if isinstance(payload.get("systems"), dict):  # accuracy per system (bench/polyphones.py)
        return [
            (f"{system} accuracy", _fmt(vals.get("accuracy")), "", "", "")
            for system, vals in payload["systems"].items()
            if isinstance(vals, dict)
        ]
    if isinstance(payload.get("engines"), dict):  # RTF per engine and case (bench/engines.py)
        return _engine_rows(payload["engines"])
    if "x_realtime" in payload:  # master + export of N minutes (bench/mastering.py)
        return _mastering_rows(payload)
    if "error" in payload:
        return [("error", "", "", "", str(payload["error"]))]
    leaves = list(_numeric_leaves(payload, ""))[:MAX_GENERIC_ROWS]
    return [(key, _fmt(val), "", "", "") for key, val in leaves]


def _engine_rows(engines: dict) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for engine_id, data in engines.items():
        target = data.get("target_rtf")
        for case, vals in (data.get("cases") or {}).items():
            rtf = vals.get("rtf_median")
            met = _fmt(rtf <= target) if isinstance(rtf, (int, float)) and target else ""
            rows.append(
                (
                    f"{engine_id} RTF ({case}, median)",
                    _fmt(rtf),
                    f"<= {target}" if target else "",
                    met,
                    f"min {_fmt(vals.get('rtf_min'))}, {_fmt(vals.get('audio_s'))} s of audio",
                )
            )
    return rows


def _mastering_rows(data: dict) -> list[tuple[str, str, str, str, str]]:
    targets = data.get("targets") or {}
    met = data.get("meets_targets") or {}
    minutes = round(float(data.get("audio_s") or 0) / 60)
    rows = [
        (
            f"master + export x real time ({minutes} min)",
            f"{_fmt(data.get('x_realtime'))} x",
            f">= {targets['x_realtime']:g}" if "x_realtime" in targets else "",
            _fmt(met.get("x_realtime")) if "x_realtime" in met else "",
            f"idle estimate {_fmt(data.get('x_realtime_idle_estimate'))} x",
        ),
        (
            "peak RSS",
            f"{_fmt(data.get('peak_rss_mb'))} MB",
            f"<= {targets['peak_rss_mb']:g}" if "peak_rss_mb" in targets else "",
            _fmt(met.get("peak_rss_mb")) if "peak_rss_mb" in met else "",
            "master + exports, child process",
        ),
    ]
    return rows


def _numeric_leaves(node: object, prefix: str) -> Iterable[tuple[str, float]]:
    if isinstance(node, dict):
        for key, val in node.items():
            if key in _SKIP_KEYS:
                continue
            yield from _numeric_leaves(val, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield prefix, node


def render_table(runs: list, results: dict[str, dict]) -> str:
    """Markdown: a header line, one row per metric, then benchmarks that did not finish."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPU cores "
        "(shared, noisy: ratios are taken within one run). `python -m bench` refreshes this table.",
        "",
        "| Benchmark | Metric | Value | Target | Met | Note |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, payload in results.items():
        quick = " (quick)" if payload.get("quick") else ""
        for metric, value, target, met, note in rows_for(name, payload):
            cell = note.replace("|", "/").replace("\n", " ")
            lines.append(f"| {name}{quick} | {metric} | {value} | {target} | {met} | {cell} |")
    problems = [r for r in runs if r.status not in ("ok", "skipped")]
    if problems:
        lines.append("")
        lines.extend(
            f"- `{r.bench}`: {r.status} (exit {r.returncode}, {r.wall_s:.0f} s; see {r.log})"
            for r in problems
        )
    return "\n".join(lines)


def update_readme(readme: Path, table: str) -> bool:
    """Replace the text between the markers; False (file untouched) when they are missing."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    start = text.find(README_START)
    end = text.find(README_END, start + len(README_START)) if start >= 0 else -1
    if start < 0 or end < 0:
        return False
    new = text[: start + len(README_START)] + "\n" + table.rstrip() + "\n" + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return True
