"""Collect :class:`~lector.core.model.PlanWarning` records while a plan is built.

Any code that runs under ``build_plan`` (manuscript readers, normalisers, the planner) calls
:func:`add_warning`; ``build_plan`` wraps its work in :func:`collecting` and puts what was
collected on ``Plan.warnings``. Outside a collection a warning goes to the ``lector.plan``
logger, so it is never lost silently (e.g. a reader called on its own in a test).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from .model import PlanWarning

_LOG = logging.getLogger("lector.plan")
_ACTIVE: contextvars.ContextVar[list[PlanWarning] | None] = contextvars.ContextVar(
    "lector_plan_warnings", default=None
)


def add_warning(kind: str, message: str, source: str = "") -> PlanWarning:
    """Record a warning on the plan being built (or log it when no plan is being built)."""
    warning = PlanWarning(kind=kind, message=message, source=str(source))
    active = _ACTIVE.get()
    if active is None:
        _log(warning)
    else:
        active.append(warning)
    return warning


def _log(w: PlanWarning) -> None:
    _LOG.warning("%s: %s%s", w.kind, w.message, f" ({w.source})" if w.source else "")


@contextlib.contextmanager
def collecting() -> Iterator[list[PlanWarning]]:
    """Collect the warnings added inside the block into the yielded list (nested blocks share
    the outer list, so a helper that plans a part of the book reports to the whole plan)."""
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    bucket: list[PlanWarning] = []
    token = _ACTIVE.set(bucket)
    try:
        yield bucket
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def recording() -> Iterator[list[PlanWarning]]:
    """The warnings added inside the block, in order, in the yielded list (filled when the block
    ends); they still go where they would have gone (the active collection, or the log), so a
    caller can tell which part of the plan raised which warning without taking them from the plan."""
    mine: list[PlanWarning] = []
    logged = _ACTIVE.get() is None  # no plan is being built: the warnings go to the log
    with collecting() as bucket:
        start = len(bucket)
        try:
            yield mine
        finally:
            mine.extend(bucket[start:])
            if logged:
                for w in mine:
                    _log(w)
