"""Measurements (RMS, peaks, LUFS, noise floor) and mastering to the acx/podcast/ebu-r128 profiles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

from bench.speech import speech_like
from lector.core.audio.master import check_profile, master_chapter
from lector.core.audio.measure import Measurements, integrated_loudness, measure
from lector.core.errors import AudioError, ConfigError
from lector.core.profiles import ACX, get_profile

SR = 44100


def _sine(freq_hz: float, amp: float, seconds: float = 10.0, sr: int = SR, phase: float = 0.0) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq_hz * np.arange(int(sr * seconds)) / sr + phase)).astype(np.float32)


def _oversampled_peak_db(x: np.ndarray) -> float:
    return 20 * float(np.log10(np.abs(ss.resample_poly(x.astype(np.float64), 4, 1)).max()))


def test_sine_at_minus_20_dbfs_rms():
    m = measure(_sine(1000.0, 0.1 * np.sqrt(2)), SR)
    assert abs(m.rms_dbfs - -20.0) <= 0.01
    assert abs(m.peak_dbfs - -16.99) <= 0.01
    assert abs(m.lufs_integrated - -20.0) <= 0.05
    assert m.duration_s == 10.0


def test_full_scale_997hz_sine_reads_minus_3_01_lufs():
    for sr in (44100, 48000):
        x = _sine(997.0, 1.0, sr=sr)
        assert abs(integrated_loudness(x, sr) - -3.01) <= 0.02
        assert abs(measure(x, sr).lufs_integrated - -3.01) <= 0.02


def test_true_peak_finds_intersample_peak():
    # fs/4 tone at 45 degrees: every sample sits at 0.707 of the waveform's peak
    x = _sine(SR / 4, 0.5, seconds=1.0, phase=np.pi / 4)
    m = measure(x, SR)
    assert abs(m.peak_dbfs - -9.03) <= 0.01
    assert abs(m.true_peak_dbfs - -6.02) <= 0.1


def test_noise_floor_is_quietest_500ms_and_head_tail():
    x = speech_like(20.0, seed=3)
    m = measure(x, SR)
    assert abs(m.noise_floor_dbfs - -70.0) <= 0.3
    assert m.head_s == 0.75
    assert 2.5 <= m.tail_s <= 3.5


def test_gated_loudness_ignores_silence():
    tone = _sine(1000.0, 0.1 * np.sqrt(2), seconds=5.0)
    padded = np.concatenate([tone, np.zeros(SR * 20, np.float32)])
    # only the 400 ms blocks straddling the tone's end can pass the gates: within 0.2 LU, not -7 dB
    assert abs(integrated_loudness(padded, SR) - integrated_loudness(tone, SR)) <= 0.2
    assert abs(measure(padded, SR).rms_dbfs - measure(tone, SR).rms_dbfs) >= 6.9
    assert measure(np.zeros(SR, np.float32), SR).lufs_integrated == -120.0


def test_master_speech_into_acx():
    x = speech_like(60.0, seed=1)
    r = master_chapter(x, SR, "acx")
    m = r.measurements
    assert -23.0 <= m.rms_dbfs <= -18.0
    assert abs(m.rms_dbfs - -20.0) <= 0.1
    assert m.peak_dbfs <= -3.0
    assert m.true_peak_dbfs <= -3.0
    assert _oversampled_peak_db(r.audio) <= -3.0
    assert float(np.abs(r.audio).max()) <= 10 ** (-3 / 20)
    assert m.noise_floor_dbfs <= -60.0
    assert r.violations == ()
    assert r.sample_rate == 44100
    assert r.audio.dtype == np.float32
    assert abs(measure(r.audio, SR).rms_dbfs - m.rms_dbfs) <= 1e-6
    assert x is not r.audio


def test_acx_gate_pulls_loud_room_tone_below_minus_60():
    x = speech_like(30.0, seed=2, level_dbfs=-36.0)
    x += np.random.default_rng(5).standard_normal(x.size).astype(np.float32) * np.float32(10 ** (-62 / 20))
    r = master_chapter(x, SR, ACX)
    assert r.measurements.noise_floor_dbfs <= -60.0
    assert -23.0 <= r.measurements.rms_dbfs <= -18.0
    assert r.violations == ()


def test_master_speech_into_podcast_and_ebu():
    x = speech_like(60.0, seed=4)
    pod = master_chapter(x, SR, "podcast")
    assert abs(pod.measurements.lufs_integrated - -16.0) <= 0.5
    assert pod.measurements.true_peak_dbfs <= -1.0
    assert _oversampled_peak_db(pod.audio) <= -1.0
    assert pod.violations == ()
    ebu = master_chapter(x, SR, "ebu-r128")
    assert abs(ebu.measurements.lufs_integrated - -23.0) <= 0.5
    assert ebu.measurements.true_peak_dbfs <= -1.0
    assert ebu.violations == ()


def test_master_in_place_and_resampling():
    x = speech_like(10.0, seed=6)
    r = master_chapter(x, SR, "acx", in_place=True)
    assert r.audio is x
    y = speech_like(10.0, sample_rate=24000, seed=6)
    r = master_chapter(y, 24000, "acx")
    assert r.sample_rate == 44100
    assert r.audio.size == 441000


def test_check_profile_lists_each_violation():
    m = Measurements(
        rms_dbfs=-25.0,
        peak_dbfs=-2.0,
        true_peak_dbfs=-1.5,
        noise_floor_dbfs=-55.0,
        lufs_integrated=-24.0,
        duration_s=7300.0,
        head_s=0.2,
        tail_s=6.0,
    )
    assert check_profile(m, "acx") == (
        "level -25.00 dBFS RMS outside -23…-18",
        "peak -2.00 dBFS above -3",
        "true peak -1.50 dBTP above -3",
        "noise floor -55.00 dBFS above -60",
        "head room tone 0.20 s outside 0.5…1 s",
        "tail room tone 6.00 s outside 1…5 s",
        "duration 121.7 min above 120 min",
    )
    assert check_profile(m, "podcast") == ("level -24.00 LUFS outside -17…-15",)
    ok = Measurements(-20.0, -4.0, -3.5, -65.0, -19.0, 600.0, 0.75, 2.5)
    assert check_profile(ok, ACX) == ()


def test_bad_input_and_unknown_profile():
    with pytest.raises(ConfigError):
        get_profile("loud")
    with pytest.raises(AudioError):
        master_chapter(np.zeros(0, np.float32), SR, "acx")
    with pytest.raises(AudioError):
        measure(np.zeros((10, 2), np.float32), SR)


def test_block_limiter_equals_whole_file_pass():
    from lector.core.audio.dynamics import LIMIT_BLOCK, _gain_curve, limit

    x = speech_like(5.0, seed=7) * np.float32(4.0)
    c = np.float32(10 ** (-6 / 20))
    w = round(5.0 * SR / 1000)
    reference = np.clip(x * _gain_curve(x, c, w), -c, c)
    assert x.size > 3 * LIMIT_BLOCK
    got = x.copy()
    reduction_db = limit(got, SR, -6.0)
    assert float(np.abs(got - reference).max()) <= 1e-6
    assert float(np.abs(got).max()) <= c
    assert reduction_db > 3.0


def test_silent_chapter_is_not_blown_up_but_flagged():
    from lector.core.audio.stitch import room_tone

    tone_only = room_tone(SR * 3, SR)
    r = master_chapter(tone_only, SR, "podcast")
    assert r.gain_db == 0.0
    assert r.audio.tobytes() == tone_only.tobytes()
    assert r.violations[0].startswith("level ")


# -- RMS corrective passes (acx): limiting must not leave a chapter below the window ------------


def _sparse_transients(
    seconds: float, seed: int, every_s: float, click_ms: float, level_dbfs: float
) -> np.ndarray:
    """Quiet speech-like audio with loud 2.5 kHz bursts (0.55-0.95 FS) inside the utterances:
    a crest factor of 27-28 dB, so one gain + limit pass leaves the RMS far below the target."""
    x = speech_like(seconds, seed=seed, level_dbfs=level_dbfs)
    rng = np.random.default_rng(seed + 100)
    n = int(click_ms * SR / 1000)
    burst = (np.sin(2 * np.pi * 2500 * np.arange(n) / SR) * np.hanning(n)).astype(np.float32)
    voiced = np.abs(x) > 10 ** ((level_dbfs - 10) / 20)
    pos = int(0.8 * SR)
    while pos < x.size - int(2.6 * SR):
        if voiced[pos : pos + n].any():
            x[pos : pos + n] += burst * np.float32(0.95 * rng.uniform(0.6, 1.0))
        pos += int(every_s * SR * rng.uniform(0.5, 1.5))
    return x


def _one_gain_and_limit_pass_rms(x: np.ndarray) -> float:
    """What mastering did before the corrective passes: static gain to -20, limit, measure."""
    from lector.core.audio.dynamics import apply_gain, limit
    from lector.core.audio.master import level

    y = x.copy()
    apply_gain(y, -20.0 - level(y, SR, "rms"))
    limit(y, SR, -3.5)
    return measure(y, SR).rms_dbfs


def test_high_crest_speech_lands_inside_acx_after_corrective_passes():
    for seconds, seed, every_s, click_ms, level_dbfs in (
        (6.0, 3, 0.1, 4.0, -34.0),
        (8.0, 1, 0.15, 3.0, -30.0),
    ):
        x = _sparse_transients(seconds, seed, every_s, click_ms, level_dbfs)
        m0 = measure(x, SR)
        assert m0.peak_dbfs - m0.rms_dbfs >= 27.0
        assert _one_gain_and_limit_pass_rms(x) < -24.0
        r = master_chapter(x, SR, "acx")
        m = r.measurements
        assert r.violations == ()
        assert -22.5 <= m.rms_dbfs <= -18.5
        assert m.peak_dbfs <= -3.0 and m.true_peak_dbfs <= -3.0
        assert _oversampled_peak_db(r.audio) <= -3.0
        assert m.noise_floor_dbfs <= -60.0
        assert r.notes[0].startswith("rms: ") and "corrective pass(es)" in r.notes[0]


def _piper_chapter(texts: tuple[str, ...]) -> np.ndarray:
    """Real piper-en takes laid out as the flow's stitch does: 750 ms head, 450 ms pauses,
    2.5 s tail, all on the -70 dBFS room tone."""
    from lector.core.audio.stitch import ms_to_samples, prepare_take, room_tone
    from lector.core.engines.base import SynthRequest
    from lector.core.engines.registry import get_engine
    from lector.core.model import Span

    engine = get_engine("piper-en")
    takes = engine.synthesize(
        [
            SynthRequest(sentence_id=f"s{i}", spans=(Span(t, t, "en"),), seed=1 + i)
            for i, t in enumerate(texts)
        ]
    )
    parts = [prepare_take(a, engine.capabilities.sample_rate, SR) for a in takes]
    head, pause, tail = ms_to_samples(750, SR), ms_to_samples(450, SR), ms_to_samples(2500, SR)
    out = room_tone(head + sum(p.size for p in parts) + pause * (len(parts) - 1) + tail, SR)
    pos = head
    for p in parts:
        out[pos : pos + p.size] += p
        pos += p.size + pause
    return out


def test_short_piper_chapter_mastered_inside_every_acx_limit():
    x = _piper_chapter(("Chapter two begins.", "It ends soon."))
    assert _one_gain_and_limit_pass_rms(x) < -23.0  # the chapter that used to be flagged
    r = master_chapter(x, SR, "acx")
    m = r.measurements
    assert r.violations == ()
    assert check_profile(measure(r.audio, SR), "acx") == ()
    assert -23.0 <= m.rms_dbfs <= -18.0
    assert m.peak_dbfs <= -3.0 and m.true_peak_dbfs <= -3.0
    assert _oversampled_peak_db(r.audio) <= -3.0
    assert m.noise_floor_dbfs <= -60.0
    assert 0.5 <= m.head_s <= 1.0 and 1.0 <= m.tail_s <= 5.0


def test_compressor_soft_knee_reduction_is_exact_on_steady_tones():
    from lector.core.audio.dynamics import compress

    quiet, loud = _sine(1000.0, 0.01 * np.sqrt(2), seconds=2.0), _sine(1000.0, 0.1 * np.sqrt(2), seconds=2.0)
    x = np.concatenate([quiet, loud])  # -40 dBFS then -20 dBFS RMS
    reduction_db = compress(x, SR, ratio=3.0, knee_db=6.0, threshold_dbfs=-30.0)
    assert abs(reduction_db - 20.0 / 3) <= 0.05  # 10 dB over, 3:1 -> 6.67 dB down
    assert abs(measure(x[SR // 2 : 3 * SR // 2], SR).rms_dbfs - -40.0) <= 0.01  # below the knee: untouched
    assert abs(measure(x[5 * SR // 2 : 7 * SR // 2], SR).rms_dbfs - (-30.0 + 10.0 / 3)) <= 0.05


def test_impossible_crest_falls_back_to_compression_and_reports_the_level():
    from lector.core.audio.stitch import room_tone

    # 0.3 s of speech between 0.75 s head and 2.5 s tail of room tone: the RMS window would need
    # the speech itself at about -13 dBFS RMS under a -3.5 dBFS ceiling
    speech = speech_like(20.0, seed=9)[int(0.75 * SR) : int(1.05 * SR)]
    x = room_tone(int(3.55 * SR), SR)
    x[int(0.75 * SR) : int(0.75 * SR) + speech.size] += speech
    r = master_chapter(x, SR, "acx")
    m = r.measurements
    assert [n.split(" ")[0] for n in r.notes] == ["rms:", "compressed"]
    assert len(r.violations) == 1 and r.violations[0].startswith("level ")
    assert m.rms_dbfs < -23.0
    assert m.peak_dbfs <= -3.0 and m.true_peak_dbfs <= -3.0
    assert m.noise_floor_dbfs <= -60.0
