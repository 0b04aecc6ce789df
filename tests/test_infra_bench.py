"""The benchmark harness (bench/common.py, bench/table.py, bench/__main__.py) without running any
benchmark: result files, the merged summary and the README table between its markers."""

from __future__ import annotations

import json

import pytest

from bench import __main__ as runner
from bench.common import check, metric, write_result
from bench.table import README_END, README_START, render_table, rows_for, update_readme


def test_check_targets():
    assert check(1.04, "<= 1.10") is True
    assert check(1.2, "<= 1.10") is False
    assert check(25.0, ">= 20") is True
    assert check(1, "== 1") is True
    assert check(None, "<= 1.10") is None
    assert check(0.5, "") is None
    with pytest.raises(ValueError, match="unknown target operator"):
        check(1.0, "~ 1")


def test_write_result_json(tmp_path):
    path = write_result(
        "demo",
        [metric("ratio", 1.234567, "x", "<= 1.10", "n"), metric("fail", None, "s")],
        details={"k": 1},
        quick=True,
        results_dir=tmp_path,
    )
    data = json.loads(path.read_text())
    assert path == tmp_path / "demo.json"
    assert data["bench"] == "demo" and data["quick"] is True and data["details"] == {"k": 1}
    assert data["metrics"] == [
        {"name": "ratio", "value": 1.2346, "unit": "x", "target": "<= 1.10", "ok": False, "note": "n"},
        {"name": "fail", "value": None, "unit": "s", "target": "", "ok": None, "note": ""},
    ]
    assert data["peak_rss_mb"] > 0


def test_rows_for_known_and_generic_formats():
    ours = {
        "metrics": [
            {
                "name": "incremental_ratio",
                "value": 0.04,
                "unit": "x",
                "target": "<= 0.05",
                "ok": True,
                "note": "a|b",
            }
        ]
    }
    assert rows_for("pipeline", ours) == [("incremental_ratio", "0.04 x", "<= 0.05", "yes", "a|b")]
    poly = {"systems": {"pypinyin": {"accuracy": 0.9}, "ours": {"accuracy": 0.95}}, "total": 10}
    assert rows_for("polyphones", poly) == [
        ("pypinyin accuracy", "0.9", "", "", ""),
        ("ours accuracy", "0.95", "", "", ""),
    ]
    generic = {"machine": {"cpu_count": 2}, "rtf": {"piper-en": 0.1}, "ok": True, "name": "x"}
    assert rows_for("engines", generic) == [("rtf.piper-en", "0.1", "", "", "")]


def test_update_readme_only_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n{README_START}\nold table\n{README_END}\nafter\n")
    assert update_readme(readme, "| new | table |") is True
    assert readme.read_text() == f"# Title\n\nintro\n{README_START}\n| new | table |\n{README_END}\nafter\n"
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert update_readme(plain, "x") is False
    assert plain.read_text() == "no markers\n"


def test_discover_and_quick_support():
    names = runner.discover()
    assert "pipeline" in names
    assert not {"common", "table", "speech", "__main__", "__init__"} & set(names)
    known = [n for n in runner.ORDER if n in names]
    assert names[: len(known)] == known
    results = runner.REPO / "bench" / "results"
    assert runner.bench_args("pipeline", quick=True, results_dir=results) == ["--quick"]
    assert runner.bench_args("pipeline", quick=False, results_dir=results) == []


def test_bench_args_for_scripts_without_quick(tmp_path):
    names = runner.discover()
    if "polyphones" in names:
        assert runner.bench_args("polyphones", quick=True, results_dir=tmp_path) == [
            "--out",
            str(tmp_path / "polyphones.json"),
            "--skip-baselines",
        ]
    if "mastering" in names:
        assert runner.bench_args("mastering", quick=False, results_dir=tmp_path) == [
            "--out",
            str(tmp_path / "mastering.json"),
        ]


def test_rows_for_engines_and_mastering():
    engines = {
        "engines": {
            "piper-en": {
                "target_rtf": 0.1,
                "cases": {"long": {"audio_s": 14.0, "rtf_median": 0.08, "rtf_min": 0.07}},
            }
        }
    }
    assert rows_for("engines", engines) == [
        ("piper-en RTF (long, median)", "0.08", "<= 0.1", "yes", "min 0.07, 14 s of audio")
    ]
    mastering = {
        "x_realtime": 64.9,
        "x_realtime_idle_estimate": 114.9,
        "peak_rss_mb": 791.0,
        "audio_s": 3600.0,
        "targets": {"x_realtime": 60.0, "peak_rss_mb": 1536.0},
        "meets_targets": {"x_realtime": True, "peak_rss_mb": True},
    }
    assert rows_for("mastering", mastering) == [
        ("master + export x real time (60 min)", "64.9 x", ">= 60", "yes", "idle estimate 114.9 x"),
        ("peak RSS", "791 MB", "<= 1536", "yes", "master + exports, child process"),
    ]


def test_merge_only_writes_summary_and_table(tmp_path, capsys):
    write_result(
        "pipeline", [metric("pipeline_overhead_demo-en", 1.05, "x", "<= 1.10")], results_dir=tmp_path
    )
    assert runner.main(["--merge-only", "--no-readme", "--results", str(tmp_path), "--only", "pipeline"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["status"] for r in summary["runs"]] == ["skipped"]
    assert summary["results"]["pipeline"]["metrics"][0]["value"] == 1.05
    out = capsys.readouterr().out
    assert "| pipeline | pipeline_overhead_demo-en | 1.05 x | <= 1.10 | yes |  |" in out
    table = render_table([], summary["results"])
    assert table.splitlines()[2] == "| Benchmark | Metric | Value | Target | Met | Note |"


def test_unknown_benchmark_name_is_an_error(tmp_path):
    assert runner.main(["--only", "nope", "--results", str(tmp_path)]) == 2


def test_cpu_floor_is_the_flows_cpu_over_the_cores_and_engine_time():
    from bench.pipeline import cpu_floor_metric

    m = cpu_floor_metric("pipeline_cpu_floor_demo", 8.0, 5.0, 2.0, cores=2)
    assert (m.name, m.value, m.unit, m.target, m.ok) == ("pipeline_cpu_floor_demo", 2.0, "x", "", None)
    assert m.note == "flow CPU 8.0 s on 2 cores vs engines 2.0 s; cores busy 80% of the flow's wall time"
