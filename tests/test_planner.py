"""build_plan: ids, seeds, pauses, voices/emotions, overrides, splitting, JSON."""

import hashlib
import json

import pytest

from lector.core.errors import ConfigError, ManuscriptError
from lector.core.overrides import Overrides, load_overrides, save_overrides
from lector.core.plan_sentences import derived_seed, sentence_id
from lector.core.planner import build_plan, plan_to_json
from lector.core.project import load_project
from tests.test_project import EN_TOML, ZH_TOML, StubPronouncer, make_project

STUB = StubPronouncer()
CH = "# 第一章\n\n一句。二句。三句。\n\n四句。\n"


def _plan(tmp_path, files, toml=ZH_TOML, **kw):
    make_project(tmp_path, files, toml)
    return build_plan(load_project(tmp_path), pronouncer=STUB, **kw)


def _ids(plan):
    return [s.id for s in plan.chapters[0].sentences]


def test_ids_and_seeds_follow_the_contract(tmp_path):
    s = _plan(tmp_path, {"01.md": CH}).chapters[0].sentences[1]
    expected = hashlib.sha1("01.md\x1f第一章\x1f一句。\x1f0".encode()).hexdigest()[:12]
    assert s.id == expected
    assert s.seed == int(hashlib.sha256(f"7:{expected}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF
    assert (sentence_id("01.md\x1f第一章", "一句。", 0), derived_seed(7, expected)) == (s.id, s.seed)


def test_editing_one_sentence_changes_only_its_id(tmp_path):
    before = _ids(_plan(tmp_path / "a", {"01.md": CH}))
    after = _ids(_plan(tmp_path / "b", {"01.md": CH.replace("二句。", "改过的二句。")}))
    assert [b == a for b, a in zip(before, after, strict=True)] == [True, True, False, True, True]


def test_inserting_a_sentence_keeps_neighbours(tmp_path):
    before = _plan(tmp_path / "a", {"01.md": CH}).chapters[0].sentences
    after = _plan(tmp_path / "b", {"01.md": CH.replace("二句。", "二句。新句。")}).chapters[0].sentences
    assert [(s.id, s.seed) for s in before] == [(s.id, s.seed) for s in after[:3] + after[4:]]


def test_repeated_text_gets_distinct_ids(tmp_path):
    ids = _ids(_plan(tmp_path, {"01.md": "# A\n\n好。好。好。\n"}))
    assert len(set(ids)) == 4
    assert ids[3] == sentence_id("01.md\x1fA", "好。", 2)


def test_pauses_sentence_paragraph_title_and_tags(tmp_path):
    md = "# A\n\n一。二。\n\n三。[[pause:1.5s]]四。\n\n五。\n[[pause:2s]]\n\n六。\n"
    plan = _plan(tmp_path, {"01.md": md})
    assert [(s.text, s.pause_after_ms) for s in plan.chapters[0].sentences] == [
        ("A", 1200),
        ("一。", 450),
        ("二。", 900),
        ("三。", 1500),
        ("四。", 900),
        ("五。", 2000),
        ("六。", 900),
    ]


def test_voices_emotions_and_defaults(tmp_path):
    md = "# A\n\n旁白。\n\n[[voice:alice]]\n甲。[[emotion:sad:0.4]]乙。\n\n丙。\n\n[[voice:narrator]]\n丁。\n"
    got = [
        (s.text, s.voice, s.emotion, s.emotion_degree)
        for s in _plan(tmp_path, {"01.md": md}).chapters[0].sentences
    ]
    assert got[1:] == [
        ("旁白。", "narrator", "neutral", 1.0),
        ("甲。", "alice", "happy", 1.0),
        ("乙。", "alice", "sad", 0.4),
        ("丙。", "alice", "happy", 1.0),
        ("丁。", "narrator", "neutral", 1.0),
    ]


def test_seed_precedence_tag_config_overrides(tmp_path):
    plan = _plan(tmp_path, {"01.md": "# A\n\n一。[[seed:5]]二。三。\n"})
    s = plan.chapters[0].sentences
    assert [x.seed for x in s[2:]] == [5, derived_seed(7, s[3].id)]
    toml = ZH_TOML + f"\n[seeds]\n{s[2].id} = 6\n{s[3].id} = 8\n"
    (tmp_path / "project.toml").write_text(toml, encoding="utf-8")
    save_overrides(
        tmp_path, Overrides(seeds={s[3].id: 9}, emotions={s[1].id: "sad:0.5"}, voices={s[1].id: "alice"})
    )
    again = build_plan(load_project(tmp_path), pronouncer=STUB).chapters[0].sentences
    assert [x.seed for x in again[2:]] == [6, 9]
    assert (again[1].voice, again[1].emotion, again[1].emotion_degree) == ("alice", "sad", 0.5)
    assert [x.id for x in again] == [x.id for x in s]


def test_overrides_roundtrip_and_errors(tmp_path):
    ov = Overrides().with_seed("abc", 3).with_emotion("abc", "sad").with_voice("def", "alice")
    path = save_overrides(tmp_path, ov)
    assert load_overrides(tmp_path) == ov
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overrides.json"]
    path.write_text('{"seeds": {"abc": "x"}}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"seeds\['abc'\] = 'x' is not a int"):
        load_overrides(tmp_path)
    path.write_text('{"seeds": {\n"a": 1,,}}', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_overrides(tmp_path)
    assert info.value.line == 2


def test_override_with_unknown_voice_is_rejected(tmp_path):
    make_project(tmp_path, {"01.md": CH})
    save_overrides(tmp_path, Overrides(voices={"x": "bob"}))
    with pytest.raises(ConfigError, match="unknown voice 'bob'"):
        build_plan(load_project(tmp_path), pronouncer=STUB)


def test_mixed_language_sentence_spans(tmp_path):
    s = _plan(tmp_path, {"01.md": "# A\n\n我用iPhone拍了2020年的照片。\n"}).chapters[0].sentences[1]
    assert [(x.text, x.spoken, x.lang) for x in s.spans] == [
        ("我用", "我用", "zh"),
        ("iPhone", "iPhone", "zh"),
        ("拍了2020年的照片。", "拍了二〇二〇年的照片。", "zh"),
    ]
    assert s.lang == "zh"
    # no English voice in the cast: mixed_english "auto" = "rules" (zh_mixed); the stub reads no 〇
    assert s.pronunciation == "x1 x1 ai4 feng1 " + " ".join(["x1"] * 8)


def test_english_sentence_normalised_and_substituted(tmp_path):
    s = _plan(tmp_path, {"01.md": "# One\n\nDr. Lee met NASA in 1984.\n"}, EN_TOML).chapters[0].sentences[1]
    assert (s.text, s.spoken, s.lang) == (
        "Dr. Lee met NASA in 1984.",
        "Doctor Lee met Nasa in nineteen eighty-four.",
        "en",
    )
    assert s.source == "manuscript/01.md:3"


def test_long_sentence_split_lossless_through_planner(tmp_path):
    text = "".join(chr(0x4E00 + (i * 7) % 500) for i in range(2000))
    plan = _plan(tmp_path, {"01.md": f"# A\n\n{text}\n"})
    body = plan.chapters[0].sentences[1:]
    assert "".join(s.text for s in body) == text
    # the narrator's engine (fastspeech2-zh) declares max_chars=100, which beats the zh default 120
    assert (len(body), max(len(s.text) for s in body)) == (20, 100)
    assert len({s.id for s in body}) == 20


def test_max_chars_parameter_and_config(tmp_path):
    md = "# A\n\n一二三四五，六七八九十，一二三四五。\n"
    plan = _plan(tmp_path, {"01.md": md}, max_chars=12)
    assert [s.text for s in plan.chapters[0].sentences[1:]] == ["一二三四五，六七八九十，", "一二三四五。"]
    plan = _plan(tmp_path / "c", {"01.md": md}, ZH_TOML + "\n[manuscript]\nmax_chars = 6\n", max_chars=12)
    assert [s.text for s in plan.chapters[0].sentences[1:]] == [
        "一二三四五，",
        "六七八九十，",
        "一二三四五。",
    ]


def test_spoken_expansion_triggers_resplit(tmp_path):
    plan = _plan(tmp_path, {"01.md": "# A\n\n12345678，12345678，12345678。\n"}, max_chars=30)
    body = plan.chapters[0].sentences[1:]
    assert "".join(s.text for s in body) == "12345678，12345678，12345678。"
    assert max(len(s.spoken) for s in body) <= 30


def test_plan_json_and_hash(tmp_path):
    plan = _plan(tmp_path, {"01.md": CH, "02.md": "# 第二章\n\n好。\n"})
    data = json.loads(plan_to_json(plan))
    assert "第一章" in plan_to_json(plan)
    assert [c["index"] for c in data["chapters"]] == [1, 2]
    assert data["plan_hash"] == plan.plan_hash and len(plan.plan_hash) == 64
    assert [c["index"] for c in json.loads(plan_to_json(plan, chapters={2}))["chapters"]] == [2]
    again = build_plan(load_project(tmp_path), pronouncer=STUB)
    assert again.plan_hash == plan.plan_hash
    (tmp_path / "manuscript" / "02.md").write_text("# 第二章\n\n不好。\n", encoding="utf-8")
    assert build_plan(load_project(tmp_path), pronouncer=STUB).plan_hash != plan.plan_hash


def test_spoken_resplit_across_manuscript_lines(tmp_path):
    plan = _plan(tmp_path, {"01.md": "# A\n\n12345678，12345678，\n12345678，12345678。\n"}, max_chars=40)
    body = plan.chapters[0].sentences[1:]
    assert "".join(s.text for s in body) == "12345678，12345678，12345678，12345678。"
    assert [(s.source, len(s.spoken)) for s in body] == [
        ("manuscript/01.md:3", 32),
        ("manuscript/01.md:4", 32),
    ]


def test_manuscript_without_text_is_an_error(tmp_path):
    make_project(tmp_path, {"01.md": "<!-- nothing yet -->\n\n", "02.txt": "[[voice:alice]]\n"})
    with pytest.raises(ManuscriptError, match="holds no text"):
        build_plan(load_project(tmp_path), pronouncer=STUB)
