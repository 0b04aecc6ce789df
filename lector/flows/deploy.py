"""Register a project's deployments with the Prefect API, with the schedule from project.toml.

``deploy_project(path)`` creates (or updates) three deployments, each with a description and
its flow's parameter defaults (so the UI's run form shows them):

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
import inspect
from dataclasses import dataclass
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import CronSchedule
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron

from lector.core.project import Project, load_project

from .produce import produce_book, rerender_changed, rerender_sentences


@dataclass(frozen=True)
class DeployedFlow:
    name: str  # "<flow-name>/<deployment-name>", what run_deployment takes
    deployment_id: str
    cron: str | None
    timezone: str | None


def flow_defaults(flow, project: Project) -> dict:
    """The deployment's parameters: the project's path and every flow parameter that has a default,
    with that default, so the UI's run form shows them filled in (a parameter without a default,
    like rerender-sentences' ``sentence_ids``, stays required)."""
    params = {
        name: p.default
        for name, p in inspect.signature(flow.fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {"project_path": str(project.root), **params}


def describe(project: Project, what: str, scheduled: bool = False) -> str:
    """The deployment's description (markdown, shown on its page in the UI)."""
    book, out, sched = project.config.book, project.config.output, project.config.schedule
    when = (
        f"Runs on cron `{sched.cron}` ({sched.timezone}) and when triggered"
        if scheduled and sched.cron
        else "Runs when triggered (UI, `prefect deployment run`, review app)"
    )
    return (
        f"*{book.title or project.name}*{' by ' + book.author if book.author else ''} — {what}. "
        f"Project `{project.root}`; {out.profile} masters as {', '.join(out.formats)}; publish target "
        f"{project.config.publish.target}. {when}. Each run's report and flags are its artifacts."
    )


def project_deployments(project: Project, *, work_pool: str | None = None) -> list[RunnerDeployment]:
    """The RunnerDeployments for one project (not yet applied)."""
    sched = project.config.schedule
    schedules = [Cron(sched.cron, timezone=sched.timezone)] if sched.cron else []
    tags = ["lector", project.name]
    book = produce_book.to_deployment(
        name=project.name,
        schedules=schedules,
        parameters=flow_defaults(produce_book, project),
        tags=tags,
        description=describe(project, "render, master, QC and publish every chapter", scheduled=True),
        entrypoint_type=EntrypointType.MODULE_PATH,
        work_pool_name=work_pool,
    )
    changed = rerender_changed.to_deployment(
        name=project.name,
        parameters=flow_defaults(rerender_changed, project),
        tags=tags,
        description=describe(project, "re-render the chapters whose text, voices or settings changed"),
        entrypoint_type=EntrypointType.MODULE_PATH,
        work_pool_name=work_pool,
    )
    sentences = rerender_sentences.to_deployment(
        name=project.name,
        parameters=flow_defaults(rerender_sentences, project),
        tags=tags,
        description=describe(project, "re-render given sentence ids (the review app's edits)"),
        entrypoint_type=EntrypointType.MODULE_PATH,
        work_pool_name=work_pool,
    )
    return [_built(book), _built(changed), _built(sentences)]


def _built(dep: object) -> RunnerDeployment:
    """``to_deployment`` is sync-compatible: called from sync code it returns the deployment itself."""
    assert isinstance(dep, RunnerDeployment), type(dep)
    return dep


def deploy_project(project_path: str | Path, *, work_pool: str | None = None) -> list[DeployedFlow]:
    """Create or update the project's deployments; returns what was registered."""
    project = load_project(project_path)
    sched = project.config.schedule
    out = []
    for dep in project_deployments(project, work_pool=work_pool):
        dep_id = dep.apply(work_pool_name=work_pool) if work_pool else dep.apply()
        has_cron = bool(dep.schedules)
        out.append(
            DeployedFlow(
                name=f"{dep.flow_name}/{dep.name}",
                deployment_id=str(dep_id),
                cron=sched.cron if has_cron else None,
                timezone=sched.timezone if has_cron else None,
            )
        )
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
    return [
        (s.schedule.cron, s.schedule.timezone or "UTC", s.active)
        for s in dep.schedules
        if isinstance(s.schedule, CronSchedule)
    ]


def read_schedules(name: str) -> list[tuple[str, str, bool]]:
    """(cron, timezone, active) of a deployment's cron schedules, read back from the API."""
    return asyncio.run(_read_schedules(name))
