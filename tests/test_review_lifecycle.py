"""`lector review` as editors run it: SIGTERM stops it and leaves no process behind; no telemetry noise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import free_port
from tests.test_review import make_review_project

pytestmark = pytest.mark.slow


def _wait_up(url: str, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"lector review exited early: {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("lector review did not start")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_app_and_its_children(tmp_path, sig):
    psutil = pytest.importorskip("psutil")

    project = make_review_project(tmp_path)
    port = free_port()
    env = dict(os.environ, LECTOR_REVIEW_WARM="1")
    for name in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED"):
        env.pop(name, None)  # the app itself turns telemetry off
    proc = subprocess.Popen(
        [sys.executable, "-m", "lector", "review", str(project), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/chapters/1", proc)
        family = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode in (0, -sig, 128 + sig)  # uvicorn shuts down, then re-raises the signal
    assert [
        p for p in family if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ] == []
    assert "Traceback" not in err
    assert "telemetry" not in (out + err).lower()
    assert "Lector review for storm" in out
