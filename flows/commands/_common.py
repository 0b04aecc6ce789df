"""Helpers shared by the orchestration commands (render, publish, deploy, demo)."""
from __future__ import annotations

import logging
import os
import sys


def quiet_prefect() -> None:
    """Keep Prefect's own log lines out of the way of our progress lines (before importing prefect)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true")   # no PREFECT_API_URL: ephemeral


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each record."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def show_progress() -> None:
    """Per-batch / per-chapter progress lines on stderr."""
    log = logging.getLogger("lector.progress")
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("lector: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def parse_chapters(text: str | None) -> list[int] | None:
    """"1,3,5-7" -> [1, 3, 5, 6, 7]."""
    from tts_engine.errors import ConfigError

    if not text:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        raise ConfigError(f"bad chapter list {text!r}", field="--chapters",
                          fix="use numbers and ranges, e.g. --chapters 1,3,5-7") from None
    return out


def print_summary(summary: dict) -> None:
    print(f"{summary['project']}: chapters {summary['chapters'] or 'none changed'} — "
          f"synthesized {summary['synthesized']}, cached {summary['cached']}")
    print(f"masters: {summary['masters']}")
    print(f"manifest: {summary['manifest']}")
    for flag in summary["flags"]:
        print(f"FLAG {flag}")
    if summary.get("fallbacks"):
        print(f"fallbacks (review these): {', '.join(summary['fallbacks'])}")
    qc = summary.get("qc")
    if qc:
        print(f"qc: {qc.get('flagged', 0)} of {qc.get('sentences', 0)} sentences flagged "
              f"(build/qc.json)")
    if summary.get("review_bundle"):
        print(f"review bundle: {summary['review_bundle']}")
    if summary.get("published"):
        print(f"published: {summary['published']}")
