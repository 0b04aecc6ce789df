"""Re-render jobs: the flagged or changed sentences of a chapter rendered again in a background thread.

Where a job renders, the first of these that applies:

1. the Prefect deployment named by ``LECTOR_RERENDER_DEPLOYMENT``;
2. the app's preview service (lector.review.preview): in process, no flow, no Prefect server;
3. the ``rerender`` callable the app was given: ``lector review`` passes the production flow
   (lector.flows.produce.rerender_sentences), so this package never imports lector.flows.

The current cache keys are stored as takes first, so the old take stays playable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from lector.core.errors import LectorError

from .preview import service_for, short
from .store import ReviewStore

DEPLOYMENT_ENV = "LECTOR_RERENDER_DEPLOYMENT"
Rerender = Callable[[Path, list[str]], str]  # (project root, sentence ids) -> what was done
_jobs_lock = threading.Lock()


def rerender_available(root: Path, rerender: Rerender | None) -> bool:
    return bool(os.environ.get(DEPLOYMENT_ENV)) or rerender is not None or service_for(root) is not None


def start_rerender(
    root: Path,
    store: ReviewStore,
    chapter: int,
    sentences: list[tuple[str, str, int | None]],
    rerender: Rerender | None,
) -> int:
    """Re-render (id, current cache key, seed) sentences in a background thread; returns the job id."""
    for sid, key, seed in sentences:
        if key:
            store.add_take(sid, key, seed)
    ids = [sid for sid, _key, _seed in sentences]
    job_id = store.start_job(chapter, ids)
    thread = threading.Thread(
        target=_run_job,
        args=(root, store, job_id, chapter, ids),
        kwargs={"rerender": rerender},
        daemon=True,
        name=f"lector-rerender-{job_id}",
    )
    thread.start()
    return job_id


def _render(root: Path, chapter: int, ids: list[str], rerender: Rerender | None) -> str:
    deployment = os.environ.get(DEPLOYMENT_ENV)
    if deployment:
        from prefect.deployments import run_deployment

        run = run_deployment(deployment, parameters={"project_path": str(root), "sentence_ids": ids})
        return f"deployment {deployment}: {getattr(run, 'state_name', '')}"
    if (service := service_for(root)) is not None:
        return service.render_chapter(chapter)  # in the app: no flow, no Prefect server
    if rerender is None:
        raise RuntimeError("no re-render available")
    return rerender(root, ids)


def _run_job(
    root: Path, store: ReviewStore, job_id: int, chapter: int, ids: list[str], *, rerender: Rerender | None
) -> None:
    with _jobs_lock:
        try:
            message = _render(root, chapter, ids, rerender)
        except (LectorError, ImportError, OSError, RuntimeError, ValueError) as exc:
            store.finish_job(job_id, "failed", short(exc))  # what to do, not the exception's text
            return
        for sid in ids:
            store.set_pending(sid, chapter, False, "rerendered")
        store.finish_job(job_id, "done", message)
