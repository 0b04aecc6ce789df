"""QC's models (Whisper, the speaker encoder) are in memory only while a QC pass uses them, and
never beside a chapter being mastered (they wait for the mastering memory budget)."""

from __future__ import annotations

import json
import threading

import numpy as np

from lector.core.membudget import MemoryBudget
from lector.core.qc import QCOptions, run_qc
from lector.core.qc import asr as asr_mod
from lector.core.qc.cache import CALLS, QCCache
from lector.core.qc.checks import DEFAULT_THRESHOLDS, SignalStats
from lector.core.qc.measuring import models_needed
from lector.core.qc.models import loaded_models, model_session, release_models
from lector.core.qc.takes import TakeRef
from lector.core.voices import embed as embed_mod
from tests.test_qc import _write_build


def _load_both() -> None:
    asr_mod._get_model()
    embed_mod._get_encoder()


def test_last_session_out_releases_both_models():
    release_models()
    outer, inner = MemoryBudget(100), MemoryBudget(100)
    with model_session(outer):
        _load_both()
        with model_session(inner):
            assert loaded_models() == ("whisper", "speaker-encoder")
        assert loaded_models() == ("whisper", "speaker-encoder")  # the outer session still uses them
        assert (outer.used, inner.used) == (100, 0)
    assert loaded_models() == ()
    assert outer.used == 0
    assert release_models() == ()  # nothing left to drop


def test_session_waits_for_a_chapter_being_mastered():
    budget = MemoryBudget(384 << 20)
    order: list[str] = []
    mastering, done = threading.Event(), threading.Event()

    def master() -> None:
        with budget.hold(300 << 20):
            order.append("master in")
            mastering.set()
            done.wait(5)
            order.append("master out")

    def qc() -> None:
        mastering.wait(5)
        with model_session(budget):
            order.append(f"qc in, budget used {budget.used >> 20} MiB")

    threads = [threading.Thread(target=master), threading.Thread(target=qc)]
    for t in threads:
        t.start()
    mastering.wait(5)
    done.set()
    for t in threads:
        t.join(5)
    assert order == ["master in", "master out", "qc in, budget used 384 MiB"]
    assert budget.used == 0


def _ref(sid: str, key: str, deep: bool = True) -> TakeRef:
    return TakeRef(sid, "the keeper climbed the stairs", "narrator", "en", "", key, lambda: None, deep)


def test_models_needed_only_for_sampled_takes_missing_from_the_qc_cache(tmp_path):
    cache = QCCache(tmp_path)
    stats = SignalStats(2.0, 1.8, -20.0, -3.0, -60.0, 0, 0.1, 0.1)
    cache.store(
        "a" * 64,
        stats=stats,
        th=DEFAULT_THRESHOLDS,
        transcripts={"w1": "the keeper climbed the stairs"},
        embedding=(True, np.ones(256, np.float32)),
    )
    cache.store("b" * 64, stats=stats, th=DEFAULT_THRESHOLDS, transcripts={}, embedding=(False, None))
    both, plain = QCOptions(), QCOptions(asr=False, voice=False)
    assert models_needed([_ref("s1", "a" * 64)], both, cache) is False
    assert models_needed([_ref("s1", "a" * 64), _ref("s2", "b" * 64)], both, cache) is True
    assert models_needed([_ref("s2", "b" * 64, deep=False)], both, cache) is False
    assert models_needed([_ref("s2", "b" * 64)], plain, cache) is False
    assert models_needed([_ref("s3", "c" * 64)], QCOptions(asr=False), cache) is True  # no record


def test_run_qc_releases_the_models_and_a_rerun_loads_none(piper_takes, tmp_path):
    audio, rate = piper_takes
    _write_build(tmp_path, audio, rate)
    release_models()
    before = dict(CALLS)
    first = run_qc(tmp_path, options=QCOptions(sample_takes=4), write=False)
    assert CALLS["embed"] - before.get("embed", 0) == 4
    assert loaded_models() == ()
    again = run_qc(tmp_path, options=QCOptions(sample_takes=4), write=False)
    assert CALLS["embed"] - before.get("embed", 0) == 4  # all from the QC cache
    assert loaded_models() == ()
    assert again.chapters == first.chapters


def test_chapter_qc_takes_the_plan_in_memory_instead_of_plan_json(piper_takes, tmp_path, monkeypatch):
    from lector.core.build import BuildDir
    from lector.core.qc.take_audio import timeline_refs

    audio, rate = piper_takes
    build = _write_build(tmp_path, audio, rate)
    (build / "plan.json").write_text(
        json.dumps({"chapters": [{"index": 1, "sentences": [{"id": "s1", "lang": "en", "spoken": "one"}]}]})
    )

    def rows(refs):
        return [(r.sentence_id, r.lang, r.spoken, r.key) for r in refs]

    _, from_file = timeline_refs(build / "chapters" / "01", build)
    assert [row[:3] for row in rows(from_file)][:2] == [("s0", "", ""), ("s1", "en", "one")]

    def no_plan_json(self):
        raise AssertionError("build/plan.json read")

    monkeypatch.setattr(BuildDir, "plan_sentences", no_plan_json)
    planned = {"s1": {"lang": "en", "spoken": "one"}}
    _, given = timeline_refs(build / "chapters" / "01", build, planned)
    assert rows(given) == rows(from_file)
    report = run_qc(tmp_path, options=QCOptions(asr=False, voice=False), write=False, planned=planned)
    assert [s.sentence_id for s in report.chapters[0].sentences] == [f"s{n}" for n in range(8)]
