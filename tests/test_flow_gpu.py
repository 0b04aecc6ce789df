"""Synthesis tasks of an engine that needs a GPU run under the Prefect concurrency limit "gpu"."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from itertools import pairwise

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from lector.core.engines import registry
from lector.core.engines.fake import FakeEngine
from lector.flows.produce import run_book

pytestmark = pytest.mark.usefixtures("prefect_server")
SPANS: list[tuple[float, float]] = []
_LOCK = threading.Lock()


class GpuFake(FakeEngine):
    """The fake engine claiming a GPU; records when each synthesize call ran."""

    capabilities = replace(FakeEngine.capabilities, engine_id="fake-gpu", device="gpu", needs_gpu=True)

    def synthesize(self, requests):
        start = time.monotonic()
        time.sleep(0.3)
        out = super().synthesize(requests)
        with _LOCK:
            SPANS.append((start, time.monotonic()))
        return out


async def _set_gpu_limit(limit: int | None) -> None:
    async with get_client() as client:
        if limit is None:
            await client.delete_global_concurrency_limit_by_name("gpu")
        else:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name="gpu", limit=limit)
            )


def test_gpu_engine_batches_never_overlap_under_the_limit(tiny_project, monkeypatch):
    monkeypatch.setitem(registry.BUILTIN, "fake-gpu", f"{__name__}:GpuFake")
    root = tiny_project("gpu", engine="fake-gpu", batch_size=1)
    SPANS.clear()
    asyncio.run(_set_gpu_limit(1))
    try:
        summary = run_book(str(root), publish=False, runner="threads", max_workers=4)
    finally:
        asyncio.run(_set_gpu_limit(None))
    assert (summary["synthesized"], summary["cached"]) == (6, 0)
    spans = sorted(SPANS)
    assert len(spans) == 6
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
