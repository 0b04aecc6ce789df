"""Plan-time text checks: unspeakable lines become pauses or join a neighbour, unreadable scripts
and languages are errors (or skipped with warnings), other-language sentences go to a voice of that
language, Markdown front matter is not spoken."""

from __future__ import annotations

import pytest

from lector.core.errors import ManuscriptError
from lector.core.model import PlanWarning
from lector.core.plan_text import char_script, speakable
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.epub_kit import EN_TOML
from tests.test_project import StubPronouncer, make_project

EN = EN_TOML
IT_VOICE = '\n[voices.italiano]\nengine = "espeak-draft"\nvoice = "it"\nlang = "it"\n'
SKIP = '\n[manuscript]\nunreadable = "skip"\n'
SRC = "manuscript/01.md"


def _plan(tmp_path, text: str, toml: str = EN, name: str = "01.md"):
    make_project(tmp_path, {name: text}, toml)
    return build_plan(load_project(tmp_path), pronouncer=StubPronouncer())


def _rows(plan):
    return [(s.text, s.spoken, s.voice, s.pause_after_ms) for c in plan.chapters for s in c.sentences]


def test_speakable_and_scripts():
    assert [speakable(t) for t in ("—", "* * *", "…", "’", "\u2060—", "⁂", "a", "7", "行")] == [
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert [char_script(c) for c in "aéД행あア行µ-"] == [
        "LATIN",
        "LATIN",
        "CYRILLIC",
        "HANGUL",
        "HIRAGANA",
        "KATAKANA",
        "HAN",
        None,
        None,
    ]


def test_unspeakable_lines_become_pauses_or_join_a_neighbour(tmp_path):
    text = (
        "# One\n\nIt rained.\n\n* * *\n\n“Stop!” he said. ’\n\n—\n\n… Then it stopped.\n\n"
        "⁂\n\nThe end. …\n\n---\n"
    )
    plan = _plan(tmp_path, text)
    assert _rows(plan) == [
        ("One", "One", "narrator", 1200),
        ("It rained.", "It rained.", "narrator", 2000),
        ("“Stop!” he said.’", "“Stop!” he said.’", "narrator", 2000),
        ("… Then it stopped.", "… Then it stopped.", "narrator", 2000),
        ("The end. …", "The end. …", "narrator", 2000),
    ]
    assert plan.warnings == (
        PlanWarning("pause", "'* * *' has nothing to speak: a 2000 ms pause", f"{SRC}:5"),
        PlanWarning("joined", "'’' has nothing to speak: joined to the sentence before", f"{SRC}:7"),
        PlanWarning("pause", "'—' has nothing to speak: a 2000 ms pause", f"{SRC}:9"),
        PlanWarning("pause", "'⁂' has nothing to speak: a 2000 ms pause", f"{SRC}:13"),
        PlanWarning("joined", "'…' has nothing to speak: joined to the sentence before", f"{SRC}:15"),
        PlanWarning("pause", "'---' has nothing to speak: a 2000 ms pause", f"{SRC}:17"),
    )


def test_scene_break_pause_is_configurable_and_a_leading_one_is_dropped(tmp_path):
    toml = EN + "\n[pauses]\nscene_break_ms = 3000\n"
    plan = _plan(tmp_path, "* * *\n\nFirst.\n\n* * *\n\nSecond.\n", toml)
    assert _rows(plan) == [("First.", "First.", "narrator", 3000), ("Second.", "Second.", "narrator", 900)]
    assert [w.kind for w in plan.warnings] == ["dropped", "pause"]


@pytest.mark.parametrize(
    "text, chars, script",
    [
        ("He said ありがとう and left.", "ありがとう", "hiragana"),
        ("Then Привет, мир.", "Приветм", "cyrillic"),
        ("The sign read 안녕.", "안녕", "hangul"),
        ("She wrote سلام there.", "سلام", "arabic"),
    ],
)
def test_unreadable_script_is_a_plan_error_naming_file_line_and_characters(tmp_path, text, chars, script):
    with pytest.raises(ManuscriptError) as info:
        _plan(tmp_path, f"# One\n\nFine.\n\n{text}\n")
    err = info.value
    assert (err.file, err.line) == (SRC, 5)
    assert err.message == f"{chars!r} in {text!r}: no cast voice reads {script} script (the cast speaks en)"
    assert 'unreadable = "skip"' in err.fix and "add a voice of that language" in err.fix


def test_unreadable_skip_leaves_it_out_with_warnings(tmp_path):
    plan = _plan(tmp_path, "He said ありがとう and left.\n\nThen Привет, мир.\n\nカタカナ\n", EN + SKIP)
    assert _rows(plan) == [
        ("He said ありがとう and left.", "He said and left.", "narrator", 900),
        ("Then Привет, мир.", "Then,.", "narrator", 900),
    ]
    assert [(w.kind, w.message) for w in plan.warnings] == [
        ("skipped", "left out 'ありがとう': no cast voice reads hiragana script"),
        ("skipped", "left out 'Привет', 'мир': no cast voice reads cyrillic script"),
        ("skipped", "left out 'カタカナ': no cast voice reads katakana script"),
        ("pause", "'カタカナ' has nothing to speak: a 900 ms pause"),
    ]


def test_han_is_unreadable_without_a_chinese_voice_but_latin_is_read_by_every_voice(tmp_path):
    unread = r"'银行' in 'The 银行 opened\.': no cast voice reads han script"
    with pytest.raises(ManuscriptError, match=unread):
        _plan(tmp_path, "The 银行 opened.\n")
    zh = EN.replace('language = "en"', 'language = "zh"').replace(
        'engine = "espeak-draft"\nvoice = "en-us"\nlang = "en"',
        'engine = "espeak-draft"\nvoice = "cmn"\nlang = "zh"',
    )
    assert [r[0] for r in _rows(_plan(tmp_path, "我在 Apple 工作。\n", zh))] == ["我在 Apple 工作。"]


def test_front_matter_is_not_spoken_and_names_the_chapter(tmp_path):
    plan = _plan(tmp_path, "---\ntitle: The Storm\nauthor: Jane Doe\n---\n\nIt rained.\n")
    assert [c.title for c in plan.chapters] == ["The Storm"]
    assert _rows(plan) == [("It rained.", "It rained.", "narrator", 900)]
    assert plan.warnings == (
        PlanWarning("front-matter", "YAML front matter (title, author) is not spoken", f"{SRC}:1"),
    )


def test_bad_front_matter_names_the_line(tmp_path):
    with pytest.raises(ManuscriptError) as info:
        _plan(tmp_path, "---\ntitle: [unclosed\n---\n\nText.\n")
    assert info.value.file == SRC and info.value.line == 2


def test_other_language_sentence_goes_to_a_voice_of_that_language(tmp_path):
    ssml = (
        '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
        'xml:lang="en-US">\n<p>The word is <lang xml:lang="it">gatto</lang>. '
        '<s xml:lang="it">Ciao a tutti.</s>'
        " <s>Back home.</s></p>\n</speak>\n"
    )
    plan = _plan(tmp_path, ssml, EN + IT_VOICE, name="01.ssml")
    sentences = plan.chapters[0].sentences
    assert [(s.text, s.voice, s.lang) for s in sentences] == [
        ("The word is", "narrator", "en"),
        ("gatto.", "italiano", "it"),
        ("Ciao a tutti.", "italiano", "it"),
        ("Back home.", "narrator", "en"),
    ]


def test_a_run_in_another_language_goes_to_a_voice_of_that_language(tmp_path):
    toml = (
        EN.replace('engine = "espeak-draft"\nvoice = "en-us"', 'engine = "piper-en"\nvoice = "joe"')
        + '\n[voices.mandarin]\nengine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\n'
        # "voice" keeps such sentences whole and mixes the voices at render (test_mixed_render.py)
        + '\n[manuscript]\nmixed_english = "rules"\n'
    )
    plan = _plan(tmp_path, "The 银行 opened today. All fine.\n\n我在 Apple 公司工作。\n", toml)
    assert [(s.text, s.voice, s.lang, s.pause_after_ms) for s in plan.chapters[0].sentences] == [
        ("The", "narrator", "en", 120),
        ("银行", "mandarin", "zh", 120),
        ("opened today.", "narrator", "en", 450),
        ("All fine.", "narrator", "en", 900),
        ("我在 Apple 公司工作。", "mandarin", "zh", 900),
    ]  # fastspeech2-zh reads English inside Chinese
    assert plan.warnings == (
        PlanWarning(
            "voices",
            "'The 银行 opened today.' is read by narrator, mandarin (each part by a voice of its language)",
            f"{SRC}:1",
        ),
        PlanWarning(
            "voices", "1 sentence(s) in 'zh' read by 'mandarin', the cast voice of that language", SRC
        ),
    )


def test_marked_language_that_the_voice_engine_reads_needs_no_voice_of_its_own(tmp_path):
    zh = (
        '[book]\ntitle = "T"\nlanguage = "zh"\nnarrator = "narrator"\n\n[voices.narrator]\n'
        'engine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\n'
    )
    ssml = (
        '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
        'xml:lang="zh-CN">\n<p>我在<lang xml:lang="en-US">Apple</lang>工作。</p>\n</speak>\n'
    )
    plan = _plan(tmp_path, ssml, zh, name="01.ssml")
    s = plan.chapters[0].sentences[0]
    # no English voice: mixed_english "auto" = "rules", the Chinese voice reads it (zh_mixed.WORDS)
    assert (s.text, s.voice, [sp.lang for sp in s.spans]) == (
        "我在Apple工作。",
        "narrator",
        ["zh", "zh", "zh"],
    )
    assert s.spans[1].tokens[0].pron == "ai1 po5"
    assert plan.warnings == ()
    # espeak-draft has an Italian voice: an xml:lang="it" run is spoken by it, no error
    it = (
        ssml.replace('xml:lang="zh-CN"', 'xml:lang="en-US"')
        .replace("我在", "I work at ")
        .replace('"en-US">Apple', '"it">Olivetti')
        .replace("工作。", " today.")
    )
    assert [x.text for x in _plan(tmp_path, it, EN, name="01.ssml").chapters[0].sentences] == [
        "I work at Olivetti today."
    ]
