"""One front end for `lector say` and `lector plan`: a text spoken on its own is planned as the same
paragraph of the book is (lector.core.speak.plan_speech over planner.plan_text)."""

from __future__ import annotations

import pytest
import soundfile as sf

from lector.cli import main
from lector.core.errors import ManuscriptError
from lector.core.model import Token
from lector.core.planner import build_plan
from lector.core.project import VoiceSpec, load_project
from lector.core.speak import one_voice_project, plan_speech
from tests.test_project import make_project

EN = """[book]
title = "T"
language = "en"

[voices.narrator]
engine = "piper-en"
lang = "en"
"""
TEXT = "Dr. Smith paid $5 on Jan. 3. Then he left!"


def _spans(sentences):
    return [[(sp.text, sp.spoken, sp.lang, sp.tokens) for sp in s.spans] for s in sentences]


def test_say_plans_a_text_as_the_book_plans_the_same_paragraph(tmp_path):
    root = make_project(tmp_path / "book", {"01.md": f"# One\n\n{TEXT}\n"}, EN)
    (root / "lexicon.tsv").write_text("Smith\tsmˈaɪθ\n", encoding="utf-8")
    project = load_project(root)
    in_book = build_plan(project).chapters[0].sentences[1:]  # after the heading
    said, warnings = plan_speech(TEXT, project.config.voices["narrator"], project)
    assert _spans(said) == _spans(in_book)
    assert warnings == ()
    assert [(s.text, [sp.spoken for sp in s.spans]) for s in said] == [
        ("Dr. Smith paid $5 on Jan. 3.", ["Doctor Smith paid five dollars on January third."]),
        ("Then he left!", ["Then he left!"]),
    ]
    assert said[0].spans[0].tokens[:2] == (
        Token("Doctor", "dˈɑːktɚ", "g2p"),
        Token("Smith", "smˈaɪθ", "lexicon:lexicon.tsv:1"),
    )


def test_one_voice_reads_english_inside_chinese_by_the_planners_rules():
    said, warnings = plan_speech(
        "我们去银行取了100元，买了iPhone。", VoiceSpec(engine="fastspeech2-zh", lang="zh")
    )
    assert [(sp.text, sp.spoken, sp.lang) for sp in said[0].spans] == [
        ("我们去银行取了100元，买了", "我们去银行取了一百元，买了", "zh"),
        ("iPhone。", "iPhone。", "zh"),
    ]
    assert said[0].spans[1].tokens[0] == Token("iPhone", "ai4 feng1", "rules")
    assert (len(said), said[0].voice, warnings) == (1, "narrator", ())


def test_one_voice_project_keeps_the_base_rules_but_casts_only_the_voice(tmp_path):
    root = make_project(tmp_path / "book", {}, EN + "\n[manuscript]\nmax_chars = 20\n")
    base = load_project(root)
    spec = VoiceSpec(engine="espeak-draft", voice="de", lang="de")
    project = one_voice_project(spec, base)
    assert (project.root, project.config.book.language, project.config.book.narrator) == (
        root,
        "de",
        "narrator",
    )
    assert (project.config.voices, project.config.manuscript.max_chars) == ({"narrator": spec}, 20)
    said, _ = plan_speech("Das ist ein ziemlich langer Satz mit vielen Wörtern.", spec, base)
    assert [s.text for s in said] == ["Das ist ein", "ziemlich langer", "Satz mit vielen", "Wörtern."]


def test_text_the_one_voice_cannot_read_is_refused():
    with pytest.raises(ManuscriptError, match=r"no cast voice reads han script"):
        plan_speech("The 银行 opened.", VoiceSpec(engine="piper-en", lang="en"))


def test_say_cli_speaks_every_planned_sentence(tmp_path, capsys):
    out = tmp_path / "two.wav"
    assert main(["say", TEXT, "--lang", "en", "--engine", "espeak-draft", "--out", str(out)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("engine espeak-draft, 2 piece(s)")
    assert sf.info(str(out)).samplerate == 22050
