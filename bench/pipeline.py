"""Pipeline benchmark: flow overhead, incremental re-render, determinism.

    python -m bench.pipeline            # demo-en + demo-zh + a 100-sentence chapter (piper-en)
    python -m bench.pipeline --quick    # demo-en + the 100-sentence chapter on the fake engine

- ``pipeline_overhead_<project>``: wall time of the whole ``produce_book`` flow on a clean build
  (plan, synthesize, stitch, master, export FLAC/MP3/M4B/VTT, manifest; publish off) ÷ the pure
  engine time for the same sentences and batches (``engine.synthesize`` calls only, models warm).
  Target ≤ 1.10. The better of two clean renders is used (the machine is shared and noisy). The
  flow runs chapters concurrently (thread runner) while engine time is summed serially, so a value
  below 1 means the flow's concurrency hid its own overhead.
- ``incremental_ratio``: one edited sentence in a 100-sentence chapter, re-render wall time ÷ the
  full chapter's render wall time (the median of five one-sentence edits, made one after the
  other, over the one clean full render). Target ≤ 0.05.
- ``*_no_qc``: the same with the flow's QC step off (``qc=False``), to separate the render
  pipeline from the (re-run on every render) QC checks.
- ``pipeline_cpu_floor_*``: the flow's CPU seconds (this process and its ffmpeg children) spread
  over every core, ÷ the pure engine time: the lowest overhead any schedule could reach on this
  machine for the work the flow does. Overhead near the floor means the time is work, not waiting.
- ``determinism_<project>``: share of files in build/masters/ whose sha256 is identical across two
  clean full renders (1.0 = all identical).

Runs against ``$PREFECT_API_URL`` when set, else a temporary Prefect server (not timed). Each
timed flow starts ``SETTLE_S`` after the previous one: the temporary server's SQLite database is
still busy recording the last run's task events for a moment, and a flow created then gets "database
is locked" (503), which Prefect's client retries after a 2 s sleep — a stall of the benchmark's own
back-to-back runs, not of a render (a studio server runs on Postgres, infra/).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bench.common import Metric, is_quick, metric, stopwatch, write_result

REPO = Path(__file__).resolve().parents[1]
OVERHEAD_TARGET = "<= 1.10"
SETTLE_S = 3.0  # before each timed flow: let the server record the last run's task events (see below)
INCREMENTAL_TARGET = "<= 0.05"
_WORDS_TEXT = (
    "the keeper climbed the narrow stairs before dawn and counted every step twice while the sea kept its "
    "slow grey rhythm against the rocks below the old tower where gulls waited for bread and the lamp "
    "turned its patient light over ships that never stopped to say thank you"
)
WORDS = _WORDS_TEXT.split()


# -- pure engine time -------------------------------------------------------------------------------


@dataclass
class EngineClock:
    seconds: float = 0.0
    audio_s: float = 0.0
    calls: int = 0


class TimedEngine:
    """Wraps an engine; adds the wall time of each ``synthesize`` call to a clock."""

    def __init__(self, engine, clock: EngineClock) -> None:
        self._engine = engine
        self._clock = clock
        self.capabilities = engine.capabilities

    def voices(self):
        return self._engine.voices()

    def synthesize(self, requests: Sequence) -> list[np.ndarray]:
        with stopwatch() as watch:
            takes = self._engine.synthesize(requests)
        self._clock.seconds += watch.seconds
        self._clock.audio_s += sum(a.size for a in takes) / self.capabilities.sample_rate
        self._clock.calls += 1
        return takes


class DiscardStore:
    """A render cache that never hits and keeps nothing (so only the engines are timed)."""

    def exists(self, key: str) -> bool:
        return False

    def get_bytes(self, key: str) -> None:
        return None

    def put_bytes(self, key: str, data: bytes) -> None:
        return None

    def read(self, key: str):
        from lector.core.errors import CacheError

        raise CacheError(f"no cache entry {key}", fix="benchmark store keeps nothing")

    def write(self, key: str, audio: np.ndarray, sample_rate: int) -> None:
        return None

    def path_for(self, key: str) -> None:
        return None


def pure_synthesis(root: Path) -> EngineClock:
    """Engine time for every sentence of the plan, in the flow's batches, models loaded first."""
    from lector.core.casting import VoiceResolver
    from lector.core.planner import build_plan
    from lector.core.project import load_project
    from lector.core.render import render_sentences

    project = load_project(root)
    plan = build_plan(project)
    base = VoiceResolver.from_project(project)
    clock = EngineClock()
    engine_ids = {rv.engine_id for rv in base.voices.values()}
    timed = VoiceResolver(
        base.voices,
        lambda eid: TimedEngine(base.engine(eid), clock),
        params={eid: base.params(eid) for eid in engine_ids},
    )
    size = project.config.render.batch_size
    first = plan.chapters[0].sentences[:1]
    render_sentences(first, base, DiscardStore(), batch_size=size)  # warm-up, not timed
    for chapter in plan.chapters:
        sents = chapter.sentences
        for i in range(0, len(sents), size):
            render_sentences(sents[i : i + size], timed, DiscardStore(), batch_size=size)
    return clock


# -- flows ------------------------------------------------------------------------------------------


@contextmanager
def prefect_api() -> Iterator[None]:
    """Use $PREFECT_API_URL when configured, else a temporary local server for the benchmark."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg), user + system. The temporary
    Prefect server is a separate process and is not counted (a studio runs it elsewhere)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(frozen=True)
class FlowRun:
    wall_s: float
    cpu_s: float  # see cpu_seconds
    summary: dict
    task_s: dict  # run seconds per task name


def flow_render(root: Path, *, clean: bool, qc: bool | None = None) -> FlowRun:
    """One ``produce_book`` run (default task runner, publish off; ``qc`` None = the project's
    setting, on by default)."""
    from lector.flows.produce import produce_book
    from lector.flows.runners import in_process_run

    if clean:
        shutil.rmtree(root / "build", ignore_errors=True)
    time.sleep(SETTLE_S)
    cpu_before = cpu_seconds()
    with stopwatch() as watch, in_process_run():  # as `lector render` runs it
        state = produce_book(project_path=str(root.resolve()), publish=False, qc=qc, return_state=True)
    cpu = cpu_seconds() - cpu_before
    return FlowRun(watch.seconds, cpu, state.result(), task_seconds(state.state_details.flow_run_id))


def task_seconds(flow_run_id) -> dict[str, float]:
    """Run time per task name ("synthesize", "master", ...) summed over the flow run's task runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    runs, page = [], 200  # the API serves at most 200 per request
    with get_client(sync_client=True) as client:
        while len(runs) % page == 0:
            batch = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
                limit=page,
                offset=len(runs),
            )
            runs += batch
            if not batch:
                break
    out: dict[str, float] = {}
    for tr in runs:
        name = tr.name.rsplit("-", 1)[0]
        out[name] = round(out.get(name, 0.0) + tr.total_run_time.total_seconds(), 3)
    return dict(sorted(out.items()))


def master_hashes(root: Path) -> dict[str, str]:
    masters = root / "build" / "masters"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(masters.iterdir()) if p.is_file()
    }


@dataclass
class ProjectRun:
    name: str
    synth: EngineClock
    flow_s: list[float] = field(default_factory=list)
    flow_cpu_s: float = 0.0  # CPU of the faster clean render
    identical: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    tasks: dict[str, float] = field(default_factory=dict)  # task seconds, first render
    no_qc_s: float = 0.0  # a clean render with QC off


def bench_project(src: Path, work: Path) -> ProjectRun:
    """Pure engine time, then two clean flow renders (overhead + determinism)."""
    root = work / src.name
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("build", "__pycache__"))
    run = ProjectRun(src.name, pure_synthesis(root))
    first_run = flow_render(root, clean=True)
    run.tasks = first_run.task_s
    first = master_hashes(root)
    second_run = flow_render(root, clean=True)
    second = master_hashes(root)
    run.flow_s = [round(first_run.wall_s, 3), round(second_run.wall_s, 3)]
    run.flow_cpu_s = round(min((first_run, second_run), key=lambda r: r.wall_s).cpu_s, 3)
    run.no_qc_s = round(flow_render(root, clean=True, qc=False).wall_s, 3)
    run.identical = sorted(n for n in first if second.get(n) == first[n])
    run.differing = sorted(n for n in set(first) | set(second) if first.get(n) != second.get(n))
    return run


def project_metrics(run: ProjectRun) -> list[Metric]:
    synth_s = run.synth.seconds
    overhead = min(run.flow_s) / synth_s if synth_s > 0 else None
    total = len(run.identical) + len(run.differing)
    note = (
        f"flow {min(run.flow_s):.1f} s vs engines {synth_s:.1f} s for {run.synth.audio_s:.0f} s of audio "
        f"({run.synth.calls} calls)"
    )
    diff = f"; differ: {', '.join(run.differing)}" if run.differing else ""
    no_qc = run.no_qc_s / synth_s if synth_s > 0 and run.no_qc_s else None
    return [
        metric(f"pipeline_overhead_{run.name}", overhead, "x", OVERHEAD_TARGET, note + ", QC on", digits=3),
        cpu_floor_metric(
            f"pipeline_cpu_floor_{run.name}", run.flow_cpu_s, min(run.flow_s), run.synth.seconds
        ),
        metric(
            f"pipeline_overhead_{run.name}_no_qc",
            no_qc,
            "x",
            OVERHEAD_TARGET,
            f"flow with QC off {run.no_qc_s:.1f} s",
            digits=3,
        ),
        metric(
            f"determinism_{run.name}",
            len(run.identical) / total if total else None,
            "share identical",
            "== 1",
            f"{len(run.identical)}/{total} master files identical across two clean renders{diff}",
        ),
    ]


def cpu_floor_metric(
    name: str, flow_cpu_s: float, flow_wall_s: float, engine_s: float, cores: int | None = None
) -> Metric:
    """The lowest pipeline overhead any schedule could reach here for the work the flow did: its CPU
    seconds spread over every core, / the pure engine time. When the measured overhead sits near
    it, the time goes to work (synthesis, encoding, QC models), not to waiting; no target."""
    cores = cores or (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    floor = flow_cpu_s / cores / engine_s if engine_s > 0 and flow_cpu_s > 0 else None
    busy = flow_cpu_s / cores / flow_wall_s if flow_wall_s > 0 else 0.0
    return metric(
        name,
        floor,
        "x",
        "",
        f"flow CPU {flow_cpu_s:.1f} s on {cores} cores vs engines "
        f"{engine_s:.1f} s; cores busy {100 * busy:.0f}% of the flow's wall time",
        digits=3,
    )


# -- incremental re-render --------------------------------------------------------------------------


def chapter_sentences(count: int) -> list[str]:
    """``count`` distinct generated English sentences (deterministic; no digits, which the
    segmenter may split on)."""
    rng = random.Random(1100)
    out: list[str] = []
    while len(out) < count:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 14))]
        sentence = f"{words[0].capitalize()} {' '.join(words[1:])}."
        if sentence not in out:
            out.append(sentence)
    return out


def write_chapter_project(root: Path, *, engine: str, sentences: int) -> Path:
    """One chapter of ``sentences`` generated English sentences, five per paragraph."""
    lines = chapter_sentences(sentences)
    paragraphs = [" ".join(lines[i : i + 5]) for i in range(0, len(lines), 5)]
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "01.md").write_text(
        "# The Long Chapter\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
    )
    voice = {"fake": "tone-en", "piper-en": "joe"}.get(engine, "default")
    (root / "project.toml").write_text(
        '[book]\ntitle = "Hundred Sentences"\nauthor = "Lector Bench"\nlanguage = "en"\nseed = 7\n\n'
        f'[voices.narrator]\nengine = "{engine}"\nvoice = "{voice}"\nlang = "en"\n\n'
        '[output]\nprofile = "acx"\nformats = ["flac", "mp3", "m4b", "vtt"]\n',
        encoding="utf-8",
    )
    return root


EDITS = 5  # one-sentence edits timed after the full render; the median is reported


@dataclass(frozen=True)
class EditCycle:
    full_s: float
    edit_s: float  # median of the EDITS edit renders
    full_counts: tuple[int, int]  # (synthesized, cached)
    edit_counts: tuple[int, int]  # of the median edit
    full_task_s: dict
    edit_task_s: dict  # of the median edit
    edit_qc_model_calls: dict = field(default_factory=dict)  # ASR / speaker-embedding calls, median edit
    edits_s: tuple[float, ...] = ()  # every edit, in order
    full_cpu_s: float = 0.0  # CPU seconds (cpu_seconds) of the full render
    edit_cpu_s: float = 0.0  # ... and of the median edit

    @property
    def ratio(self) -> float | None:
        return self.edit_s / self.full_s if self.full_s > 0 else None


def edit_cycle(root: Path, sentences: Sequence[str], qc: bool | None) -> EditCycle:
    """Clean full render, then one at a time: append a word to one sentence and render again.
    The full render is one sample (the expensive one); the edits are several, so the noisy
    machine's hiccups do not decide the ratio (the median edit is used)."""
    full_run = flow_render(root, clean=True, qc=qc)
    full_s, full, full_tasks = full_run.wall_s, full_run.summary, full_run.task_s
    md = root / "manuscript" / "01.md"
    from lector.core.qc.cache import CALLS

    runs = []
    for sentence in sentences:
        text = md.read_text(encoding="utf-8")
        if text.count(sentence) != 1:
            raise RuntimeError(f"benchmark sentence not found exactly once: {sentence!r}")
        md.write_text(text.replace(sentence, sentence[:-1] + " again.", 1), encoding="utf-8")
        before = dict(CALLS)
        edit = flow_render(root, clean=False, qc=qc)
        runs.append((edit, {k: CALLS[k] - before.get(k, 0) for k in ("asr", "embed")}))
    edit, qc_calls = sorted(runs, key=lambda r: r[0].wall_s)[len(runs) // 2]
    return EditCycle(
        round(full_s, 3),
        round(edit.wall_s, 3),
        (full["synthesized"], full["cached"]),
        (edit.summary["synthesized"], edit.summary["cached"]),
        full_tasks,
        edit.task_s,
        qc_calls,
        tuple(round(r.wall_s, 3) for r, _ in runs),
        round(full_run.cpu_s, 3),
        round(edit.cpu_s, 3),
    )


def bench_incremental(work: Path, *, engine: str, sentences: int) -> tuple[list[Metric], dict]:
    """Edit cycles on a generated 100-sentence chapter: QC on (default), then QC off."""
    root = write_chapter_project(work / "hundred", engine=engine, sentences=sentences)
    synth = pure_synthesis(root)
    lines = chapter_sentences(sentences)
    mid = sentences // 2
    with_qc = edit_cycle(root, lines[mid : mid + EDITS], None)
    no_qc = edit_cycle(root, lines[mid + EDITS : mid + 2 * EDITS], False)
    details = {
        "engine": engine,
        "sentences": sentences,
        "engine_s": round(synth.seconds, 3),
        "audio_s": round(synth.audio_s, 1),
        "qc_on": asdict(with_qc),
        "qc_off": asdict(no_qc),
    }

    def note(c: EditCycle, qc: str) -> str:
        calls = (
            f"; QC re-ran ASR {c.edit_qc_model_calls.get('asr', 0)}x, embedding "
            f"{c.edit_qc_model_calls.get('embed', 0)}x"
            if qc == "on"
            else ""
        )
        edits = ", ".join(f"{e:.2f}" for e in c.edits_s)
        return (
            f"{engine}, QC {qc}: full {c.full_s:.1f} s ({c.full_counts[0]} synthesized), "
            f"edit {c.edit_s:.2f} s, {c.edit_cpu_s:.2f} s CPU (median of {len(c.edits_s)}: {edits}; "
            f"{c.edit_counts[0]} synthesized, {c.edit_counts[1]} cached){calls}"
        )

    metrics = [
        metric("incremental_ratio", with_qc.ratio, "x", INCREMENTAL_TARGET, note(with_qc, "on"), digits=3),
        metric("incremental_ratio_no_qc", no_qc.ratio, "x", INCREMENTAL_TARGET, note(no_qc, "off"), digits=3),
        metric(
            "incremental_synthesized",
            with_qc.edit_counts[0],
            "sentences",
            "== 1",
            "sentences synthesized again after the one-sentence edit",
        ),
    ]
    if engine != "fake":
        for name, cycle in (
            ("pipeline_overhead_chapter100", with_qc),
            ("pipeline_overhead_chapter100_no_qc", no_qc),
        ):
            metrics.append(
                metric(
                    name,
                    cycle.full_s / synth.seconds if synth.seconds > 0 else None,
                    "x",
                    OVERHEAD_TARGET,
                    f"one 100-sentence chapter: flow {cycle.full_s:.1f} s vs "
                    f"engines {synth.seconds:.1f} s for {synth.audio_s:.0f} s of audio",
                    digits=3,
                )
            )
            metrics.append(
                cpu_floor_metric(
                    name.replace("overhead", "cpu_floor"), cycle.full_cpu_s, cycle.full_s, synth.seconds
                )
            )
    return metrics, details


# -- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="demo-en and a fake-engine chapter only")
    ap.add_argument(
        "--projects", default="", help="comma-separated demo projects (default: demo-en,demo-zh; none: skip)"
    )
    ap.add_argument("--sentences", type=int, default=100)
    args = ap.parse_args(argv)
    for var in ("LECTOR_CACHE_URL", "LECTOR_TASK_RUNNER", "LECTOR_DASK_ADDRESS"):
        os.environ.pop(var, None)  # measure the default set-up: local cache, thread runner
    quick = args.quick or is_quick([])
    names = [
        n
        for n in (args.projects or ("demo-en" if quick else "demo-en,demo-zh")).split(",")
        if n and n != "none"
    ]
    metrics: list[Metric] = []
    details: dict = {"projects": {}}
    work = Path(tempfile.mkdtemp(prefix="lector-bench-pipeline-"))
    try:
        with prefect_api():
            for name in names:
                run = bench_project(REPO / "projects" / name, work)
                metrics += project_metrics(run)
                details["projects"][name] = {
                    "engine_s": round(run.synth.seconds, 3),
                    "flow_s": run.flow_s,
                    "audio_s": round(run.synth.audio_s, 1),
                    "differing": run.differing,
                    "no_qc_s": run.no_qc_s,
                    "task_s": run.tasks,
                }
                print(name, details["projects"][name], flush=True)
            inc_metrics, details["incremental"] = bench_incremental(
                work, engine="fake" if quick else "piper-en", sentences=args.sentences
            )
            metrics += inc_metrics
    finally:
        shutil.rmtree(work, ignore_errors=True)
    path = write_result("pipeline", metrics, details=details, quick=quick)
    for m in metrics:
        print(f"{m.name}: {m.value} {m.unit} (target {m.target or '-'}, ok={m.ok}) {m.note}")
    print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
