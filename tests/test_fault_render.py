"""Renders under faults: kill -9 at five points of a render (QC on) resumes to the clean render's
bytes, qc.json included; two renders of one project never run at once; files honour the umask."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.settings import get_current_settings

from lector.cli import main as lector
from lector.core.lock import lock_path, read_holder
from lector.flows.produce import run_book
from tests.conftest import write_tiny_project

pytestmark = pytest.mark.usefixtures("prefect_server")

# the fake engine and three steps slowed down, so each kill lands where it is meant to
SLOW_RENDER = """
import os, sys, time
os.umask(0o022)
from lector.core.engines import fake
import lector.core.build.manifest, lector.core.qc.report
def slow(fn, s):
    def inner(*a, **k):
        time.sleep(s)
        return fn(*a, **k)
    return inner
fake.FakeEngine.synthesize = slow(fake.FakeEngine.synthesize, float(sys.argv[2]))
lector.core.qc.report.merge_into_report = slow(lector.core.qc.report.merge_into_report, 1.0)
lector.core.build.manifest.write_manifest = slow(lector.core.build.manifest.write_manifest, 2.0)
from lector.flows.produce import run_book
run_book(sys.argv[1], publish=False, runner="sequential")
"""
HOLD_LOCK = """
import sys, time
from lector.core.lock import project_lock
with project_lock(sys.argv[1], "a test holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _env() -> dict:
    return dict(os.environ, PREFECT_API_URL=get_current_settings().api.url, PREFECT_LOGGING_LEVEL="WARNING")


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )


def kill_when(proc: subprocess.Popen, ready, what: str, timeout_s: float = 120) -> None:
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.05)
        assert proc.poll() is None, f"the render ended before the kill point: {what}"
        assert ready(), f"kill point never reached: {what}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def takes(root: Path) -> int:
    return len(list((root / "build" / "cache").rglob("*.flac"))) if (root / "build" / "cache").is_dir() else 0


def delivered(root: Path) -> dict[str, str]:
    """sha256 of the delivered files (manifest's list) and of qc.json."""
    build = root / "build"
    manifest = json.loads((build / "manifest.json").read_text())
    files = [e["path"] for e in manifest["files"]] + ["qc.json"]
    return {rel: hashlib.sha256((build / rel).read_bytes()).hexdigest() for rel in files}


def test_kill_at_five_points_resumes_to_the_clean_render_qc_included(tmp_path):
    clean = write_tiny_project(tmp_path / "clean" / "tiny", batch_size=1, qc=True)
    old = os.umask(0o022)
    try:
        run_book(str(clean), publish=False)
        root = write_tiny_project(tmp_path / "killed" / "tiny", batch_size=1, qc=True)
        build = root / "build"
        points = [
            (lambda: takes(root) >= 2, "mid-synthesis: 2 takes done"),
            (lambda: takes(root) >= 4, "mid-synthesis again: 4 takes done"),
            ((build / "chapters" / "01" / "master.json").is_file, "chapter 1 mastered"),
            (
                lambda: (build / "qc-cache").is_dir() and (build / "masters" / "01-one.mp3").is_file(),
                "exports and take QC under way",
            ),
            (
                lambda: (build / "qc.json").is_file() and (build / "masters" / "tiny-book.m4b").is_file(),
                "qc.json merged, book muxed, manifest pending",
            ),
        ]
        for ready, what in points:
            kill_when(start(SLOW_RENDER, str(root), "0.5"), ready, what)
            assert not (build / "manifest.json").exists(), what
        summary = run_book(str(root), publish=False)
    finally:
        os.umask(old)
    assert summary["synthesized"] == 0 and summary["cached"] == 6
    assert delivered(root) == delivered(clean)  # masters and qc.json byte-identical
    qc = json.loads((build / "qc.json").read_text())
    assert [c["chapter"] for c in qc["chapters"]] == [1, 2]
    # umask 022: every file 0644, none 0600 (a killed writer's hidden temp file is never read)
    loose = sorted(
        str(p.relative_to(build))
        for p in build.rglob("*")
        if (p.is_file() and stat.S_IMODE(p.stat().st_mode) != 0o644 and not p.name.startswith("."))
        or (p.name == ".render.lock" and stat.S_IMODE(p.stat().st_mode) != 0o644)
    )
    assert loose == []
    assert read_holder(lock_path(build)) is None  # released at the end of the render


def test_second_render_refused_then_waits_then_takes_over_a_killed_holder(tmp_path, capsys):
    root = write_tiny_project(tmp_path / "tiny")
    build = root / "build"
    proc = start(SLOW_RENDER, str(root), "1.0")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (read_holder(lock_path(build)) is None or takes(root) < 1):
            time.sleep(0.05)
        holder = read_holder(lock_path(build))
        assert holder is not None and holder.pid == proc.pid and holder.host == socket.gethostname()
        assert lector(["render", str(root), "--no-publish"]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith(
            f"lector: error: {lock_path(build)}: the project is busy: render (pid {proc.pid} on "
        )
        assert "lector render --wait" in err
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # the killed render's record is still in the file, its flock gone: the next render takes over
    assert read_holder(lock_path(build)).pid == proc.pid
    holder_proc = start(HOLD_LOCK, str(build), "1.5")
    assert holder_proc.stdout.readline().strip() == "held"
    started = time.monotonic()
    assert lector(["render", str(root), "--no-publish", "--wait"]) == 0
    assert time.monotonic() - started > 0.5  # it waited for the holder
    holder_proc.wait(timeout=30)
    err = capsys.readouterr().err
    assert "lector: waiting for a test holder (pid" in err
    assert (
        json.loads((build / "manifest.json").read_text())["synthesized"]
        + json.loads((build / "manifest.json").read_text())["cached"]
        == 6
    )
