"""Register a project's deployments with the Prefect API, with the schedule from project.toml.

``deploy_project(path)`` creates (or updates) two deployments:

* ``produce-book/<project>`` — the whole book, on ``[schedule] cron`` / ``timezone`` when set;
* ``rerender-changed/<project>`` — re-render what changed, no schedule (trigger it from the UI);
* ``rerender-sentences/<project>`` — re-render given ``sentence_ids`` (the review app triggers it
  when ``LECTOR_RERENDER_DEPLOYMENT=rerender-sentences/<project>``).

Without ``work_pool`` they are *served* deployments: ``serve_project`` (``lector deploy --serve``)
runs a Prefect ``Runner`` that executes their scheduled and triggered runs. With ``work_pool``
("cpu" / "gpu") a ``prefect worker start --pool NAME`` started at the repository root runs them.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron

from tts_engine.project import Project, load_project

from .produce import produce_book, rerender_changed, rerender_sentences


@dataclass(frozen=True)
class DeployedFlow:
    name: str                   # "<flow-name>/<deployment-name>", what run_deployment takes
    deployment_id: str
    cron: str | None
    timezone: str | None


def project_deployments(project: Project, *, work_pool: str | None = None) -> list[RunnerDeployment]:
    """The RunnerDeployments for one project (not yet applied)."""
    sched = project.config.schedule
    schedules = [Cron(sched.cron, timezone=sched.timezone)] if sched.cron else []
    params = {"project_path": str(project.root)}
    tags = ["lector", project.name]
    book = produce_book.to_deployment(
        name=project.name, schedules=schedules, parameters=params, tags=tags,
        description=f"Render and publish {project.config.book.title!r}",
        entrypoint_type=EntrypointType.MODULE_PATH, work_pool_name=work_pool,
    )
    changed = rerender_changed.to_deployment(
        name=project.name, parameters=params, tags=tags,
        description=f"Re-render what changed in {project.config.book.title!r}",
        entrypoint_type=EntrypointType.MODULE_PATH, work_pool_name=work_pool,
    )
    sentences = rerender_sentences.to_deployment(
        name=project.name, parameters=params, tags=tags,
        description=f"Re-render given sentence ids of {project.config.book.title!r} (review app)",
        entrypoint_type=EntrypointType.MODULE_PATH, work_pool_name=work_pool,
    )
    return [book, changed, sentences]


def deploy_project(project_path: str | Path, *, work_pool: str | None = None) -> list[DeployedFlow]:
    """Create or update the project's deployments; returns what was registered."""
    project = load_project(project_path)
    sched = project.config.schedule
    out = []
    for dep in project_deployments(project, work_pool=work_pool):
        dep_id = dep.apply(work_pool_name=work_pool) if work_pool else dep.apply()
        has_cron = bool(dep.schedules)
        out.append(DeployedFlow(name=f"{dep.flow_name}/{dep.name}", deployment_id=str(dep_id),
                                cron=sched.cron if has_cron else None,
                                timezone=sched.timezone if has_cron else None))
    return out


def serve_project(project_path: str | Path, *, run_once: bool = False) -> None:
    """Run a Runner for the project's served deployments (blocks unless ``run_once``)."""
    project = load_project(project_path)
    runner = Runner(name=f"lector-{project.name}", pause_on_shutdown=False)
    for dep in project_deployments(project):
        runner.add_deployment(dep)
    asyncio.run(runner.start(run_once=run_once))


async def _read_schedules(name: str) -> list[tuple[str, str, bool]]:
    async with get_client() as client:
        dep = await client.read_deployment_by_name(name)
    return [(s.schedule.cron, s.schedule.timezone, s.active) for s in dep.schedules
            if getattr(s.schedule, "cron", None)]


def read_schedules(name: str) -> list[tuple[str, str, bool]]:
    """(cron, timezone, active) of a deployment's cron schedules, read back from the API."""
    return asyncio.run(_read_schedules(name))
