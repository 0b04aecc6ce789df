"""infra/prefect-setup.sh against a real (temporary, SQLite) Prefect server: it creates the cpu and
gpu work pools from infra/work-pools/*.json and the global concurrency limit "gpu", and a second
run (compose restarts) succeeds and changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "infra" / "prefect-setup.sh"


def run_setup(api_url: str, slots: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PREFECT_API_URL=api_url,
        LECTOR_GPU_SLOTS=slots,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return subprocess.run(
        ["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300, check=False
    )


async def read_back() -> tuple[dict, dict, int]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        pools = {name: await client.read_work_pool(name) for name in ("cpu", "gpu")}
        limit = await client.read_global_concurrency_limit_by_name("gpu")
    return (
        {n: p.type for n, p in pools.items()},
        {n: p.base_job_template["variables"]["properties"]["env"]["default"] for n, p in pools.items()},
        limit.limit,
    )


def test_prefect_setup_creates_pools_and_gpu_limit_idempotently(prefect_server):
    from prefect.settings import PREFECT_API_URL

    api_url = PREFECT_API_URL.value()
    first = run_setup(api_url, "1")
    assert first.returncode == 0, first.stdout + first.stderr
    types, envs, limit = asyncio.run(read_back())
    assert types == {"cpu": "process", "gpu": "process"}
    assert envs["gpu"] == {"OMP_NUM_THREADS": "1", "LECTOR_DEVICE": "gpu", "CUDA_VISIBLE_DEVICES": "0"}
    assert envs["cpu"] == {"OMP_NUM_THREADS": "1", "LECTOR_DEVICE": "cpu"}
    assert limit == 1
    second = run_setup(api_url, "2")  # a studio with two GPUs re-runs setup
    assert second.returncode == 0, second.stdout + second.stderr
    assert asyncio.run(read_back())[2] == 2
