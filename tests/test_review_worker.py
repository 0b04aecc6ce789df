"""The review app's preview worker (lector.review.preview_worker): the planner and engines load in a
child process, never in the app's; it stops when idle, with the app, and when the app is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import write_tiny_project

pytestmark = pytest.mark.slow

APP = r"""
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from lector.review.app import create_app

root = Path(sys.argv[1])
app = create_app(root)
with TestClient(app, base_url="http://127.0.0.1:8765") as c:
    service = app.state.ctx.previews
    service.render_chapter(1)
    rows = json.loads((root / "build/chapters/01/timeline.json").read_text())["sentences"]
    c.get("/")
    r = c.post(
        f"/sentences/{rows[1]['id']}/preview",
        data={"reroll": "1", "csrf_token": c.cookies["lector_csrf"]},
        headers={"X-Requested-With": "fetch"},
    )
    worker = service.worker.pid
heavy = ("lector.core.planner", "lector.core.pipeline", "lector.core.engines.fake")
print(json.dumps({
    "status": r.status_code,
    "synthesized": r.json()["synthesized"],
    "in_app": [m for m in heavy if m in sys.modules],
    "worker": worker,
}))
"""

KILLED = r"""
import sys, time
from pathlib import Path
from lector.review.worker_client import PreviewWorker
from lector.review.worker_records import WarmUp

worker = PreviewWorker(Path(sys.argv[1]))
print(type(worker.call(WarmUp())).__name__, worker.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _env() -> dict[str, str]:
    return dict(os.environ, LECTOR_REVIEW_WARM="0")


def test_planner_and_engines_load_in_the_worker_not_the_app(tmp_path):
    root = write_tiny_project(tmp_path / "tiny", engine="fake")
    done = subprocess.run(
        [sys.executable, "-c", APP, str(root)],
        check=False,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["status"], out["synthesized"], out["in_app"]) == (200, True, [])
    assert isinstance(out["worker"], int)
    assert _gone_within(out["worker"], 5.0)  # stopped with the app


def test_idle_worker_stops_and_the_next_request_starts_it_again(tmp_path, monkeypatch):
    from lector.review.worker_client import PreviewWorker
    from lector.review.worker_records import Warmed, WarmUp

    root = write_tiny_project(tmp_path / "tiny", engine="fake")
    worker = PreviewWorker(root, idle_s=3.0)
    try:
        assert worker.call(WarmUp()) == Warmed()
        first = worker.pid
        assert first is not None and first != os.getpid()
        assert _gone_within(first, 20.0)
        assert worker.pid is None
        assert worker.call(WarmUp()) == Warmed()
        second = worker.pid
        assert second not in (None, first)
    finally:
        worker.close()
    assert worker.pid is None


def test_worker_ends_when_the_app_is_killed(tmp_path):
    root = write_tiny_project(tmp_path / "tiny", engine="fake")
    app = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(root)], stdout=subprocess.PIPE, text=True, env=_env()
    )
    try:
        answer, pid = app.stdout.readline().split()  # type: ignore[union-attr]
        assert answer == "Warmed" and _alive(int(pid))
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
        assert _gone_within(int(pid), 10.0)
    finally:
        if app.poll() is None:
            app.kill()


def test_a_dead_worker_is_started_again_by_the_next_request(tmp_path):
    from lector.review.worker_client import PreviewWorker
    from lector.review.worker_records import Warmed, WarmUp

    root = write_tiny_project(tmp_path / "tiny", engine="fake")
    worker = PreviewWorker(root, idle_s=0)
    try:
        assert worker.call(WarmUp()) == Warmed()
        first = worker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while worker.pid is not None and time.monotonic() < deadline:  # pid: None once it is reaped
            time.sleep(0.1)
        assert worker.pid is None
        assert worker.call(WarmUp()) == Warmed()
        assert worker.pid not in (None, first)
    finally:
        worker.close()
