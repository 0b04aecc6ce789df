"""build_plan splits at each voice's engine capabilities.max_chars (fastspeech2-zh: 100)."""

from lector.core.engines.fastspeech2_zh import FastSpeech2Zh
from lector.core.plan_limits import engine_max_chars, voice_max_chars
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.test_project import EN_TOML, ZH_TOML, StubPronouncer, make_project

STUB = StubPronouncer()
# 150 Han characters and commas, no 。: only the max_chars split can cut it
LONG_ZH = "，".join("".join(chr(0x4E00 + (i * 13 + k) % 400) for k in range(14)) for i in range(10))


def test_long_zh_sentence_without_full_stop_is_cut_at_the_engines_100_chars(tmp_path):
    assert len(LONG_ZH) == 149 and "。" not in LONG_ZH
    text = LONG_ZH + "尾"
    make_project(tmp_path, {"01.md": f"# A\n\n{text}\n"}, ZH_TOML)
    plan = build_plan(load_project(tmp_path), pronouncer=STUB)
    body = plan.chapters[0].sentences[1:]
    assert len(text) == 150
    assert "".join(s.text for s in body) == text
    assert [len(s.text) for s in body] == [90, 60]
    assert max(len(s.spoken) for s in body) <= 100


def test_engine_limits_without_loading_models_and_overrides(tmp_path):
    make_project(tmp_path, {"01.md": f"# A\n\n{LONG_ZH}尾\n"}, ZH_TOML)
    project = load_project(tmp_path)
    assert FastSpeech2Zh.capabilities.max_chars == 100
    assert engine_max_chars(project, "fastspeech2-zh") == 100
    assert engine_max_chars(project, "fake") == 200
    assert voice_max_chars(project) == {"narrator": 100, "alice": 100}
    make_project(
        tmp_path / "cfg", {"01.md": f"# A\n\n{LONG_ZH}尾\n"}, ZH_TOML + "\n[manuscript]\nmax_chars = 120\n"
    )
    cfg_plan = build_plan(load_project(tmp_path / "cfg"), pronouncer=STUB)
    assert max(len(s.text) for s in cfg_plan.chapters[0].sentences[1:]) == 120


def test_smallest_limit_over_a_voice_and_its_fallbacks(tmp_path):
    toml = EN_TOML.replace(
        '[voices.narrator]\nengine = "fastspeech2-zh"\nvoice = "baker"',
        '[voices.narrator]\nengine = "fake"\nvoice = "tone-en"\nlang = "en"\nfallback = "alice"',
    )
    make_project(tmp_path, {"01.md": "# A\n\nHello.\n"}, toml)
    assert voice_max_chars(load_project(tmp_path)) == {"narrator": 100, "alice": 100}
    make_project(tmp_path / "b", {"01.md": "# A\n\nHello.\n"}, toml.replace('fallback = "alice"', ""))
    assert voice_max_chars(load_project(tmp_path / "b")) == {"narrator": 200, "alice": 100}


def test_lector_plan_cli_uses_the_engine_limit(tmp_path, capsys):
    import json

    from lector.cli import main as lector

    text = LONG_ZH + "尾"
    make_project(tmp_path, {"01.md": f"# A\n\n{text}\n"}, ZH_TOML)
    assert lector(["plan", str(tmp_path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)["chapters"][0]["sentences"][1:]
    assert "".join(s["text"] for s in body) == text
    assert max(len(s["text"]) for s in body) <= 100
    assert len(body) == 2
