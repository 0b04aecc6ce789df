"""QC's Whisper + speaker checks run on a bounded sample of each chapter's takes:
the takes whose sentence id has the lowest sha256, plus those the signal checks flag; every take
still gets the signal checks."""

from __future__ import annotations

from lector.core.qc import QCOptions, asr, run_qc
from lector.core.qc.cache import CALLS
from lector.core.qc.checks import DEFAULT_THRESHOLDS, SignalStats
from lector.core.qc.sample import NOT_SAMPLED_NOTE, promote_flagged, sample_refs, signal_flagged
from lector.core.qc.takes import TakeRef
from tests.test_qc import _write_build


def _refs(ids):
    return [TakeRef(i, "text", "narrator", "en", "", f"k{i}", lambda: None) for i in ids]


def test_sample_refs_picks_the_lowest_sha256_ids():
    ids = [f"s{n}" for n in range(8)]  # sha256 order: s7 s5 s3 s4 s6 s2 s1 s0
    picked = sample_refs(_refs(ids), 3)
    assert [r.sentence_id for r in picked] == ids  # order kept
    assert [r.sentence_id for r in picked if r.deep] == ["s3", "s5", "s7"]
    assert all(r.deep for r in sample_refs(_refs(ids), 0))  # 0 = every take
    assert all(r.deep for r in sample_refs(_refs(ids), 8))
    # an edit (one id replaced) moves the sample by at most that one take
    edited = sample_refs(_refs(["s0", "s1", "s2", "s3", "s4", "s5", "s6", "x9"]), 3)
    assert [r.sentence_id for r in edited if r.deep] == ["s3", "s5", "x9"]


def test_run_qc_checks_only_sampled_takes_with_models(piper_takes, tmp_path):
    audio, rate = piper_takes
    _write_build(tmp_path, audio, rate)
    before = dict(CALLS)
    report = run_qc(tmp_path, options=QCOptions(sample_takes=4), write=False)
    rows = {s.sentence_id: s for s in report.chapters[0].sentences}
    deep = {"s7", "s5", "s3", "s4"}
    assert sorted(rows) == [f"s{n}" for n in range(8)]
    assert CALLS["embed"] - before.get("embed", 0) == 4
    assert sorted(i for i, r in rows.items() if r.voice_similarity is not None) == sorted(deep)
    assert sorted(i for i, r in rows.items() if NOT_SAMPLED_NOTE in r.notes) == ["s0", "s1", "s2", "s6"]
    assert all(r.wer is None for i, r in rows.items() if i not in deep)
    assert all(r.duration_s > 0 for r in rows.values())  # signal checks on every take


def test_promote_flagged_adds_up_to_limit_flagged_takes_lowest_sha256_first():
    ids = [f"s{n}" for n in range(8)]  # sha256 order: s7 s5 s3 s4 s6 s2 s1 s0
    sampled = sample_refs(_refs(ids), 3)  # s3 s5 s7
    flagged = [n in (0, 1, 2, 5, 6) for n in range(8)]  # s5 is sampled already
    promoted = promote_flagged(sampled, flagged, 2)
    assert [r.sentence_id for r in promoted] == ids  # order kept
    assert [r.sentence_id for r in promoted if r.deep] == ["s2", "s3", "s5", "s6", "s7"]
    assert promote_flagged(sampled, [False] * 8, 2) == sampled
    assert [r.sentence_id for r in promote_flagged(sampled, flagged, 0) if r.deep] == ["s3", "s5", "s7"]


def test_signal_flagged_uses_the_signal_flags_and_skips_silent_takes():
    clean = SignalStats(3.0, 2.8, 0.1, 0.1, 0.2, 0, -3.0, -20.0)
    late = SignalStats(3.0, 2.0, 0.9, 0.1, 0.2, 0, -3.0, -20.0)  # leading silence over 0.6 s
    clipped = SignalStats(3.0, 2.8, 0.1, 0.1, 0.2, 2, 0.0, -20.0)
    silent = SignalStats(3.0, 0.0, 3.0, 0.0, 0.0, 0, -120.0, -120.0)
    texts = ["The keeper climbed the narrow stairs again."] * 4  # 36 letters: ~2.2 s expected
    flags = signal_flagged(texts, [clean, late, clipped, silent], DEFAULT_THRESHOLDS)
    assert flags == [False, True, True, False]


def test_run_qc_gives_signal_flagged_takes_the_model_checks(piper_takes, tmp_path):
    audio, rate = piper_takes
    _write_build(tmp_path, audio, rate)
    before = dict(CALLS)
    report = run_qc(tmp_path, options=QCOptions(sample_takes=2), write=False)
    rows = {s.sentence_id: s for s in report.chapters[0].sentences}
    # sampled: s7 s5; flagged by the signal checks: s3 (internal silence), s4 (clipping)
    assert CALLS["embed"] - before.get("embed", 0) == 4
    assert sorted(i for i, r in rows.items() if NOT_SAMPLED_NOTE not in r.notes) == ["s3", "s4", "s5", "s7"]
    assert sorted(i for i, r in rows.items() if r.voice_similarity is not None) == ["s3", "s4", "s5", "s7"]
    assert rows["s3"].flags == ("internal-silence",)
    assert "clipping" in rows["s4"].flags
    if asr.asr_available():
        assert sorted(i for i, r in rows.items() if r.wer is not None) == ["s3", "s4", "s5", "s7"]
        assert rows["s5"].flags == ("asr-mismatch",)
