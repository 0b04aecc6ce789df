"""Lector's progress in the Prefect UI: the run logs and the task run names.

The library and the flows log progress to standard loggers under ``lector`` (``lector.progress``:
chapter, sentences done/total, engine, cache hits). Inside a flow or task run those records also
go to that run's log in the Prefect API (what the UI shows), through Prefect's own
``APILogHandler`` attached here, so the library never imports prefect. Outside a run (the CLI's
tools, the review app between runs) nothing is sent and nothing warns.

``lector.progress`` logs at INFO even where the root logger is at WARNING (a worker, a served
deployment): progress is what the run log is for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler

from lector.core.model import Chapter, Sentence
from lector.core.pipeline.progress import PROGRESS_LOGGER, chapter_label

FORWARDED = ("lector", PROGRESS_LOGGER)  # the CLI stops lector.progress from propagating


class _InRun(logging.Filter):
    """Passes a record once (the handler nearest its logger), and only inside a flow or task run."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "lector_forwarded", False):
            return False
        if TaskRunContext.get() is None and FlowRunContext.get() is None:
            return False
        record.lector_forwarded = True
        return True


class RunLogHandler(APILogHandler):
    """Prefect's API log handler, for Lector's loggers, inside runs only."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(_InRun())
        self.setFormatter(logging.Formatter("%(message)s"))


def forward_to_run_logs() -> None:
    """Attach the run-log handler to Lector's loggers (idempotent; called on import of flows.tasks,
    so Dask workers and served flow runs get it too)."""
    for name in FORWARDED:
        log = logging.getLogger(name)
        if not any(isinstance(h, RunLogHandler) for h in log.handlers):
            log.addHandler(RunLogHandler())
    progress = logging.getLogger(PROGRESS_LOGGER)
    if progress.level == logging.NOTSET:
        progress.setLevel(logging.INFO)


# -- task run names ---------------------------------------------------------------------------------


def chapter_run_name(verb: str, *, fmt_param: str | None = None) -> Callable[..., str]:
    """A ``task_run_name`` callable: ``"<verb> ch03 The Red-Headed League"`` from the task's
    ``chapter`` parameter (or ``label`` / ``chapter_index`` when it has no Chapter), with the
    export format when ``fmt_param`` names one."""

    def name(parameters: dict[str, Any]) -> str:
        chapter = parameters.get("chapter")
        if chapter is not None:
            label = chapter_label(chapter.index, chapter.title)
        else:
            label = parameters.get("label") or f"ch{int(parameters.get('chapter_index') or 0):02d}"
        fmt = f" {parameters[fmt_param]}" if fmt_param and parameters.get(fmt_param) else ""
        return f"{verb}{fmt} {label}"

    name.__name__ = f"{verb.replace('-', '_')}_run_name"
    return name


def batch_labels(chapter: Chapter, batches: list[tuple[Sentence, ...]]) -> list[str]:
    """Per synthesis batch: ``ch03 The Red-Headed League [5-8/40]`` (its sentences of the chapter's)."""
    total, start, out = len(chapter.sentences), 1, []
    for batch in batches:
        out.append(
            f"{chapter_label(chapter.index, chapter.title)} [{start}-{start + len(batch) - 1}/{total}]"
        )
        start += len(batch)
    return out
