"""QC on real audio from the embedded English engine, with planted defects."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import soxr

from lector.core.errors import LectorError
from lector.core.qc import QCOptions, SentenceAudio, check_sentences, run_qc
from lector.core.qc.asr import edit_distance, normalise_words, wer
from lector.core.qc.checks import clip_runs, signal_stats
from tests.qc_audio import TEXTS


def _item(i, text, audio, rate, voice="narrator"):
    return SentenceAudio(sentence_id=f"s{i}", text=text, voice=voice, audio=audio, sample_rate=rate)


def test_wer_and_normalisation():
    assert normalise_words("It's 42 o'clock -- Mr. Smith!") == [
        "it's",
        "forty",
        "two",
        "o'clock",
        "mister",
        "smith",
    ]
    assert edit_distance(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert wer("The cat sat on the mat.", "the cat sat on the mat") == 0.0
    assert wer("one two three four", "one two four five six") == 0.75
    assert wer("", "") == 0.0


def test_clip_runs_counts_runs_not_samples():
    x = np.zeros(100, np.float32)
    x[10] = 1.0  # a single full-scale sample (normalised peak): not clipping
    x[20:25] = 1.0  # one run of 5
    x[40:43] = -1.0  # one run of 3
    assert clip_runs(x, 0.999, 3) == 2


def test_signal_stats_on_synthetic_gap():
    rate = 16000
    t = np.arange(rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    x = np.concatenate([np.zeros(rate // 5, np.float32), tone, np.zeros(int(1.5 * rate), np.float32), tone])
    st = signal_stats(x, rate)
    assert st.leading_s == pytest.approx(0.2, abs=0.011)
    assert st.longest_gap_s == pytest.approx(1.5, abs=0.021)
    assert st.trailing_s == pytest.approx(0.0, abs=0.011)
    assert st.clip_runs == 0


def test_clean_takes_pass(piper_takes):
    audio, rate = piper_takes
    items = [_item(i, t, a, rate) for i, (t, a) in enumerate(zip(TEXTS, audio, strict=True))]
    results = check_sentences(items)
    assert [r.flags for r in results] == [()] * len(TEXTS)
    assert all(r.voice_similarity is not None and r.voice_similarity > 0.9 for r in results)
    assert all(r.wer is not None and r.wer <= 0.25 for r in results)


def _planted(audio, rate):
    """Chapter of 8 takes: 3 clean, then silence, clipping, wrong text, other voice."""
    gap = np.zeros(int(1.6 * rate), np.float32)
    half = len(audio[3]) // 2
    with_gap = np.concatenate([audio[3][:half], gap, audio[3][half:]])
    clipped = np.clip(audio[4] * 3.0, -1.0, 1.0).astype(np.float32)
    # pitch and formants up 20 %: another (child-like) speaker to the encoder
    shifted = soxr.resample(audio[1], int(rate * 1.2), rate).astype(np.float32)
    items = [_item(i, TEXTS[i], audio[i], rate) for i in range(3)]
    items += [
        _item(3, TEXTS[3], with_gap, rate),
        _item(4, TEXTS[4], clipped, rate),
        _item(5, "The train was late again, so we waited in the cold station.", audio[5], rate),
        _item(6, TEXTS[1], shifted, rate),
        _item(7, TEXTS[2], audio[2], rate),
    ]
    return items


def test_planted_defects_are_caught(piper_takes):
    audio, rate = piper_takes
    results = {r.sentence_id: r for r in check_sentences(_planted(audio, rate))}
    assert results["s0"].flags == ()
    assert results["s7"].flags == ()
    assert results["s3"].flags == ("internal-silence",)
    assert results["s3"].longest_gap_s >= 1.55
    assert "clipping" in results["s4"].flags
    assert results["s4"].clip_runs > 10
    assert results["s5"].flags == ("asr-mismatch",)
    assert results["s5"].wer > 0.6
    assert results["s6"].flags == ("voice-mismatch",)
    assert results["s6"].voice_similarity < 0.8


def test_no_asr_no_voice_options(piper_takes):
    audio, rate = piper_takes
    results = check_sentences(_planted(audio, rate), QCOptions(asr=False, voice=False))
    by_id = {r.sentence_id: r for r in results}
    assert by_id["s5"].flags == ()  # wrong text is invisible without ASR
    assert by_id["s6"].flags == ()  # other voice is invisible without embeddings
    assert by_id["s3"].flags == ("internal-silence",)
    assert all(r.wer is None and r.voice_similarity is None for r in results)


def _write_build(root, audio, rate):
    """A fake build folder: cache FLACs + chapter.flac + timeline.json for chapter 01."""
    build = root / "build"
    chapter_dir = build / "chapters" / "01"
    chapter_dir.mkdir(parents=True)
    items = _planted(audio, rate)
    pieces, rows, t = [], [], 0.0
    for n, it in enumerate(items):
        key = f"{n:02x}" + "ab" * 31
        path = build / "cache" / key[:2] / f"{key}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), it.audio, rate, subtype="PCM_24")
        rows.append(
            {
                "id": it.sentence_id,
                "start_s": t,
                "end_s": t + len(it.audio) / rate,
                "cache_key": key,
                "text": it.text,
                "pronunciation": "",
                "voice": "narrator",
                "emotion": "neutral",
                "seed": n,
                "engine": "piper-en",
            }
        )
        pieces += [it.audio, np.zeros(rate // 2, np.float32)]
        t += len(it.audio) / rate + 0.5
    sf.write(str(chapter_dir / "chapter.flac"), np.concatenate(pieces), rate, subtype="PCM_24")
    (chapter_dir / "timeline.json").write_text(
        json.dumps({"chapter": 1, "title": "One", "sample_rate": rate, "duration_s": t, "sentences": rows})
    )
    return build


def test_run_qc_on_build_and_cli(piper_takes, tmp_path, capsys):
    from lector.cli import main

    audio, rate = piper_takes
    build = _write_build(tmp_path, audio, rate)
    report = run_qc(tmp_path, options=QCOptions(asr=False, voice=False))
    assert report.summary()["sentences"] == 8
    assert report.summary()["flags"]["internal-silence"] == 1
    (build / "cache" / "03").joinpath("03" + "ab" * 31 + ".flac").unlink()  # falls back to chapter.flac
    assert main(["qc", str(tmp_path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads((build / "qc.json").read_text())
    flags = {s["id"] if "id" in s else s["sentence_id"]: s["flags"] for s in data["chapters"][0]["sentences"]}
    assert flags["s3"] == ["internal-silence"]
    assert flags["s5"] == ["asr-mismatch"]
    assert flags["s6"] == ["voice-mismatch"]
    assert data["summary"]["flagged"] == 4


def test_speaker_embedding_contract(piper_takes):
    from lector.core.voices.embed import cosine, speaker_embedding

    audio, rate = piper_takes
    a = speaker_embedding(audio[0], rate)
    b = speaker_embedding(soxr.resample(audio[0], rate, 16000), 16000)
    assert a.shape == (256,) and a.dtype == np.float32
    assert float(np.linalg.norm(a)) == pytest.approx(1.0, abs=1e-5)
    assert cosine(a, b) > 0.98  # same take at another rate
    assert cosine(a, a) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(LectorError):
        speaker_embedding(np.zeros(16000, np.float32), 16000)


def test_profile_checks_report_violations(tmp_path):
    from lector.core.qc.profile import profile_checks

    rate = 44100
    t = np.arange(3 * rate) / rate
    quiet = (0.001 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    sf.write(str(tmp_path / "chapter.flac"), quiet, rate, subtype="PCM_24")
    checks = profile_checks(tmp_path / "chapter.flac", "acx")  # every rule, pass or fail
    assert [c.rule for c in checks] == [
        "level",
        "peak",
        "true_peak",
        "noise_floor",
        "head_room_tone",
        "tail_room_tone",
        "chapter_length",
    ]
    assert all(c.name == "acx" for c in checks)
    assert {c.rule: c.ok for c in checks}["level"] is False and {c.rule: c.ok for c in checks}[
        "chapter_length"
    ]
    assert checks[-1].detail == "duration 0.1 min within 120 min"


def test_asr_unavailable_is_a_note_not_a_failure(piper_takes, monkeypatch):
    from lector.core.qc import asr

    audio, rate = piper_takes
    monkeypatch.setattr(asr, "asr_available", lambda: False)
    results = check_sentences([_item(0, TEXTS[0], audio[0], rate)], QCOptions(voice=False))
    assert results[0].flags == ()
    assert results[0].notes == ("qc:asr-unavailable",)
    assert results[0].wer is None
