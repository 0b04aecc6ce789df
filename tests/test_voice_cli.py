"""`lector voice add` / `lector voice list` on a small project, with real piper-en clips."""

from __future__ import annotations

import pytest
import soundfile as sf

from lector.cli import main
from lector.core.engines.base import SynthRequest
from lector.core.engines.registry import get_engine
from lector.core.model import Span
from lector.core.voices.store import load_voice

TEXT = "She opened the letter slowly, read the first line twice, and then began to laugh."


@pytest.fixture(scope="module")
def clip_audio():
    engine = get_engine("piper-en", threads=1)
    audio = engine.synthesize([SynthRequest("cli", (Span(TEXT, TEXT, "en"),))])[0]
    return audio, engine.capabilities.sample_rate


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "project.toml").write_text(
        '[book]\ntitle = "Letters"\nlanguage = "en"\n\n'
        '[voices.narrator]\nengine = "cosyvoice"\nvoice = "mara"\nlang = "en"\n',
        encoding="utf-8",
    )
    return root


def test_voice_add_then_list(project, clip_audio, tmp_path, capsys):
    audio, rate = clip_audio
    sf.write(tmp_path / "mara.wav", audio, rate)
    assert main(["voice", "add", str(project), "mara", str(tmp_path / "mara.wav"), "--transcript", TEXT]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"added {project / 'voices' / 'mara' / 'clips' / 'mara-01.wav'} to voice "
        f"'mara' (cosyvoice): {audio.size / rate:.1f} s, {rate} Hz, SNR "
    )
    voice = load_voice(project / "voices", "mara")
    assert (voice.config.engine, voice.config.language) == ("cosyvoice", "en")
    assert voice.config.clips[0].transcript == TEXT
    assert len(list((project / "voices" / "mara" / "embeddings").glob("*.npy"))) == 1
    assert main(["voice", "list", str(project)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == (
        f"mara: engine cosyvoice, en, 1 clip(s) {audio.size / rate:.1f} s, emotions neutral; cast: narrator"
    )
    assert listing[1] == f"  clips/mara-01.wav [neutral, en] {audio.size / rate:.1f} s: {TEXT}"


def test_voice_add_refuses_a_short_clip_with_one_clear_line(project, clip_audio, tmp_path, capsys):
    audio, rate = clip_audio
    sf.write(tmp_path / "short.wav", audio[: int(2.1 * rate)], rate)
    assert (
        main(
            ["voice", "add", str(project), "mara", str(tmp_path / "short.wav"), "--transcript", "She opened"]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err == (
        f"lector: error: {tmp_path / 'short.wav'}: clip is 2.1 s long; minimum 3.0 s "
        f"— fix: record 5–10 s of clean speech"
    )
    assert not (project / "voices" / "mara").exists()


def test_voice_list_empty(project, capsys):
    assert main(["voice", "list", str(project)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"no voices in {project / 'voices'} — add one with `lector voice add`"
    )
