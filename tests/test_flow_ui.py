"""Runs a producer can follow in the Prefect UI: task runs named by chapter, Lector's progress in
the flow and task run logs, a markdown report and a table of flags as the run's artifacts, and
deployments with a description and their parameters' defaults."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings

import pytest

from lector.core.build import ChapterOutput
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.flows.deploy import project_deployments
from lector.flows.report import run_report

SCHEDULE = '\n[schedule]\ncron = "15 4 * * 1"\ntimezone = "Europe/Berlin"\n'


async def _read_run(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogHandler

    await APILogHandler.aflush()
    async with get_client() as client:
        tasks = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
        logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return tasks, artifacts, logs


def _settled_run(flow_run_id, ready, timeout_s: float = 60.0):
    """_read_run until ``ready(tasks, artifacts, logs)``: task-run records and logs reach the API
    through Prefect's event and log workers, possibly after the flow run has finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        read = asyncio.run(_read_run(flow_run_id))
        if ready(*read) or time.monotonic() > deadline:
            return read
        time.sleep(1)


def _expected_markdown(manifest: dict) -> str:
    rows = []
    for ch in manifest["chapters"]:
        m, seconds = ch["measurements"], ch["duration_s"]
        minutes, rest = divmod(round(seconds, 1), 60)
        rows.append(
            f"| [{ch['index']}](http://127.0.0.1:8765/chapters/{ch['index']}) | {ch['title']} | "
            f"{int(minutes)}:{rest:04.1f} | {m['lufs_integrated']:.1f} | {m['true_peak_dbfs']:.1f} | "
            f"acx ✓ | fake (3) | 0 |"
        )
    total = sum(ch["duration_s"] for ch in manifest["chapters"])
    minutes, rest = divmod(round(total, 1), 60)
    return "\n".join(
        [
            "# Tiny Book — Test Author",
            "",
            f"Project `ui` · chapters rendered this run: 1, 2 · sentences synthesized 6, cached 0 · book "
            f"{int(minutes)}:{rest:04.1f}",
            "",
            "| Chapter | Title | Duration | Loudness (LUFS) | True peak (dBTP) | Profile | Engines | Flags |",
            "|---:|---|---:|---:|---:|---|---|---:|",
            *rows,
            "",
            "## Flags (0)",
            "",
            "None.",
            "",
            "## Published",
            "",
            "Not published by this run.",
            "",
        ]
    )


@pytest.mark.usefixtures("prefect_server")
def test_run_names_tasks_by_chapter_logs_progress_and_publishes_artifacts(tiny_project, monkeypatch):
    from lector.flows.produce import produce_book
    from lector.flows.runners import in_process_run

    monkeypatch.delenv("LECTOR_REVIEW_URL", raising=False)
    root = tiny_project("ui")
    with in_process_run():
        state = produce_book(project_path=str(root), publish=False, return_state=True)
    assert state.is_completed(), state.message
    expected = [
        "aac ch01 One",
        "aac ch02 Two",
        "chapter-flac ch01 One",
        "chapter-flac ch02 Two",
        "export mp3 ch01 One",
        "export mp3 ch02 Two",
        "export vtt ch01 One",
        "export vtt ch02 Two",
        "master ch01 One",
        "master ch02 Two",
        "render ch01 One [1-2/3]",
        "render ch01 One [3-3/3]",
        "render ch02 Two [1-2/3]",
        "render ch02 Two [3-3/3]",
    ]

    def named(tasks) -> list[str]:
        return sorted(t.name for t in tasks if " ch0" in t.name)

    tasks, artifacts, logs = _settled_run(
        state.state_details.flow_run_id,
        lambda tasks, _a, logs: named(tasks) == expected and any("book 6/6" in log.message for log in logs),
    )
    assert named(tasks) == expected

    by_task = {t.id: t.name for t in tasks}
    progress = [(by_task.get(log.task_run_id), log.message) for log in logs if log.name == "lector.progress"]
    cache = [
        (task.split("-")[:2], message) for task, message in progress if message.startswith("render cache")
    ]
    assert cache == [
        (["cache", "probe"], "render cache: 0 of 4 batches fully cached (0 of 6 sentences), 4 to synthesize")
    ]
    assert (
        "render ch01 One [1-2/3]",
        "render ch01 One [1-2/3]: 2 sentence(s), engine fake 1 (synthesized 2, cached 0)",
    ) in progress
    assert (
        "render ch02 Two [3-3/3]",
        "render ch02 Two [3-3/3]: 1 sentence(s), engine fake 1 (synthesized 1, cached 0)",
    ) in progress
    assert (
        None,
        "ch01 One: 3 sentences rendered (fake 3; synthesized 3, cached 0) — book 3/6 sentences",
    ) in progress
    assert (
        None,
        "ch02 Two: 3 sentences rendered (fake 3; synthesized 3, cached 0) — book 6/6 sentences",
    ) in progress

    manifest = json.loads((root / "build" / "manifest.json").read_text())
    by_key = {a.key: a for a in artifacts}
    assert sorted(by_key) == ["lector-ui-flags", "lector-ui-report"]
    assert by_key["lector-ui-report"].type == "markdown"
    assert by_key["lector-ui-report"].data == _expected_markdown(manifest)
    assert by_key["lector-ui-report"].description == "Lector run report: Tiny Book"
    assert (by_key["lector-ui-flags"].type, json.loads(by_key["lector-ui-flags"].data)) == ("table", [])
    assert by_key["lector-ui-flags"].description == "0 flags: mastering profile, fallback voices, QC"

    with in_process_run():  # again: every take comes from the render cache
        again = produce_book(project_path=str(root), publish=False, return_state=True)
    _, artifacts, logs = _settled_run(
        again.state_details.flow_run_id, lambda _t, _a, logs: any("book 6/6" in log.message for log in logs)
    )
    progress = [log.message for log in logs if log.name == "lector.progress"]
    assert "render cache: 4 of 4 batches fully cached (6 of 6 sentences), 0 to synthesize" in progress
    assert "ch02 Two: 3 sentences rendered (fake 3; synthesized 0, cached 3) — book 6/6 sentences" in progress
    report = next(a.data for a in artifacts if a.key == "lector-ui-report")
    assert report.splitlines()[2].startswith(
        "Project `ui` · chapters rendered this run: 1, 2 · sentences synthesized 0, cached 6 · book "
    )


def _output(index: int, title: str, **kw) -> ChapterOutput:
    fields = {
        "duration_s": 75.25,
        "profile": "acx",
        "gain_db": 1.5,
        "files": (),
        "measurements": (("lufs_integrated", -19.04), ("true_peak_dbfs", -3.51)),
        "violations": (),
        "engine_sentences": (("piper-en", 3),),
    }
    fields.update(kw)
    return ChapterOutput(index=index, title=title, **fields)


def test_run_report_links_every_flag_to_the_review_page(tiny_project):
    root = tiny_project("flags")
    project = load_project(root)
    plan = build_plan(project)
    one, two = plan.chapters[0].sentences, plan.chapters[1].sentences
    outputs = [
        _output(
            1,
            "One",
            violations=("rms -25.1 dBFS outside [-23, -18]",),
            fallback_details=((one[1].id, "narrator", "espeak-draft", "voice 'jeo' unknown"),),
            engine_sentences=(("espeak-draft", 1), ("piper-en", 2)),
        ),
        _output(2, "Two | Twain", duration_s=3725.0),
    ]
    qc = {
        2: {
            "chapter": 2,
            "sentences": [
                {"sentence_id": two[2].id, "flags": ["asr-mismatch", "clipping"]},
                {"sentence_id": two[1].id, "flags": []},
            ],
        }
    }
    report = run_report(
        project,
        plan,
        outputs,
        {1},
        qc=qc,
        counts=(4, 2),
        published="s3://lector/flags/",
        base="http://review:8000/",
    )
    page1, page2 = "http://review:8000/chapters/1", "http://review:8000/chapters/2"
    assert report.markdown == "\n".join(
        [
            "# Tiny Book — Test Author",
            "",
            "Project `flags` · chapters rendered this run: 1 · sentences synthesized 4, cached 2 · "
            "book 63:20.2",
            "",
            "| Chapter | Title | Duration | Loudness (LUFS) | True peak (dBTP) | Profile | Engines | Flags |",
            "|---:|---|---:|---:|---:|---|---|---:|",
            f"| [1]({page1}) | One | 1:15.2 | -19.0 | -3.5 | acx ✗ | espeak-draft (1), piper-en (2) | 2 |",
            f"| [2]({page2}) (kept) | Two \\| Twain | 62:05.0 | -19.0 | -3.5 | acx ✓ | piper-en (3) | 2 |",
            "",
            "## Flags (4)",
            "",
            f"- [ch01]({page1}) master: rms -25.1 dBFS outside [-23, -18]",
            f"- [ch01 {one[1].id}]({page1}#s-{one[1].id}) fallback: voice narrator spoken by espeak-draft"
            f" — “{one[1].text}”",
            f"- [ch02 {two[2].id}]({page2}#s-{two[2].id}) qc: asr-mismatch — “{two[2].text}”",
            f"- [ch02 {two[2].id}]({page2}#s-{two[2].id}) qc: clipping — “{two[2].text}”",
            "",
            "## Published",
            "",
            "- s3://lector/flags/",
            "",
        ]
    )
    assert [tuple(r.values()) for r in report.flags] == [
        (1, "One", "", "master", "rms -25.1 dBFS outside [-23, -18]", "", page1),
        (
            1,
            "One",
            one[1].id,
            "fallback",
            "voice narrator spoken by espeak-draft",
            one[1].text,
            f"{page1}#s-{one[1].id}",
        ),
        (2, "Two | Twain", two[2].id, "qc", "asr-mismatch", two[2].text, f"{page2}#s-{two[2].id}"),
        (2, "Two | Twain", two[2].id, "qc", "clipping", two[2].text, f"{page2}#s-{two[2].id}"),
    ]


def test_deployments_carry_a_description_and_their_parameter_defaults(tiny_project):
    root = tiny_project("dep", extra_toml=SCHEDULE)
    book, changed, sentences = project_deployments(load_project(root))
    assert book.parameters == {
        "project_path": str(root),
        "chapters": None,
        "draft": False,
        "publish": True,
        "qc": None,
        "allow_fallback": False,
    }
    assert changed.parameters == {
        "project_path": str(root),
        "publish": False,
        "qc": None,
        "allow_fallback": False,
    }
    assert sentences.parameters == changed.parameters  # sentence_ids has no default: required
    tail = f"Project `{root}`; acx masters as flac, mp3, m4b, vtt; publish target local. "
    assert book.description == (
        "*Tiny Book* by Test Author — render, master, QC and publish every chapter. "
        + tail
        + "Runs on cron `15 4 * * 1` (Europe/Berlin) and when triggered. Each run's report and flags are its "
        "artifacts."
    )
    assert changed.description == (
        "*Tiny Book* by Test Author — re-render the chapters whose text, voices or settings changed. "
        + tail
        + "Runs when triggered (UI, `prefect deployment run`, review app). "
        "Each run's report and flags are its artifacts."
    )


def test_progress_outside_a_run_sends_nothing_and_does_not_warn():
    import lector.flows.tasks  # noqa: F401  (attaches the run-log handler)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logging.getLogger("lector.progress").info("outside any flow run")
        logging.getLogger("lector.plan").warning("outside any flow run")
