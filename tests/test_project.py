"""project.toml validation, `lector init`, `lector plan` CLI; shared helpers for text-side tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lector.cli import main
from lector.cli.commands.init import scaffold
from lector.core.errors import ConfigError
from lector.core.model import Token
from lector.core.project import load_project
from lector.core.text.segment import is_han

ZH_TOML = """[book]
title = "测试"
language = "zh"
seed = 7
narrator = "narrator"

[voices.narrator]
engine = "fastspeech2-zh"
voice = "baker"

[voices.alice]
engine = "fastspeech2-zh"
emotion = "happy"
"""

EN_TOML = ZH_TOML.replace('language = "zh"', 'language = "en"').replace('title = "测试"', 'title = "Test"')


class StubPronouncer:
    """Deterministic stand-in for lector.core.pronounce.Pronouncer."""

    def substitute(self, text: str, lang: str) -> str:
        return text.replace("NASA", "Nasa") if lang == "en" else text

    def tokens(self, text: str, lang: str) -> tuple[Token, ...]:
        if lang == "zh":
            return tuple(Token(c, "x1", "stub") for c in text if is_han(c))
        return tuple(Token(w, w.lower().strip('.,!?"'), "stub") for w in text.split())


def make_project(root: Path, files: dict[str, str | bytes], toml: str = ZH_TOML) -> Path:
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    (root / "project.toml").write_text(toml, encoding="utf-8")
    for name, content in files.items():
        path = root / "manuscript" / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def test_bad_toml_field_names_field_and_line(tmp_path):
    toml = ZH_TOML.replace(
        '[voices.alice]\nengine = "fastspeech2-zh"', '[voices.alice]\nengine = "fastspeech2-zh"\nspeed = 9.0'
    )
    make_project(tmp_path, {"01.md": "# A\n\n你好。\n"}, toml)
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert info.value.field == "voices.alice.speed"
    assert info.value.line == 13
    assert "project.toml:13 [voices.alice.speed]" in str(info.value)


def test_unknown_toml_key_is_rejected_with_line(tmp_path):
    make_project(tmp_path, {}, ZH_TOML.replace("seed = 7", 'seed = 7\ncolour = "red"'))
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert (info.value.field, info.value.line) == ("book.colour", 5)


def test_removed_render_keys_are_refused_with_what_to_write_instead(tmp_path):
    make_project(tmp_path, {}, ZH_TOML + "\n[render]\nbatch_size = 8\nthreads = 4\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert (info.value.field, info.value.line) == ("render.threads", 17)
    assert str(info.value) == (
        f"{tmp_path / 'project.toml'}:17 [render.threads]: key 'threads' in [render] is no longer read"
        " — fix: delete it; set CPU threads per engine with [engines.<id>] threads = N"
    )
    make_project(tmp_path, {}, ZH_TOML + "\n[render]\ngpu_concurrency = 2\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert info.value.fix == (
        "delete it; the GPU limit is the Prefect global concurrency limit named 'gpu' "
        "(`prefect gcl create gpu --limit N`)"
    )


def test_toml_syntax_error_has_line(tmp_path):
    make_project(tmp_path, {}, ZH_TOML.replace('voice = "baker"', 'voice = "baker'))
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert info.value.line == 9


def test_init_scaffolds_zh_and_refuses_overwrite(tmp_path):
    root = scaffold(tmp_path / "book", "zh")
    project = load_project(root)
    assert project.config.voices["narrator"].engine == "fastspeech2-zh"
    assert project.config.voices["narrator"].voice == "baker"
    assert project.config.voices["draft"].engine == "espeak-draft"
    assert (root / "manuscript" / "01-chapter.md").is_file()
    assert (root / "lexicon.tsv").is_file()
    before = (root / "project.toml").read_text(encoding="utf-8")
    assert main(["init", str(root), "--lang", "en"]) == 2
    assert (root / "project.toml").read_text(encoding="utf-8") == before


def test_init_en_voices(tmp_path):
    project = load_project(scaffold(tmp_path / "en", "en"))
    assert (
        project.config.book.language,
        project.config.voices["narrator"].engine,
        project.config.voices["narrator"].voice,
    ) == ("en", "piper-en", "joe")


def test_cli_plan_json_is_utf8_and_filters_chapters(tmp_path, capsys):
    make_project(
        tmp_path, {"01.md": "# 一\n\n你好。\n", "02.md": "# 二\n\n再见。\n", "03.md": "# 三\n\n好。\n"}
    )
    assert main(["plan", str(tmp_path), "--json", "--chapters", "1,3", "--write"]) == 0
    saved = json.loads((tmp_path / "build" / "plan.json").read_text(encoding="utf-8"))
    assert [c["index"] for c in saved["chapters"]] == [1, 2, 3]
    out = capsys.readouterr().out
    assert "你好" in out
    data = json.loads(out)
    assert [c["index"] for c in data["chapters"]] == [1, 3]
    first = data["chapters"][0]["sentences"][1]
    assert {
        "id",
        "text",
        "spoken",
        "lang",
        "voice",
        "emotion",
        "pronunciation",
        "seed",
        "pause_after_ms",
    } <= set(first)
    assert (first["text"], first["voice"], first["lang"]) == ("你好。", "narrator", "zh")


def test_cli_plan_summary_and_bad_chapters(tmp_path, capsys):
    make_project(tmp_path, {"01.md": "# 一\n\n你好。\n"})
    assert main(["plan", str(tmp_path)]) == 0
    assert "01  一  (2 sentences, manuscript/01.md)" in capsys.readouterr().out
    assert main(["plan", str(tmp_path), "--chapters", "4"]) == 2
    assert "no chapter [4]" in capsys.readouterr().err
