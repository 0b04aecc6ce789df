"""Per-sentence QC cache: an unchanged chapter is QC'd again with no ASR/embedding call,
an edited sentence re-QCs exactly one take."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from lector.core.qc import QCOptions, run_qc
from lector.core.qc import asr as asr_mod
from lector.core.qc import cache as qc_cache
from lector.core.voices import embed as embed_mod

RATE = 22050
TEXTS = [
    "The quick brown fox jumps.",
    "A second sentence is here.",
    "Then a third one follows now.",
    "Four words are enough.",
    "And the fifth sentence ends it.",
]


def _take(n: int) -> np.ndarray:
    t = np.arange(int(RATE * (1.8 + 0.1 * n))) / RATE
    tone = 0.3 * np.sin(2 * np.pi * (180 + 20 * n) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return np.concatenate([np.zeros(RATE // 20), tone, np.zeros(RATE // 20)]).astype(np.float32)


def _write(root, takes: list[np.ndarray]) -> None:
    build = root / "build"
    folder = build / "chapters" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    rows, t = [], 0.0
    for n, audio in enumerate(takes):
        key = f"{n:02x}{abs(hash(audio.tobytes())) % 10**12:012d}" + "c" * 50
        path = build / "cache" / key[:2] / f"{key}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), audio, RATE, subtype="PCM_24")
        rows.append(
            {
                "id": f"s{n}",
                "start_s": t,
                "end_s": t + audio.size / RATE,
                "cache_key": key,
                "text": TEXTS[n],
                "voice": "narrator",
                "lang": "en",
            }
        )
        t += audio.size / RATE
    sf.write(str(folder / "chapter.flac"), np.concatenate(takes), RATE, subtype="PCM_24")
    (folder / "timeline.json").write_text(
        json.dumps({"chapter": 1, "title": "One", "sample_rate": RATE, "duration_s": t, "sentences": rows})
    )


def _fakes(monkeypatch) -> dict[str, int]:
    calls = {"asr": 0, "embed": 0}

    def transcribe(audio, rate):
        calls["asr"] += 1
        return TEXTS[round((audio.size / rate - 1.9) / 0.1)]

    def embed(audio, rate):
        calls["embed"] += 1
        v = np.ones(256, np.float32) + 0.01 * float(audio.size % 7)
        return v / np.linalg.norm(v)

    monkeypatch.setattr(asr_mod, "asr_available", lambda: True)
    monkeypatch.setattr(asr_mod, "transcribe", transcribe)
    monkeypatch.setattr(embed_mod, "speaker_embedding", embed)
    return calls


def test_unchanged_chapter_makes_no_model_calls_and_an_edit_exactly_one(tmp_path, monkeypatch):
    calls = _fakes(monkeypatch)
    takes = [_take(n) for n in range(5)]
    _write(tmp_path, takes)
    first = run_qc(tmp_path, options=QCOptions(profile="acx"), write=False)
    assert calls == {"asr": 5, "embed": 5}
    assert [s.wer for s in first.chapters[0].sentences] == [0.0] * 5
    before = dict(qc_cache.CALLS)
    second = run_qc(tmp_path, options=QCOptions(profile="acx"), write=False)
    assert calls == {"asr": 5, "embed": 5}
    assert dict(qc_cache.CALLS) == before
    assert second.to_dict() == first.to_dict()
    takes[2] = (takes[2] * 0.5).astype(np.float32)  # one re-rendered take (new audio)
    _write(tmp_path, takes)
    third = run_qc(tmp_path, options=QCOptions(profile="acx"), write=False)
    assert calls == {"asr": 6, "embed": 6}
    assert [s.sentence_id for s in third.chapters[0].sentences] == ["s0", "s1", "s2", "s3", "s4"]
    assert len(list((tmp_path / "build" / "qc-cache").rglob("*.npy"))) == 6


def test_cached_results_equal_uncached(tmp_path, monkeypatch):
    _fakes(monkeypatch)
    _write(tmp_path, [_take(n) for n in range(5)])
    fresh = run_qc(tmp_path, options=QCOptions(), write=False).to_dict()
    cached = run_qc(tmp_path, options=QCOptions(), write=False).to_dict()
    for path in (tmp_path / "build" / "qc-cache").rglob("*.json"):
        path.unlink()
    rebuilt = run_qc(tmp_path, options=QCOptions(), write=False).to_dict()
    assert fresh == cached == rebuilt
