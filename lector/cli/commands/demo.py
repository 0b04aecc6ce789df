"""`lector demo`: render the two demo projects with the embedded engines and publish locally."""

from __future__ import annotations

from pathlib import Path

from ._common import print_summary, quiet_prefect, show_progress, start_prefect_api

PROJECTS = Path(__file__).resolve().parents[3] / "projects"
DEMOS = ("demo-zh", "demo-en")


def register(sub) -> None:
    p = sub.add_parser("demo", help="render projects/demo-zh and projects/demo-en (embedded engines)")
    p.add_argument("--projects", default=str(PROJECTS), help="folder holding the demo projects")
    p.set_defaults(func=run)


def run(args) -> int:
    quiet_prefect(args)
    from lector.core.errors import ConfigError

    root = Path(args.projects)
    missing = [name for name in DEMOS if not (root / name / "project.toml").is_file()]
    if missing:
        raise ConfigError(
            f"demo project(s) missing: {', '.join(missing)}",
            file=root,
            fix="run `lector demo` from a full checkout of the repository",
        )
    api = start_prefect_api()  # starts while the flows are imported
    view = show_progress(args)
    from lector.flows.produce import run_book

    api.wait()
    for name in DEMOS:
        summary = run_book(str(root / name), publish=True)
        view.close()
        print_summary(summary)
        view = show_progress(args)
    view.close()
    print(
        "listen: open the .m4b / .mp3 files above; the object store copy is under each project's "
        "build/object-store/"
    )
    return 0
