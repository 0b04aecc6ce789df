"""Scale-out: the same project rendered on a Dask LocalCluster (prefect-dask) gives byte-identical
masters to the default thread runner. The fake engine keeps it fast; the point is the mechanics
(tasks pickled to separate worker processes, seeds from the plan, no shared state)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from lector.core.errors import ConfigError
from lector.flows.produce import produce_book
from lector.flows.runners import RUNNERS, local_cluster_kwargs, task_runner_for
from tests.conftest import write_tiny_project

prefect_dask = pytest.importorskip("prefect_dask")


def master_hashes(root: Path) -> dict[str, str]:
    masters = root / "build" / "masters"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(masters.glob("*.flac"))}


def render(root: Path, task_runner) -> dict:
    shutil.rmtree(root / "build", ignore_errors=True)
    return produce_book.with_options(task_runner=task_runner)(project_path=str(root), publish=False)


@pytest.mark.usefixtures("prefect_server")
def test_dask_local_cluster_renders_byte_identical_masters(tmp_path):
    root = write_tiny_project(tmp_path / "tiny", batch_size=1)
    threads = render(root, task_runner_for("threads", max_workers=2))
    expected = master_hashes(root)
    on_dask = render(root, task_runner_for("dask", max_workers=1))  # one worker *process*, 1 thread
    assert sorted(expected) == ["01-one.flac", "02-two.flac"]
    assert master_hashes(root) == expected
    assert (threads["synthesized"], threads["cached"]) == (6, 0)
    assert (on_dask["synthesized"], on_dask["cached"]) == (6, 0)


@pytest.mark.usefixtures("prefect_server")
def test_dask_workers_share_the_render_cache_on_s3(tmp_path, s3_bucket, monkeypatch):
    """Workers write the render cache to S3 (moto); a clean build elsewhere reuses every sentence."""
    import boto3

    endpoint, bucket = s3_bucket
    root = write_tiny_project(tmp_path / "tiny", batch_size=1)
    render(root, task_runner_for("threads"))  # local cache: the reference bytes
    expected = master_hashes(root)
    monkeypatch.setenv("LECTOR_CACHE_URL", f"s3://{bucket}/cache")
    monkeypatch.setenv("LECTOR_S3_ENDPOINT_URL", endpoint)
    first = render(root, task_runner_for("dask", max_workers=2, processes=False))
    assert (first["synthesized"], first["cached"]) == (6, 0)
    listing = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").list_objects_v2(
        Bucket=bucket, Prefix="cache/"
    )
    assert len([o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".flac")]) == 6
    assert not list((root / "build").glob("cache/*/*.flac"))
    second = render(root, task_runner_for("threads"))  # another machine: clean build/, same bucket
    assert (second["synthesized"], second["cached"]) == (0, 6)
    assert master_hashes(root) == expected


def test_task_runner_for_dask_settings(monkeypatch):
    monkeypatch.delenv("LECTOR_DASK_ADDRESS", raising=False)
    local = task_runner_for("dask", max_workers=3, processes=False)
    assert isinstance(local, prefect_dask.DaskTaskRunner)
    assert local.address is None
    assert local.cluster_kwargs == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": False,
        "dashboard_address": None,
    }
    assert local_cluster_kwargs(None, True)["n_workers"] == 2
    remote = task_runner_for("dask", "tcp://dask-scheduler:8786")
    assert remote.address == "tcp://dask-scheduler:8786"
    monkeypatch.setenv("LECTOR_DASK_ADDRESS", "tcp://10.0.0.5:8786")
    assert task_runner_for("dask").address == "tcp://10.0.0.5:8786"
    assert RUNNERS == ("threads", "sequential", "dask")


def test_task_runner_for_rejects_bad_names_and_addresses():
    with pytest.raises(ConfigError, match="unknown task runner 'ray'"):
        task_runner_for("ray")
    with pytest.raises(ConfigError, match="takes no scheduler address"):
        task_runner_for("threads", "tcp://dask-scheduler:8786")
