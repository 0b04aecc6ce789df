"""Task runner choice for the flows: ``task_runner_for("threads")`` (default), ``"sequential"``
or ``"dask"``.

``"dask"`` scales out with prefect-dask: with no ``address`` (and no ``$LECTOR_DASK_ADDRESS``)
it starts a small ``distributed.LocalCluster`` (``max_workers`` workers, default 2, one thread
each, so an engine never shares a model between threads); with a scheduler address
(``tcp://dask-scheduler:8786``) it submits to an existing cluster, whose workers share the
render cache through the S3 store (infra/README.md). Every runner renders byte-identical
masters: seeds come from the plan, never from the worker.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import opaque, quote

from lector.core.errors import ConfigError

RUNNERS = ("threads", "sequential", "dask")
DASK_ADDRESS_ENV = "LECTOR_DASK_ADDRESS"
DEFAULT_DASK_WORKERS = 2
TASK_RUNNER_ENV = "LECTOR_TASK_RUNNER"


def default_runner_name() -> str:
    """``$LECTOR_TASK_RUNNER`` or "threads": lets a work pool / worker container pick the runner of
    deployed flow runs (infra/docker-compose.yml sets "dask" next to ``$LECTOR_DASK_ADDRESS``)."""
    return os.environ.get(TASK_RUNNER_ENV) or "threads"


def task_runner_for(
    name: str = "threads",
    address: str | None = None,
    *,
    max_workers: int | None = None,
    processes: bool = True,
) -> Any:
    """A Prefect task runner by name. ``max_workers`` defaults to four times the CPU count (8 to 32):
    many tasks wait on ffmpeg processes, the engine's lock or disk, so one thread per core left
    cores idle (measured: an edit's MP3 task queued behind the FLAC ones); memory-heavy mastering is
    limited to one chapter per core inside the task (lector.core.pipeline.master). For "dask" it is the
    LocalCluster's worker count and ``processes=False`` keeps those workers in this process (tests).
    ``address`` applies to "dask" only."""
    if name == "dask":
        return _dask_runner(address or os.environ.get(DASK_ADDRESS_ENV) or None, max_workers, processes)
    if address:
        raise ConfigError(
            f"task runner {name!r} takes no scheduler address (got {address!r})",
            field="task_runner",
            fix="use the dask runner with an address, or drop the address",
        )
    if name == "threads":
        workers = max_workers or min(32, max(8, 4 * (os.cpu_count() or 1)))
        return ThreadPoolTaskRunner(max_workers=workers)
    if name == "sequential":
        return ThreadPoolTaskRunner(max_workers=1)
    raise ConfigError(
        f"unknown task runner {name!r}", field="task_runner", fix=f"use one of: {', '.join(RUNNERS)}"
    )


def _dask_runner(address: str | None, workers: int | None, processes: bool) -> Any:
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError as exc:  # the [dask] extra is optional
        raise ConfigError(
            "the dask task runner needs prefect-dask and dask[distributed]",
            field="task_runner",
            fix='pip install "lector[dask]"',
        ) from exc
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs(workers, processes)
    )


def local_cluster_kwargs(workers: int | None, processes: bool) -> dict[str, Any]:
    """LocalCluster settings: one thread per worker, no dashboard port to collide on."""
    return {
        "n_workers": workers or DEFAULT_DASK_WORKERS,
        "threads_per_worker": 1,
        "processes": processes,
        "dashboard_address": None,
    }


# -- task inputs ------------------------------------------------------------------------------------
# Before a task runs, Prefect walks its inputs (every dataclass field, list and tuple) twice, to
# resolve futures and to record dependencies. A chapter's sentences, spans and tokens are
# thousands of objects: the walks were a third of the CPU of a one-sentence edit. In threads the
# inputs are wrapped so they are not walked. Prefect's annotations are tuples, which a Dask client
# unpacks on the way to a worker, so with Dask the inputs go as they are.


def _in_threads() -> bool:
    ctx = FlowRunContext.get()
    return ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner)


def value_input(value: Any) -> Any:
    """A plain task input (a plan, a chapter, a batch of sentences) that Prefect need not walk."""
    return quote(value) if _in_threads() else value


def upstream(future: PrefectFuture[Any]) -> Any:
    """An upstream task's result as an input: waited for and tracked, its contents not walked."""
    return opaque(future) if _in_threads() else future


HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"


@contextmanager
def in_process_run() -> Iterator[None]:
    """For flows run in the caller's process (CLI, review app, bench): no flow-run heartbeats.

    Heartbeats let a server notice a worker that died mid-run; here the caller sees a crash
    itself. Prefect 3.8's heartbeat thread sleeps in 1 s steps and is joined when the flow ends,
    so it adds up to a second to every run (an empty 3-task flow: 1.09 s with it, 0.14 s without).
    Setting ``$PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` keeps Prefect's behaviour. Deployed runs (work
    pools, ``lector deploy``) are untouched."""
    if os.environ.get(HEARTBEAT_ENV):
        yield
        return
    import prefect.context

    context = prefect.context.get_settings_context()
    with prefect.context.SettingsContext(
        profile=context.profile, settings=_without_heartbeat(context.settings)
    ):
        yield


_QUIET: list[Any] = [None, None]  # [settings, the same settings without heartbeats]
_QUIET_LOCK = threading.Lock()


def _without_heartbeat(settings: Any) -> Any:
    """``settings`` with heartbeats off, made once per settings object (copying Prefect's
    settings took ~25 ms, paid again by every in-process run, e.g. each review edit)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    with _QUIET_LOCK:
        if _QUIET[0] is not settings:
            _QUIET[:] = [
                settings,
                settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
            ]
        return _QUIET[1]
