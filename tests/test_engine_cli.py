"""`lector say` / `lector engines`: determinism across processes, errors, listing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import soundfile as sf

from lector.cli import main

ROOT = Path(__file__).resolve().parents[1]
ZH = "我们去银行。"
EN = "Hello there."
CASES = {  # file -> say arguments
    "zh_takes_5.wav": [ZH, "--lang", "zh", "--voice", "baker-takes", "--seed", "5"],
    "zh_takes_6.wav": [ZH, "--lang", "zh", "--voice", "baker-takes", "--seed", "6"],
    "en_5.wav": [EN, "--lang", "en", "--seed", "5"],
    "en_6.wav": [EN, "--lang", "en", "--seed", "6"],
    "draft_5.wav": [EN, "--lang", "en", "--engine", "espeak-draft", "--seed", "5"],
}


def _render_in_subprocess(out_dir: Path) -> dict[str, str]:
    script = textwrap.dedent(f"""
        import sys
        from lector.cli import main
        cases = {CASES!r}
        for name, args in cases.items():
            assert main(["say", *args, "--out", sys.argv[1] + "/" + name]) == 0
    """)
    out_dir.mkdir()
    subprocess.run(
        [sys.executable, "-c", script, str(out_dir)], cwd=ROOT, check=True, capture_output=True, timeout=300
    )
    return {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest() for name in CASES}


def _render_here(out_dir: Path) -> dict[str, str]:
    out_dir.mkdir()
    for name, args in CASES.items():
        assert main(["say", *args, "--out", str(out_dir / name)]) == 0
    return {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest() for name in CASES}


def test_say_is_byte_identical_across_processes(tmp_path):
    first = _render_in_subprocess(tmp_path / "a")  # a fresh process ...
    second = _render_here(tmp_path / "b")  # ... and this one (engines maybe warm)
    assert first == second
    assert first["zh_takes_5.wav"] != first["zh_takes_6.wav"]
    assert first["en_5.wav"] != first["en_6.wav"]
    info = sf.info(str(tmp_path / "a" / "zh_takes_5.wav"))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (24000, 1, "PCM_16", "WAV")
    assert sf.info(str(tmp_path / "a" / "en_5.wav")).samplerate == 22050
    assert 0.15 <= info.duration / 5 <= 0.45


def test_say_unknown_voice_and_emotion(tmp_path, capsys):
    out = str(tmp_path / "x.wav")
    assert main(["say", "你好", "--lang", "zh", "--voice", "lily", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "unknown voice 'lily'" in err and "baker, baker-takes" in err
    assert main(["say", "Hello.", "--lang", "en", "--emotion", "bored", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "emotion 'bored'" in err and "neutral, happy, sad, angry, calm, excited" in err
    assert not Path(out).exists()


def test_say_splits_text_longer_than_max_chars(tmp_path, capsys):
    text = "专家提醒广大市民注意添衣保暖，出行时注意交通安全。" * 5  # 125 chars > 100
    out = tmp_path / "long.wav"
    assert main(["say", text, "--lang", "zh", "--out", str(out)]) == 0
    assert "5 piece(s)" in capsys.readouterr().out
    assert 0.15 <= sf.info(str(out)).duration / len(text) <= 0.45


def test_engines_json(capsys):
    assert main(["engines", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"fastspeech2-zh", "piper-en", "espeak-draft", "fake"} <= set(rows)
    zh = rows["fastspeech2-zh"]
    assert zh["available"] and zh["capabilities"]["sample_rate"] == 24000
    assert [v["voice_id"] for v in zh["voices"]] == ["baker", "baker-takes"]
    assert rows["piper-en"]["capabilities"]["languages"] == ["en"]


def test_project_lexicon_reaches_the_audio(tmp_path):
    project = tmp_path / "book"
    project.mkdir()
    (project / "project.toml").write_text(
        '[book]\ntitle = "T"\n[voices.narrator]\nengine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\n',
        encoding="utf-8",
    )
    text = "他走在银行门口。"
    plain, fixed = tmp_path / "plain.wav", tmp_path / "fixed.wav"
    assert main(["say", text, "--lang", "zh", "--project", str(project), "--out", str(plain)]) == 0
    (project / "lexicon.tsv").write_text("银行\tyin2 xing2\n", encoding="utf-8")
    assert main(["say", text, "--lang", "zh", "--project", str(project), "--out", str(fixed)]) == 0
    assert plain.read_bytes() != fixed.read_bytes()
