"""`lector render PROJECT [--chapters 1,3] [--draft] [--no-publish] [--no-qc] [--allow-fallback] [--json]`:
run the produce-book flow.

Exit codes: 0 the book is what the project asked for; 2 a Lector error (nothing published);
3 some sentences were spoken by a declared fallback voice and --allow-fallback was not given
(the masters and manifest are written, nothing is published)."""

from __future__ import annotations

from ._common import parse_chapters, print_summary, quiet_prefect, show_progress, start_prefect_api


def register(sub) -> None:
    p = sub.add_parser("render", help="render a project: synthesize, stitch, master, export, publish")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--chapters", help="only these chapters, e.g. 1,3 or 2-4")
    p.add_argument("--draft", action="store_true", help="fast draft voices (espeak-draft)")
    p.add_argument("--no-publish", dest="publish", action="store_false", help="skip publishing")
    p.add_argument("--changed", action="store_true", help="only rebuild chapters whose sentences changed")
    p.add_argument(
        "--no-qc",
        dest="qc",
        action="store_const",
        const=False,
        default=None,
        help="skip the per-chapter QC (ASR, voice consistency); default: [render] qc (on)",
    )
    p.add_argument("--runner", default="threads", help="task runner: threads (default), sequential, dask")
    p.add_argument("--address", help="scheduler address for --runner dask")
    p.add_argument(
        "--workers", type=int, help="parallel tasks (threads: 4 per CPU, 8 to 32; dask: 2 workers)"
    )
    p.add_argument(
        "--allow-fallback",
        action="store_true",
        help="accept sentences spoken by a voice's declared fallback (exit 0, publish); "
        "default: report them, exit 3, publish nothing",
    )
    p.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another render of this project is running, wait for it (default: refuse)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from lector.core.memtune import bound_heap

    bound_heap()  # large audio buffers go back to the system when freed
    quiet_prefect(args)
    from lector.core.errors import FallbackUsed
    from lector.core.lock import project_lock
    from lector.core.project import load_project

    # the flow takes the lock again (same thread: nested); taking it here refuses before Prefect starts
    wait_s = float("inf") if args.wait else 0.0
    chapters = parse_chapters(args.chapters)  # argument errors before anything starts
    view = show_progress(args)
    try:
        with project_lock(load_project(args.project).build_dir, "lector render", wait_s=wait_s):
            api = start_prefect_api()  # starts while the flows are imported
            summary = _render(args, chapters, api)
    except FallbackUsed as exc:  # the book is built: say what it holds, then fail (exit 3)
        view.close()
        if exc.summary is not None:
            print_summary(exc.summary, as_json=args.json)
        raise
    finally:
        view.close()
    print_summary(summary, as_json=args.json)
    return 0


def _render(args, chapters: list[int] | None, api) -> dict:
    from lector.flows.produce import rerender_changed, run_book
    from lector.flows.runners import in_process_run, task_runner_for

    api.wait()
    if args.changed:
        runner = task_runner_for(args.runner, args.address, max_workers=args.workers)
        with in_process_run():
            summary = rerender_changed.with_options(task_runner=runner)(
                project_path=args.project,
                publish=args.publish,
                qc=args.qc,
                allow_fallback=args.allow_fallback,
            )
    else:
        summary = run_book(
            args.project,
            chapters=chapters,
            draft=args.draft,
            publish=args.publish,
            runner=args.runner,
            address=args.address,
            max_workers=args.workers,
            qc=args.qc,
            allow_fallback=args.allow_fallback,
        )
    return summary
