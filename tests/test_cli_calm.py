"""A calm, fast CLI: --version, no prefect for commands that run no flow, one-paragraph errors
(traceback only with --debug), one line per chapter when not on a terminal, --json reports."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from lector.cli import main as lector
from lector.cli import version
from lector.cli.commands._progress import ProgressView

from .conftest import REPO, write_tiny_project


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        lector(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"lector {version()}\n"
    assert version() == "0.1.0"


def test_help_and_plan_import_no_prefect(tmp_path):
    """`lector --help` loads no prefect, pydantic or numpy (what made it take 3.3 s); `lector plan`
    runs no flow, so it never imports prefect (nor starts a Prefect server)."""
    heavy = _python(
        "import sys\nfrom lector.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('prefect', 'pydantic', 'numpy') if m in sys.modules))"
    )
    assert heavy.splitlines()[-1] == "[]"
    root = write_tiny_project(tmp_path / "book", cover=False)
    out = _python(
        f"import sys\nfrom lector.cli import main\nrc = main(['plan', {str(root)!r}])\n"
        "print(rc, 'prefect' in sys.modules)"
    )
    assert out.splitlines()[-1] == "0 False"


def test_errors_are_one_paragraph_traceback_only_with_debug(tmp_path, capsys, monkeypatch):
    root = write_tiny_project(tmp_path / "book", cover=False)
    toml = root / "project.toml"
    good = toml.read_text()
    toml.write_text(good + '\n[schedule]\ncron = "0 2 * * *"\ntimezon = "UTC"\n')
    line = len(toml.read_text().splitlines())
    assert lector(["plan", str(root)]) == 2
    assert capsys.readouterr().err == (
        f"lector: error: {toml}:{line} [schedule.timezon]: unknown key 'timezon' in [schedule] (did you mean "
        "'timezone'?) — fix: use one of the keys [schedule] takes: cron, timezone (docs/PROJECT_TOML.md)\n"
    )
    assert lector(["plan", str(root), "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("lector: error: " + err.split("lector: error: ")[-1])

    def broken(*_args, **_kwargs):
        raise OSError("disk on fire")

    toml.write_text(good)
    monkeypatch.setattr("lector.core.planner.build_plan", broken)
    assert lector(["plan", str(root)]) == 1
    assert capsys.readouterr().err == (
        "lector: unexpected OSError: disk on fire — run again with --debug for the traceback\n"
    )


def _record(msg: str, event: dict | None = None, level: int = logging.INFO) -> logging.LogRecord:
    record = logging.LogRecord("lector.progress", level, __file__, 1, msg, (), None)
    if event is not None:
        record.lector = event
    return record


def test_progress_is_one_line_per_chapter_off_a_terminal():
    stream = io.StringIO()
    view = ProgressView(tty=False, stream=stream)
    view.handle(
        _record(
            "rendering 2 chapters",
            {"event": "start", "sentences": 5, "cached": 0, "chapters": {1: ["One", 3], 2: ["Two", 2]}},
        )
    )
    view.handle(
        _record("render ch01 One [1-3/3]: 3 sentences", {"event": "batch", "chapter": 1, "sentences": 3})
    )
    view.handle(_record("chapter 2 mastered: 1.5 s", {"event": "chapter", "chapter": 2, "duration_s": 1.53}))
    view.handle(_record("book: x.m4b"))
    view.handle(_record("no cover: add cover.jpg", level=logging.WARNING))
    view.handle(_record("chapter 1 unchanged", {"event": "chapter", "chapter": 1, "duration_s": None}))
    view.close()
    assert stream.getvalue() == (
        "lector: chapter 1/2 done: 02 Two (1.5 s)\n"
        "lector: no cover: add cover.jpg\n"
        "lector: chapter 2/2 done: 01 One\n"
    )
    verbose = io.StringIO()
    view = ProgressView(tty=False, verbose=True, stream=verbose)
    view.handle(
        _record("render ch01 One [1-3/3]: 3 sentences", {"event": "batch", "chapter": 1, "sentences": 3})
    )
    view.handle(_record("book: x.m4b"))
    assert verbose.getvalue() == "lector: render ch01 One [1-3/3]: 3 sentences\nlector: book: x.m4b\n"


def test_progress_bar_on_a_terminal():
    stream = io.StringIO()
    view = ProgressView(tty=True, stream=stream)
    view.handle(
        _record("start", {"event": "start", "sentences": 5, "cached": 2, "chapters": {1: ["One", 5]}})
    )
    assert (view.bar.total, view.bar.n) == (5, 2)
    view.handle(_record("batch", {"event": "batch", "chapter": 1, "sentences": 3}))
    view.handle(_record("chapter 1 mastered", {"event": "chapter", "chapter": 1, "duration_s": 2.0}))
    assert view.bar.n == 5
    assert view.done == [1]
    view.close()
    assert "chapter 1/1 done" not in stream.getvalue()  # the bar says it, no extra line
    assert "5/5 sentences" in stream.getvalue()


def test_publish_refuses_a_build_with_unallowed_fallbacks(tmp_path, capsys):
    root = write_tiny_project(tmp_path / "book", cover=False)
    (root / "build").mkdir()
    (root / "build" / "manifest.json").write_text(
        json.dumps(
            {
                "files": [],
                "fallback": {
                    "sentences": 4,
                    "chapters": {"2": 4},
                    "allowed": False,
                    "publish_withheld": True,
                },
            }
        )
    )
    assert lector(["publish", str(root)]) == 3
    assert capsys.readouterr().err == (
        f"lector: error: {root / 'build' / 'manifest.json'} [fallback]: "
        "the build holds 4 sentence(s) spoken by a fallback voice (chapter 2: 4); nothing was published — "
        "fix: render again once the voice's engine works, or publish them with "
        "`lector publish --allow-fallback`\n"
    )
    assert not (root / "build" / "object-store").exists()


def test_gc_json(tmp_path, capsys):
    root = write_tiny_project(tmp_path / "book", cover=False)
    assert lector(["gc", str(root), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["dry_run"], report["freed_bytes"], report["removed"]) == (True, 0, [])
    assert [a["name"] for a in report["areas"]] == [a["name"] for a in report["areas"] if a["removed"] == 0]
