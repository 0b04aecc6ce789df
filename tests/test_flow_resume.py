"""Kill a render mid-chapter (SIGKILL), run it again: finished sentences are kept, nothing is corrupt."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from prefect.settings import get_current_settings

from lector.core.cache import LocalStore
from lector.flows.produce import run_book

pytestmark = pytest.mark.usefixtures("prefect_server")

# the fake engine, slowed down so the kill lands between sentences of chapter 1
SLOW_RENDER = """
import sys, time
from lector.core.engines import fake
_orig = fake.FakeEngine.synthesize
def _slow(self, requests):
    time.sleep(float(sys.argv[2]))
    return _orig(self, requests)
fake.FakeEngine.synthesize = _slow
from lector.flows.produce import run_book
run_book(sys.argv[1], publish=False, runner="sequential")
"""
KEY_RE = re.compile(r"[0-9a-f]{64}")


def finished_keys(root):
    return sorted(p.stem for p in (root / "build" / "cache").rglob("*.flac") if KEY_RE.fullmatch(p.stem))


def test_kill_mid_chapter_then_resume(tiny_project):
    root = tiny_project(batch_size=1)
    env = dict(os.environ, PREFECT_API_URL=get_current_settings().api.url, PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_RENDER, str(root), "1.0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (root / "build" / "cache").is_dir() and len(finished_keys(root)) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the render finished or died before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    kept = finished_keys(root)
    assert 2 <= len(kept) < 6
    assert not (root / "build" / "manifest.json").exists()
    store = LocalStore(root / "build" / "cache")
    for key in kept:  # every finished entry decodes: nothing corrupt
        audio, sample_rate = store.read(key)
        assert sample_rate == 24000 and audio.size > 0

    summary = run_book(str(root), publish=False)
    assert (summary["synthesized"], summary["cached"]) == (6 - len(kept), len(kept))
    assert set(kept) <= set(finished_keys(root))
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert [c["index"] for c in manifest["chapters"]] == [1, 2]
    assert len(manifest["files"]) == 7
    assert all((root / "build" / f["path"]).is_file() for f in manifest["files"])
