"""In-process runs: heartbeats off (settings made once), task inputs wrapped only in threads."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings
from prefect.utilities.annotations import opaque, quote

from lector.flows.runners import HEARTBEAT_ENV, in_process_run, task_runner_for, upstream, value_input

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_in_process_runs_have_no_heartbeat_and_share_one_settings_copy(monkeypatch):
    monkeypatch.delenv(HEARTBEAT_ENV, raising=False)
    with in_process_run():
        first = get_current_settings()
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
    with in_process_run():
        assert get_current_settings() is first
    monkeypatch.setenv(HEARTBEAT_ENV, "30")
    with in_process_run():
        assert get_current_settings() is not first


def test_inputs_are_wrapped_in_threads_only():
    @flow(task_runner=task_runner_for("threads"))
    def threads() -> tuple:
        return value_input((1, 2)), upstream("future")

    @flow(task_runner=task_runner_for("dask", max_workers=1, processes=False))
    def dask() -> tuple:
        return value_input((1, 2)), upstream("future")

    value, future = threads()
    assert (type(value), value.unwrap(), type(future), future.unwrap()) == (quote, (1, 2), opaque, "future")
    assert dask() == ((1, 2), "future")
    assert value_input((1, 2)) == (1, 2)  # outside a flow: as it is
