"""`lector render PROJECT [--chapters 1,3] [--draft] [--no-publish] [--no-qc]`: run the produce-book flow."""
from __future__ import annotations

from ._common import parse_chapters, print_summary, quiet_prefect, show_progress


def register(sub) -> None:
    p = sub.add_parser("render", help="render a project: synthesize, stitch, master, export, publish")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--chapters", help="only these chapters, e.g. 1,3 or 2-4")
    p.add_argument("--draft", action="store_true", help="fast draft voices (espeak-draft)")
    p.add_argument("--no-publish", dest="publish", action="store_false", help="skip publishing")
    p.add_argument("--changed", action="store_true", help="only rebuild chapters whose sentences changed")
    p.add_argument("--no-qc", dest="qc", action="store_const", const=False, default=None,
                   help="skip the per-chapter QC (ASR, voice consistency); default: [render] qc (on)")
    p.add_argument("--runner", default="threads", help="task runner: threads (default), sequential, dask")
    p.add_argument("--address", help="scheduler address for --runner dask")
    p.add_argument("--workers", type=int, help="parallel tasks (default: CPU count, at most 8)")
    p.set_defaults(func=run)


def run(args) -> int:
    quiet_prefect()
    show_progress()
    from ..produce import rerender_changed, run_book
    from ..runners import in_process_run, task_runner_for

    if args.changed:
        runner = task_runner_for(args.runner, args.address, max_workers=args.workers)
        with in_process_run():
            summary = rerender_changed.with_options(task_runner=runner)(project_path=args.project,
                                                                         publish=args.publish, qc=args.qc)
    else:
        summary = run_book(args.project, chapters=parse_chapters(args.chapters), draft=args.draft,
                           publish=args.publish, runner=args.runner, address=args.address,
                           max_workers=args.workers, qc=args.qc)
    print_summary(summary)
    return 0
