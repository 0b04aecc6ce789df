"""No silent fallback: a typo'd engine voice, text in a language the voice cannot read and an
engine that crashes each stop loudly (exact errors, exit codes, manifest fields); a declared
``fallback`` is used, reported, and published only with --allow-fallback."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
import pytest

from lector.cli import main as lector
from lector.core.engines import registry
from lector.core.engines.base import Capabilities, SynthRequest, VoiceInfo
from lector.core.errors import ConfigError, EngineError, FallbackUsed, TagError
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.flows.produce import produce_book

from .conftest import write_tiny_project


class CrashEngine:
    """Loads fine (so the plan checks pass) and raises on every synthesis, like a broken model."""

    capabilities = Capabilities(
        engine_id="crash",
        version="1",
        languages=("en",),
        sample_rate=16000,
        max_chars=300,
        emotions=("neutral",),
        emotion_method="none",
        accepts_phonemes=False,
        seedable=True,
        batchable=True,
    )

    def __init__(self, options=None) -> None:
        self.options = options

    def voices(self) -> tuple[VoiceInfo, ...]:
        return (VoiceInfo("anna", "en"),)

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[np.ndarray]:
        raise EngineError("model exploded: CUDA error 700", fix="restart the engine")


@pytest.fixture()
def crash_engine(monkeypatch):
    monkeypatch.setitem(registry.BUILTIN, "crash", "tests.test_fail_loud:CrashEngine")


CAST = (
    '\n[voices.narrator]\nengine = "{engine}"\nvoice = "{voice}"\nlang = "{lang}"\n{extra}\n'
    '[voices.backup]\nengine = "fake"\nvoice = "tone-en"\nlang = "en"\n'
)


def project(tmp_path, *, engine="crash", voice="anna", lang="en", fallback=False, text=None):
    root = write_tiny_project(tmp_path / "book", engine="fake", cover=False)
    toml = (root / "project.toml").read_text(encoding="utf-8")
    head = toml[: toml.index("[voices.narrator]")]
    tail = toml[toml.index("[render]") :]
    cast = CAST.format(
        engine=engine, voice=voice, lang=lang, extra='fallback = "backup"\n' if fallback else ""
    )
    (root / "project.toml").write_text(head + cast.lstrip("\n") + "\n" + tail, encoding="utf-8")
    if text is not None:
        (root / "manuscript" / "01.md").write_text(text, encoding="utf-8")
    return root


# -- plan time ------------------------------------------------------------------------------------


def test_typo_engine_voice_is_refused_at_plan_time_with_did_you_mean(tmp_path, capsys):
    root = project(tmp_path, engine="piper-en", voice="jeo")
    with pytest.raises(ConfigError) as err:
        build_plan(load_project(root))
    assert str(err.value) == (
        f"{root / 'project.toml'}:8 [voices.narrator.voice]: engine piper-en has no voice "
        "'jeo' (did you mean 'joe'?) — fix: use one of: default, joe"
    )
    assert lector(["plan", str(root)]) == 2
    assert capsys.readouterr().err == f"lector: error: {err.value}\n"


def test_typo_engine_id_is_refused_with_did_you_mean(tmp_path):
    root = project(tmp_path, engine="fastspeech2_zh", voice="baker", lang="zh")
    with pytest.raises(ConfigError) as err:
        build_plan(load_project(root))
    assert err.value.line == 7
    assert err.value.field == "voices.narrator.engine"
    assert err.value.message.endswith(
        "engine 'fastspeech2_zh' is not a Lector engine (did you mean 'fastspeech2-zh'?)"
    )


def test_cast_language_the_engine_cannot_speak(tmp_path):
    root = project(tmp_path, engine="piper-en", voice="joe", lang="de")
    with pytest.raises(ConfigError) as err:
        build_plan(load_project(root))
    assert (err.value.line, err.value.field) == (9, "voices.narrator.lang")
    assert err.value.message == "engine piper-en cannot speak lang 'de' (it speaks en)"


def test_sentence_in_a_language_its_voice_cannot_read(tmp_path):
    """An editor recasts a zh sentence to the en narrator (overrides.json); piper-en reads en only.
    Before: piper-en raised at render time and espeak spoke the sentence, exit 0."""
    root = project(
        tmp_path, engine="piper-en", voice="joe", text="# One\n\nThe sign said 银行 in red letters.\n"
    )
    toml = root / "project.toml"
    # "rules": the plan gives the Chinese run a sentence of its own ("voice" mixes it inside the sentence)
    toml.write_text(
        toml.read_text() + '\n[voices.zh]\nengine = "espeak-draft"\nvoice = "cmn"\nlang = "zh"\n'
        '\n[manuscript]\nmixed_english = "rules"\n'
    )
    plan = build_plan(load_project(root))
    zh = next(s for s in plan.chapters[0].sentences if s.voice == "zh")
    (root / "overrides.json").write_text(json.dumps({"voices": {zh.id: "narrator"}}))
    with pytest.raises(TagError) as err:
        build_plan(load_project(root))
    assert str(err.value) == (
        f"manuscript/01.md:3 [voices.narrator]: sentence {zh.id} has 'zh' text that voice "
        "'narrator' (piper-en, reads en) cannot read: '银行' — fix: cast a voice for 'zh' on "
        "that text ([[voice:NAME]] with an engine that speaks it, e.g. espeak-draft for a "
        "draft), or correct its language tag"
    )


def test_unknown_key_and_bad_timezone_name_the_fix(tmp_path):
    root = project(tmp_path, engine="fake", voice="tone-en")
    toml = root / "project.toml"
    base = toml.read_text()
    toml.write_text(base.replace("[book]\ntitle", "[book]\ntitel"))
    with pytest.raises(ConfigError) as err:
        load_project(root)
    assert (err.value.line, err.value.field) == (2, "book.titel")
    assert err.value.message == "unknown key 'titel' in [book] (did you mean 'title'?)"
    assert err.value.fix.startswith("use one of the keys [book] takes: title, author, language, ")
    toml.write_text(base + '\n[schedule]\ncron = "0 2 * * *"\ntimezone = "Europe/Londn"\n')
    with pytest.raises(ConfigError) as err:
        load_project(root)
    assert err.value.field == "schedule.timezone"
    assert err.value.message == (
        "timezone 'Europe/Londn' is not an IANA time zone (did you mean "
        "'Europe/London'?), e.g. 'Europe/London'"
    )


# -- render time ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_server", "crash_engine")
def test_engine_crash_without_fallback_fails_the_run(tmp_path, capsys):
    """Before: espeak-draft spoke every sentence and the render exited 0 and published."""
    root = project(tmp_path)
    with pytest.raises(EngineError) as err:
        produce_book(str(root), publish=True)
    assert err.value.message.startswith("chapter ")
    assert "sentence(s) have no audio; first: " in err.value.message
    assert err.value.message.endswith("voice 'narrator': crash: model exploded: CUDA error 700")
    assert err.value.fix == (
        'restart the engine; or declare `fallback = "OTHER_VOICE"` under [voices.narrator] and render '
        "with --allow-fallback"
    )
    assert str(err.value).count("— fix:") == 1
    assert not (root / "build" / "object-store").exists()
    assert not (root / "build" / "masters").exists()
    assert lector(["render", str(root)]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("lector: error: [voices.narrator]: chapter ")
    assert last.endswith(
        "crash: model exploded: CUDA error 700 — fix: restart the engine; or declare "
        '`fallback = "OTHER_VOICE"` under [voices.narrator] and render with --allow-fallback'
    )


@pytest.mark.usefixtures("prefect_server", "crash_engine")
def test_declared_fallback_is_reported_and_not_published(tmp_path, capsys):
    root = project(tmp_path, fallback=True)
    with pytest.raises(FallbackUsed) as err:
        produce_book(str(root), publish=True)
    assert err.value.message.startswith(
        "6 sentence(s) were spoken by a fallback voice (chapter 1: 3, chapter 2: 3); first: "
    )
    assert err.value.summary["published"] is None
    assert err.value.summary["fallback"] == {
        "sentences": 6,
        "chapters": {"1": 3, "2": 3},
        "allowed": False,
        "publish_withheld": True,
    }
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert manifest["fallback"] == err.value.summary["fallback"]
    assert manifest["engine_sentences"] == {"fake": 6}
    chapter = manifest["chapters"][0]
    assert chapter["engine_sentences"] == {"fake": 3}
    assert len(chapter["fallback_details"]) == 3
    assert chapter["fallback_details"][0]["voice"] == "narrator"
    assert chapter["fallback_details"][0]["engine"] == "fake"
    assert chapter["fallback_details"][0]["error"] == (
        "crash: model exploded: CUDA error 700 — fix: restart the engine"
    )
    assert not (root / "build" / "object-store").exists()
    assert (root / "build" / "masters" / "tiny-book.m4b").is_file()
    code = lector(["render", str(root)])
    out, errtext = capsys.readouterr()
    assert code == 3
    assert (
        "fallback: 6 sentence(s) spoken by a fallback voice (chapter 1: 3, chapter 2: 3) — NOT published"
        in out
    )
    lines = errtext.splitlines()
    done = sorted(re.sub(r" \(\d+\.\d s\)$", "", line) for line in lines[:2])  # one line per chapter
    assert [d[:26] for d in done] == ["lector: chapter 1/2 done: ", "lector: chapter 2/2 done: "]
    assert sorted(d[26:] for d in done) == ["01 One", "02 Two"]
    assert lines[-1].startswith(
        "lector: error: [voices.narrator]: 6 sentence(s) were spoken by a fallback voice"
    )
    assert not any("Traceback" in line for line in lines)


@pytest.mark.usefixtures("prefect_server", "crash_engine")
def test_allow_fallback_publishes_and_says_so(tmp_path, capsys):
    root = project(tmp_path, fallback=True)
    assert lector(["render", str(root), "--allow-fallback", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fallback"] == {
        "sentences": 6,
        "chapters": {"1": 3, "2": 3},
        "allowed": True,
        "publish_withheld": False,
    }
    assert summary["published"].endswith("/lector/audiobooks/book/1/")
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert manifest["fallback"]["allowed"] is True
