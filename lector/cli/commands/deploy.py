"""`lector deploy PROJECT [--work-pool cpu|gpu] [--serve]`: register the project's deployments."""

from __future__ import annotations

import json
from dataclasses import asdict

from ._common import quiet_prefect


def register(sub) -> None:
    p = sub.add_parser("deploy", help="register the project's Prefect deployments with its [schedule]")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--work-pool", help="run through a work pool (cpu, gpu) instead of a served runner")
    p.add_argument("--serve", action="store_true", help="then serve them here until Ctrl-C")
    p.add_argument("--json", action="store_true", help="print the registered deployments as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    quiet_prefect(args)
    from prefect.settings import get_current_settings

    from lector.core.errors import ConfigError
    from lector.flows.deploy import deploy_project, serve_project

    api = get_current_settings().api.url
    if not api and not args.serve:
        raise ConfigError(
            "no Prefect API to register with (PREFECT_API_URL is unset)",
            field="PREFECT_API_URL",
            fix="run `prefect server start`, then `export PREFECT_API_URL=http://127.0.0.1:4200/api`",
        )
    deployed = deploy_project(args.project, work_pool=args.work_pool)
    if args.json:
        print(json.dumps([asdict(d) for d in deployed], indent=2))
        if args.serve:
            serve_project(args.project)
        return 0
    for dep in deployed:
        when = f"cron '{dep.cron}' ({dep.timezone})" if dep.cron else "no schedule (run it from the UI)"
        print(f"deployment {dep.name}: {when}")
    if api:
        print(f"UI: {api.removesuffix('/api')}/deployments — the schedule shows on the deployment's page")
    if args.work_pool:
        print(f"start a worker at the repository root: prefect worker start --pool {args.work_pool}")
    elif args.serve:
        print("serving (Ctrl-C to stop)…")
        serve_project(args.project)
    else:
        print(f"serve it: lector deploy {args.project} --serve")
    return 0
