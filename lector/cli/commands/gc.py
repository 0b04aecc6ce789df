"""`lector gc PROJECT [--dry-run] [--drop-history] [--min-age-minutes N]`: remove the takes,
mastered blocks, AACs and QC records in build/ that the current plan and masters no longer use,
and block FLACs whose frames chapter.flac already holds (lector.core.prune). The review app's take
history is kept unless --drop-history."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict

from lector.core.errors import ConfigError

CACHE_URL_ENV = (
    "LECTOR_CACHE_URL"  # = flows.tasks.CACHE_URL_ENV (not imported: gc runs no flow, needs no prefect)
)


def register(sub) -> None:
    p = sub.add_parser("gc", help="remove build files nothing uses any more (old takes, blocks, AACs)")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    p.add_argument(
        "--drop-history",
        action="store_true",
        help="also remove earlier takes the review app keeps for comparing and restoring",
    )
    p.add_argument(
        "--min-age-minutes",
        type=float,
        default=10.0,
        help="keep files written more recently than this (a render may be running; default 10)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lector.core.build import BuildDir
    from lector.core.planner import build_plan
    from lector.core.project import load_project
    from lector.core.prune import prune_build
    from lector.review.store import ReviewStore

    if args.min_age_minutes < 0:
        raise ConfigError(
            f"--min-age-minutes {args.min_age_minutes} is negative",
            field="--min-age-minutes",
            fix="give 0 or more minutes",
        )
    project = load_project(args.project)
    plan = build_plan(project)  # a manuscript error stops here: nothing is removed
    history: set[str] = set()
    if not args.drop_history and BuildDir.of(project).review_state.is_file():
        store = ReviewStore.for_project(project.root)
        history = {t.cache_key for takes in store.takes_by_sentence().values() for t in takes}
    report = prune_build(
        project, plan, keep_keys=history, min_age_s=60 * args.min_age_minutes, dry_run=args.dry_run
    )
    verb = "would remove" if args.dry_run else "removed"
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": args.dry_run,
                    "freed_bytes": report.freed_bytes,
                    "areas": [asdict(a) for a in report.areas],
                    "removed": [str(p.relative_to(project.build_dir)) for p in report.removed],
                    "shared_cache_not_pruned": bool(os.environ.get(CACHE_URL_ENV, "").strip()),
                },
                indent=2,
            )
        )
        return 0
    for area in report.areas:
        if area.skipped:
            print(f"{area.name}: kept all {area.kept} files: {area.skipped}")
        else:
            print(f"{area.name}: {verb} {area.removed} files ({_mb(area.freed_bytes)}), kept {area.kept}")
    if args.dry_run:
        for path in report.removed:
            print(f"  {path.relative_to(project.build_dir)}")
    if os.environ.get(CACHE_URL_ENV, "").strip():
        print(f"note: ${CACHE_URL_ENV} is set; that shared cache is not pruned from one project")
    print(f"{verb} {_mb(report.freed_bytes)} in total")
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
