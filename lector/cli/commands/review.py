"""`lector review PROJECT [--host 127.0.0.1] [--port 8765] [--token T] [--export DIR]`:
serve the editors' review app (uvicorn), or export the static review bundle."""

from __future__ import annotations

import os
from pathlib import Path

from lector.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("review", help="editors' review web app (or --export a static bundle)")
    p.add_argument("project", help="project folder")
    p.add_argument("--host", default="127.0.0.1", help="bind address (non-local needs --token)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", default=None, help="access token (default: $LECTOR_REVIEW_TOKEN)")
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host name the app answers (a reverse proxy's); repeatable; "
        "also $LECTOR_REVIEW_ALLOWED_HOSTS (comma-separated)",
    )
    p.add_argument(
        "--export", metavar="DIR", default=None, help="write the static HTML bundle to DIR and exit"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from lector.core.memtune import bound_heap

    bound_heap()  # a long-running server: freed audio goes back to the system
    root = Path(args.project).resolve()
    if not (root / "project.toml").is_file() and not (root / "build").is_dir():
        raise ConfigError(
            "not a project folder (no project.toml, no build/)", file=root, fix="point to a project folder"
        )
    if args.export:
        from lector.review.bundle import export_bundle

        index = export_bundle(root, args.export)
        print(f"review bundle: {index}")
        return 0
    from lector.review.security import check_bind, masked

    token = args.token or os.environ.get("LECTOR_REVIEW_TOKEN") or None
    check_bind(args.host, token)
    import uvicorn

    from lector.review.app import create_app

    app = create_app(
        root, token=token, host=args.host, allow_hosts=tuple(args.allow_host), rerender=rerender_with_flow
    )
    shown_host = args.host if args.host.strip() not in ("", "0", "0.0.0.0", "::") else "<this machine>"
    url = f"http://{shown_host}:{args.port}/"
    login = f"  (open {url}?token=<your token>; token {masked(token)})" if token else ""
    print(f"Lector review for {root.name}: {url}{login}  (Ctrl-C to stop)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def rerender_with_flow(root: Path, ids: list[str]) -> str:
    """The review app's re-render through the production flow, in this process (lector.review.jobs
    calls it when neither a deployment nor the app's preview service renders)."""
    from lector.flows.produce import rerender_changed, rerender_sentences
    from lector.flows.runners import in_process_run

    try:
        with in_process_run():
            summary = rerender_sentences(str(root), ids)
    except ConfigError as exc:
        if exc.field != "sentence_ids":
            raise
        # an edited sentence has a new id: let the flow find what changed
        with in_process_run():
            rerender_changed(str(root))
        return f"re-rendered changed sentences ({exc.message})"
    return f"re-rendered {len(summary.get('sentences', ids))} sentence(s)"
