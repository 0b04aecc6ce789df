"""Waveform and loudness data of a chapter against its profile (lector.core.audio.waveform)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lector.core.audio.waveform import bar_peaks, cached_chapter_levels, chapter_levels
from lector.core.errors import AudioError

RATE = 8000
ROWS = [{"id": "a", "start_s": 0.5, "end_s": 1.5}, {"id": "b", "start_s": 2.0, "end_s": 3.0}]


def _sine(amplitude: float, seconds: float, freq: float = 250.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * freq * t)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE))


def _chapter(path: Path, loud: float = 0.2, quiet: float = 0.05) -> Path:
    """0.5 s silence, sentence a (1 s), 0.5 s silence, sentence b (1 s), 0.5 s silence."""
    audio = np.concatenate([_silence(0.5), _sine(loud, 1), _silence(0.5), _sine(quiet, 1), _silence(0.5)])
    sf.write(str(path), audio, RATE, subtype="PCM_24")
    return path


def test_sentence_levels_and_curve_against_acx(tmp_path):
    levels = chapter_levels(_chapter(tmp_path / "c.flac"), ROWS, "acx", bars=4)
    assert (levels.profile, levels.level_unit, levels.min_level, levels.max_level) == (
        "acx",
        "dBFS RMS",
        -23.0,
        -18.0,
    )
    assert (levels.peak_max_dbfs, levels.sample_rate, levels.duration_s) == (-3.0, RATE, 3.5)
    # a sine of amplitude 0.2: RMS 0.2/sqrt(2) = -16.99 dBFS, peak -13.98 dBFS
    a, b = levels.sentences
    assert (a.id, a.start_s, a.end_s, a.level, a.peak_dbfs) == ("a", 0.5, 1.5, -16.99, -13.98)
    assert a.bars == (51, 51, 51, 51)  # 0.2 of full scale = 51/255
    assert a.problems == ("level -16.99 above -18",)
    assert (b.level, b.peak_dbfs, b.bars, b.problems) == (
        -29.03,
        -26.02,
        (13, 13, 13, 13),
        ("level -29.03 below -23",),
    )
    # per second: half a second of the loud sine (mean square 0.01 = -20 dB), the quiet one, silence
    assert levels.curve == (-20.0, -20.0, -29.03, -120.0)
    assert levels.peaks_dbfs == (-13.98, -13.98, -26.02, -120.0)


def test_peak_over_the_ceiling_is_a_problem(tmp_path):
    levels = chapter_levels(_chapter(tmp_path / "c.flac", loud=0.9, quiet=0.141), ROWS, "acx", bars=2)
    assert levels.sentences[0].problems == ("level -3.93 above -18", "peak -0.92 above -3")
    assert levels.sentences[1].problems == ()  # RMS -20.03 dBFS, peak -17.02: inside ACX
    assert (levels.sentences[1].level, levels.sentences[1].bars) == (-20.03, (36, 36))


def test_lufs_profile_uses_integrated_and_short_term_loudness(tmp_path):
    audio = np.concatenate([_silence(0.5), _sine(0.2, 2, freq=997.0), _silence(0.5)])
    sf.write(str(tmp_path / "c.flac"), audio, RATE, subtype="PCM_24")
    levels = chapter_levels(tmp_path / "c.flac", [{"id": "a", "start_s": 0.5, "end_s": 2.5}], "podcast")
    assert (levels.profile, levels.level_unit, levels.min_level, levels.max_level) == (
        "podcast",
        "LUFS",
        -17.0,
        -15.0,
    )
    # a 997 Hz sine of amplitude 0.2 reads -16.99 LUFS (-3.01 at full scale); K-weighting at 8 kHz
    assert levels.sentences[0].level == -16.98
    assert levels.sentences[0].problems == ()
    assert levels.curve == (-19.99, -18.22, -18.74)  # short-term: the last (up to) 3 s
    assert len(levels.sentences[0].bars) == 96


def test_bars_of_short_and_empty_audio():
    assert bar_peaks(np.array([0.5, -1.0, 0.25]), bars=96) == (128, 255, 64)
    assert bar_peaks(np.zeros(0)) == ()
    assert bar_peaks(np.array([0.1, -0.3, 0.2, 0.0]), bars=2) == (76, 51)  # 76.5 rounds to even


def test_span_past_the_end_of_the_file(tmp_path):
    rows = [{"id": "a", "start_s": 3.0, "end_s": 9.0}]
    levels = chapter_levels(_chapter(tmp_path / "c.flac"), rows, "acx", bars=2)
    assert (levels.sentences[0].end_s, levels.sentences[0].level, levels.sentences[0].bars) == (
        9.0,
        -120.0,
        (0, 0),
    )


def test_levels_are_cached_by_content(tmp_path):
    audio, cache = _chapter(tmp_path / "c.flac"), tmp_path / "levels"
    first = cached_chapter_levels(audio, ROWS, "acx", cache)
    assert len(list(cache.iterdir())) == 1
    assert first.sentences[0].level == -16.99
    assert cached_chapter_levels(audio, ROWS, "acx", cache) == first  # read back from the file
    _chapter(audio, loud=0.1)  # new content: measured again, kept beside
    again = cached_chapter_levels(audio, ROWS, "acx", cache)
    assert again.sentences[0].level == -23.01
    assert len(list(cache.iterdir())) == 2
    assert cached_chapter_levels(audio, ROWS, "podcast", cache).level_unit == "LUFS"  # per profile
    with pytest.raises(AudioError) as exc:
        cached_chapter_levels(tmp_path / "missing.flac", ROWS, "acx", cache)
    assert exc.value.fix == "render the chapter again"


def test_paragraph_levels_over_its_sentences_span(tmp_path):
    rows = [{**ROWS[0], "paragraph": 2}, {**ROWS[1], "paragraph": 2}]
    levels = chapter_levels(_chapter(tmp_path / "c.flac"), rows, "acx", bars=2, paragraph_bars=5)
    (para,) = levels.paragraphs
    assert (para.index, para.sentence_ids, para.start_s, para.end_s) == (2, ("a", "b"), 0.5, 3.0)
    # 1 s at mean square 0.02, 0.5 s silence, 1 s at 0.00125 over 2.5 s: 0.0085 = -20.71 dBFS
    assert (para.level, para.peak_dbfs, para.problems) == (-20.71, -13.98, ())
    assert para.bars == (51, 51, 0, 13, 13)  # half a second a bar: loud, loud, pause, quiet, quiet
    assert levels.sentences[0].level == -16.99  # the sentences are measured as before


def test_each_paragraph_run_apart_and_rows_without_one(tmp_path):
    rows = [{**ROWS[1], "paragraph": 1}, {**ROWS[0], "paragraph": 0}]  # in time order, not row order
    levels = chapter_levels(_chapter(tmp_path / "c.flac"), rows, "acx", bars=2, paragraph_bars=2)
    assert [(p.index, p.sentence_ids, p.level, p.problems) for p in levels.paragraphs] == [
        (0, ("a",), -16.99, ("level -16.99 above -18",)),
        (1, ("b",), -29.03, ("level -29.03 below -23",)),
    ]
    assert chapter_levels(tmp_path / "c.flac", ROWS, "acx").paragraphs == ()


def test_paragraphs_are_cached_with_the_levels(tmp_path):
    audio, cache = _chapter(tmp_path / "c.flac"), tmp_path / "levels"
    rows = [{**r, "paragraph": 0} for r in ROWS]
    first = cached_chapter_levels(audio, rows, "acx", cache)
    assert cached_chapter_levels(audio, rows, "acx", cache) == first  # read back from the file
    assert first.paragraphs[0].level == -20.71
    assert cached_chapter_levels(audio, ROWS, "acx", cache).paragraphs == ()  # grouping is in the key
    assert len(list(cache.iterdir())) == 2
