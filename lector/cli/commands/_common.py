"""Helpers shared by the orchestration commands (render, publish, deploy, demo)."""

from __future__ import annotations

import json
import logging
import os
import threading


def quiet_prefect(args=None) -> None:
    """Keep Prefect's own console lines (and the tracebacks it logs for a failed run) out of the way
    of our progress and our one-paragraph errors (before importing prefect): shown with --debug,
    warnings with --verbose. Only the console handler is quietened; a Prefect API still gets the logs."""
    debug, verbose = getattr(args, "debug", False), getattr(args, "verbose", False)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if debug else "WARNING")
    os.environ.setdefault(
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "0" if debug else "WARNING" if verbose else "CRITICAL"
    )
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true")  # no PREFECT_API_URL: ephemeral


class EphemeralApi:
    """Prefect's temporary API server (a subprocess; no PREFECT_API_URL), started in a background
    thread while the command imports the flows and loads the project, instead of when the flow's
    first API call needs it (it takes longer to start than those imports). ``wait()``
    before the flow runs; the flow then finds it started (Prefect keeps one per process)."""

    def __init__(self) -> None:
        self._thread = threading.Thread(target=self._start, name="lector-prefect-api", daemon=True)
        self._thread.start()

    @staticmethod
    def _start() -> None:
        from prefect.settings import get_current_settings

        settings = get_current_settings()
        if settings.api.url or not settings.server.ephemeral.enabled:
            return  # a real server, or no temporary one: nothing to start early
        from prefect.server.api.server import SubprocessASGIServer

        try:
            SubprocessASGIServer().start()
        except RuntimeError:  # the flow starts it again and reports why it cannot
            return

    def wait(self) -> None:
        self._thread.join()


def start_prefect_api() -> EphemeralApi:
    return EphemeralApi()


def show_progress(args=None):
    """Progress on stderr while a flow runs (see _progress): a bar on a terminal, a line per chapter
    otherwise, every step with --verbose. Returns the view; close it before printing the summary."""
    from ._progress import attach

    view = attach(verbose=bool(getattr(args, "verbose", False)))
    logging.getLogger("lector.progress").propagate = False
    return view


def parse_chapters(text: str | None) -> list[int] | None:
    """ "1,3,5-7" -> [1, 3, 5, 6, 7]."""
    from lector.core.errors import ConfigError

    if not text:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        raise ConfigError(
            f"bad chapter list {text!r}",
            field="--chapters",
            fix="use numbers and ranges, e.g. --chapters 1,3,5-7",
        ) from None
    return out


def print_summary(summary: dict, *, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    print(
        f"{summary['project']}: chapters {summary['chapters'] or 'none changed'} — "
        f"synthesized {summary['synthesized']}, cached {summary['cached']}"
    )
    print(f"masters: {summary['masters']}")
    print(f"manifest: {summary['manifest']}")
    for flag in summary["flags"]:
        print(f"FLAG {flag}")
    for line in summary.get("retail", []):
        print(f"RETAIL {line}")
    warned = summary.get("plan_warnings") or {}
    if warned:
        kinds = ", ".join(f"{kind} {n}" for kind, n in warned.items())
        print(
            f"plan warnings: {sum(warned.values())} ({kinds}) — "
            f"`lector proof {summary['project']}` lists each; also in manifest.json plan_warnings"
        )
    fallback = summary.get("fallback") or {}
    if fallback.get("sentences"):
        per = ", ".join(f"chapter {i}: {n}" for i, n in fallback["chapters"].items())
        state = (
            "NOT published (render with --allow-fallback to accept them)"
            if fallback["publish_withheld"]
            else "allowed (--allow-fallback)"
        )
        print(
            f"fallback: {fallback['sentences']} sentence(s) spoken by a fallback voice ({per}) — {state}; "
            f"listen to them: manifest.json fallback_details"
        )
    qc = summary.get("qc")
    if qc:
        print(f"qc: {qc.get('flagged', 0)} of {qc.get('sentences', 0)} sentences flagged (build/qc.json)")
    if summary.get("review_bundle"):
        print(f"review bundle: {summary['review_bundle']}")
    if summary.get("published"):
        print(f"published: {summary['published']}")
