"""A real, self-hosted `prefect server start` (SQLite, loopback, fast scheduler loop) with the
Prefect stack that pyproject.toml pins: `lector deploy` registers a cron schedule, the server's
scheduler creates SCHEDULED runs, the CLI lists deployments and runs (no HTTP 422), a run
triggered with `prefect deployment run` is executed by `lector deploy --serve` and completes
with masters written, and the server log holds no traceback.

The test harness (conftest.prefect_server) runs the API in-process and never starts the
scheduler service, so only this test sees what a producer's server does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, write_tiny_project

BIN = Path(sys.executable).parent
SCHEDULE = '\n[schedule]\ncron = "15 4 * * 1"\ntimezone = "Europe/Berlin"\n'
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def server_env(home: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1",
        PREFECT_SERVER_UI_ENABLED="false",
        COLUMNS="250",
        NO_COLOR="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    """In its own process group, so the runner's flow-run subprocesses are stopped with it."""
    return subprocess.Popen(
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for(what: str, probe, timeout_s: float, step_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def runs_in_state(api: str, deployment_id: str, state: str) -> list[dict]:
    body = {
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": [state]}}},
    }
    return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).raise_for_status().json()


def cli(args: list[str], env: dict, timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)


@pytest.mark.timeout(300)
def test_real_server_schedules_lists_and_runs_a_deployment(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = server_env(tmp_path / "prefect-home", api)
    root = write_tiny_project(tmp_path / "sched", extra_toml=SCHEDULE, cover=False)
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = serve = None
    try:
        server = start(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env,
            server_log,
        )
        wait_for("the Prefect server's /api/health", lambda: server.poll() is None and healthy(api), 120)

        deployed = cli([str(BIN / "lector"), "deploy", str(root)], env)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "deployment produce-book/sched: cron '15 4 * * 1' (Europe/Berlin)" in deployed.stdout
        dep = httpx.get(f"{api}/deployments/name/produce-book/sched", timeout=10).raise_for_status().json()
        scheduled = wait_for(
            "SCHEDULED runs from the scheduler", lambda: runs_in_state(api, dep["id"], "SCHEDULED"), 60
        )
        assert {r["state"]["name"] for r in scheduled} == {"Scheduled"}

        listed = cli([str(BIN / "prefect"), "deployment", "ls"], env)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "produce-book/sched" in listed.stdout
        runs = cli([str(BIN / "prefect"), "flow-run", "ls"], env)
        assert runs.returncode == 0, runs.stdout + runs.stderr
        assert "SCHEDULED" in runs.stdout

        triggered = cli(
            [str(BIN / "prefect"), "deployment", "run", "produce-book/sched", "--param", "publish=false"], env
        )
        assert triggered.returncode == 0, triggered.stdout + triggered.stderr
        run_id = re.search(r"UUID: ([0-9a-f-]{36})", triggered.stdout).group(1)
        serve = start([str(BIN / "lector"), "deploy", str(root), "--serve"], env, serve_log)

        def final_state():
            state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).raise_for_status().json()["state"]
            return state if state["type"] in FINAL else None

        state = wait_for("the triggered run to finish", final_state, 150, step_s=2)
        assert state["type"] == "COMPLETED", (
            state.get("message") or serve_log.read_text(errors="replace")[-4000:]
        )

        # what a producer follows in the UI: Lector's progress in the run's logs, its report artifacts
        # run logs reach the API in batches (Prefect's log worker), possibly after the final state
        def progress_lines():
            logs = (
                httpx.post(
                    f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
                )
                .raise_for_status()
                .json()
            )
            lines = [log["message"] for log in logs if log["name"] == "lector.progress"]
            return lines if any("book 6/6 sentences" in line for line in lines) else None

        lines = wait_for("Lector's progress in the run's logs", progress_lines, 60, step_s=2)
        done = sorted(
            line.split(" — ") for line in lines if " — book " in line
        )  # chapters may finish in any order
        assert [head for head, _ in done] == [
            "ch01 One: 3 sentences rendered (fake 3; synthesized 3, cached 0)",
            "ch02 Two: 3 sentences rendered (fake 3; synthesized 3, cached 0)",
        ]
        assert sorted(tail for _, tail in done) == ["book 3/6 sentences", "book 6/6 sentences"]
        artifacts = (
            httpx.post(
                f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
            )
            .raise_for_status()
            .json()
        )
        assert sorted(a["key"] for a in artifacts) == ["lector-sched-flags", "lector-sched-report"]
    finally:
        stop(serve)
        stop(server)
    masters = sorted(p.name for p in (root / "build" / "masters").iterdir() if p.is_file())
    assert masters == [
        "01-one.flac",
        "01-one.mp3",
        "01-one.vtt",
        "02-two.flac",
        "02-two.mp3",
        "02-two.vtt",
        "tiny-book.m4b",
    ]
    log = server_log.read_text(errors="replace")
    assert "Traceback" not in log, log[-6000:]
    assert "Uvicorn running" in log or "Check out the dashboard" in log or "API reference" in log


def test_the_pinned_server_stack_is_installed_and_is_what_compose_runs():
    import tomllib
    from importlib.metadata import version

    import yaml
    from packaging.requirements import Requirement

    repo = Path(__file__).resolve().parents[1]
    deps = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {r.name.lower(): r.specifier for r in map(Requirement, deps)}
    for name in ("sqlalchemy", "fastapi", "starlette", "pydantic", "pydantic-settings", "prefect"):
        assert pins[name].contains(version(name)), (name, version(name), str(pins[name]))
    # the releases that broke `prefect server start` (scheduler InvalidRequestError, HTTP 422) stay out
    assert (pins["sqlalchemy"].contains("2.1.0"), pins["fastapi"].contains("0.151.0")) == (False, False)
    compose = yaml.safe_load((repo / "infra" / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    assert compose["prefect-server"]["image"] == compose["worker-cpu"]["image"]
    assert compose["prefect-server"]["build"]["dockerfile"] == "infra/Dockerfile.worker"
