"""lector.core.membudget: chapters mastered at once share a memory budget."""

from __future__ import annotations

import threading

from lector.core.membudget import MemoryBudget, audio_bytes


def test_audio_bytes_is_float32_mono():
    assert audio_bytes(1800.0, 44100) == 317_520_000  # a 30-minute chapter
    assert audio_bytes(0.5, 22050) == 44_100


def test_second_holder_waits_until_the_first_releases():
    budget = MemoryBudget(100)
    order: list[str] = []
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with budget.hold(60):
            order.append("first in")
            first_in.set()
            release.wait(5)
            order.append("first out")

    def second() -> None:
        first_in.wait(5)
        with budget.hold(60) as held:
            order.append(f"second in {held} used {budget.used}")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(5)
    assert budget.used == 60
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["first in", "first out", "second in 60 used 60"]
    assert budget.used == 0


def test_oversized_request_is_capped_and_runs_alone():
    budget = MemoryBudget(100)
    with budget.hold(10**9) as held:
        assert (held, budget.used) == (100, 100)
    with budget.hold(30) as a, budget.hold(70) as b:
        assert (a, b, budget.used) == (30, 70, 100)
    assert budget.used == 0


def test_bound_heap_applies_on_glibc():
    import platform

    from lector.core.memtune import bound_heap

    assert bound_heap() is (platform.libc_ver()[0] == "glibc")


def test_join_releasing_equals_concatenate_and_empties_the_list():
    import numpy as np

    from lector.core.audio.assemble import _join_releasing

    parts = [np.arange(n, dtype=np.float32) / 10 for n in (3, 0, 5)]
    expected = np.concatenate(parts)
    pieces = list(parts)
    joined = _join_releasing(pieces)
    assert joined.dtype == np.float32 and joined.tobytes() == expected.tobytes()
    assert pieces == []
