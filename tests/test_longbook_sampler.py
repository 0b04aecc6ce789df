"""bench.proctree: the process tree's RSS summed at one instant, forks not yet exec'd left out."""

from __future__ import annotations

from bench.proctree import ProcSample, TreeSampler, tree_sum_mb, unexeced_forks

RENDER = ("python", "-m", "lector", "render", "book")
SERVER = ("python", "-m", "uvicorn", "prefect")
FFMPEG = ("ffmpeg", "-i", "pipe:0")


def _tree(render_mb: float, fork_mb: float | None, ffmpeg_mb: float) -> list[ProcSample]:
    procs = [
        ProcSample(10, 1, RENDER, render_mb),
        ProcSample(11, 10, SERVER, 229.5),
        ProcSample(12, 10, FFMPEG, ffmpeg_mb),
    ]
    if fork_mb is not None:  # subprocess starting the next ffmpeg: still the render's program
        procs.append(ProcSample(13, 10, RENDER, fork_mb))
    return procs


def test_tree_sum_counts_each_process_once_and_no_unexeced_fork():
    procs = _tree(1000.0, 990.0, 30.25)
    assert unexeced_forks(procs) == {13}
    assert tree_sum_mb(procs) == 1259.8  # 1000 + 229.5 + 30.25, the fork's pages are the render's
    assert tree_sum_mb(_tree(1000.0, None, 30.25)) == 1259.8
    # the same program under another parent (not a fork of it) counts
    other = [ProcSample(20, 1, RENDER, 100.0), ProcSample(21, 1, RENDER, 50.0)]
    assert (unexeced_forks(other), tree_sum_mb(other)) == (set(), 150.0)


def test_sampler_keeps_the_largest_instant_and_its_processes():
    sampler = TreeSampler(root_pid=1)
    names = {10: "10 python -m lector", 11: "11 python -m uvicorn", 12: "12 ffmpeg", 13: "13 fork"}
    sampler.note_tree(_tree(900.0, 890.0, 30.0), names)
    sampler.note_tree(_tree(1100.0, None, 31.0), names)
    sampler.note_tree(_tree(1000.0, 995.0, 30.0), names)
    assert sampler.peak_tree_mb == 1360.5
    assert sampler.peak_tree_procs == {
        "10 python -m lector": 1100.0,
        "11 python -m uvicorn": 229.5,
        "12 ffmpeg": 31.0,
    }
