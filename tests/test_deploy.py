"""Deployments: the project's cron schedule is registered, and a triggered run completes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

from lector.cli import main as lector
from lector.flows.deploy import deploy_project, read_schedules, serve_project

REPO = Path(__file__).resolve().parents[1]
SCHEDULE = '\n[schedule]\ncron = "15 4 * * 1"\ntimezone = "Europe/Berlin"\n'


async def _state(flow_run_id):
    async with get_client() as client:
        return (await client.read_flow_run(flow_run_id)).state


@pytest.mark.usefixtures("prefect_server")
def test_deploy_registers_schedule_and_triggered_run_completes(tiny_project, capsys):
    root = tiny_project("sched", extra_toml=SCHEDULE)
    assert lector(["deploy", str(root)]) == 0
    out = capsys.readouterr().out
    assert "deployment produce-book/sched: cron '15 4 * * 1' (Europe/Berlin)" in out
    assert "deployment rerender-changed/sched: no schedule" in out
    assert "deployment rerender-sentences/sched: no schedule" in out
    assert read_schedules("produce-book/sched") == [("15 4 * * 1", "Europe/Berlin", True)]
    assert read_schedules("rerender-changed/sched") == []

    run = run_deployment("produce-book/sched", parameters={"publish": False}, timeout=0)
    serve_project(root, run_once=True)  # a Runner picks the run up and executes it
    state = asyncio.run(_state(run.id))
    assert state.is_completed(), state.message
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert (manifest["synthesized"], manifest["cached"]) == (6, 0)


@pytest.mark.usefixtures("prefect_server")
def test_redeploy_updates_the_schedule(tiny_project):
    root = tiny_project("resched", extra_toml=SCHEDULE)
    deploy_project(root)
    toml = root / "project.toml"
    toml.write_text(toml.read_text().replace("15 4 * * 1", "0 6 * * *"))
    deployed = deploy_project(root)
    assert [(d.name, d.cron) for d in deployed] == [
        ("produce-book/resched", "0 6 * * *"),
        ("rerender-changed/resched", None),
        ("rerender-sentences/resched", None),
    ]
    assert read_schedules("produce-book/resched") == [("0 6 * * *", "Europe/Berlin", True)]


def test_prefect_yaml_declares_pools_and_schedules():
    data = yaml.safe_load((REPO / "prefect.yaml").read_text())
    model = PrefectYamlModel.model_validate(data)
    rows = {
        d.name: (d.flow_name, d.entrypoint, d.work_pool.name, [s.cron for s in d.schedules])
        for d in model.deployments
    }
    assert rows == {
        "demo-zh": ("produce-book", "lector/flows/produce.py:produce_book", "cpu", ["0 2 * * *"]),
        "demo-en": ("produce-book", "lector/flows/produce.py:produce_book", "cpu", ["30 2 * * *"]),
        "demo-zh-changed": (
            "rerender-changed",
            "lector/flows/produce.py:rerender_changed",
            "cpu",
            ["0 * * * *"],
        ),
        "gpu-book": ("produce-book", "lector/flows/produce.py:produce_book", "gpu", ["0 3 * * 6"]),
    }
    for deployment in model.deployments:
        module, _, name = deployment.entrypoint.partition(":")
        assert (REPO / module).is_file()
        assert f"def {name}(" in (REPO / module).read_text()
        assert (REPO / deployment.parameters["project_path"] / "project.toml").is_file()
