"""SSML 1.1 and PLS 1.0 features on spec-style fixtures (tests/data/ssml, tests/data/pls):
w/token text, lexicon + lookup, w role, xml:lang + onlangfailure, say-as, audio fallback,
phoneme validation at plan time; PLS prefer, several graphemes, alias, role, look-alike IPA."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lector.core.errors import ManuscriptError
from lector.core.model import PlanWarning, Token
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.core.text.ipa import xsampa_to_ipa
from lector.core.text.lexicon import load_pls
from tests.test_project import StubPronouncer

DATA = Path(__file__).parent / "data"
EN = """[book]
title = "T"
language = "en"
narrator = "narrator"

[voices.narrator]
engine = "piper-en"
voice = "joe"
lang = "en"
"""
# piper-en reads English only, so text in another language needs a voice of its own (espeak-draft
# reads every language it has a voice for: there an xml:lang="it" run is spoken by its Italian voice)


def _plan(tmp_path, fixture: str, toml: str = EN):
    (tmp_path / "manuscript").mkdir()
    shutil.copy(DATA / "ssml" / fixture, tmp_path / "manuscript" / fixture)
    shutil.copytree(DATA / "pls", tmp_path / "pls")
    (tmp_path / "project.toml").write_text(toml, encoding="utf-8")
    return build_plan(load_project(tmp_path), pronouncer=StubPronouncer())


def _sentences(plan):
    return [s for c in plan.chapters for s in c.sentences]


def test_pls_prefer_graphemes_alias_xsampa():
    lex = load_pls(DATA / "pls" / "spec_prefer.pls")
    assert [(e.grapheme, e.pron, e.alias, e.source) for e in lex.entries] == [
        ("tomato", "təˈmɑːtoʊ", "", "spec_prefer.pls:6"),
        ("Sepulveda", "səˈpʌlvɪdə", "", "spec_prefer.pls:11"),
        ("Sepulvida", "səˈpʌlvɪdə", "", "spec_prefer.pls:11"),
        ("W3C", "", "World Wide Web Consortium", "spec_prefer.pls:16"),
        ("judgment", "ˈdʒʌdʒmənt", "", "spec_prefer.pls:20"),
        ("nth", "ɛnθ", "", "spec_prefer.pls:25"),
    ]


def test_pls_role_picks_the_lexeme_and_the_first_applies_without_a_role():
    lex = load_pls(DATA / "pls" / "spec_role.pls")
    assert [e.role for e in lex.entries] == ["claws:VVI claws:VV0 claws:NN1", "claws:VVN claws:VVD"]
    assert lex.en_lookup("read").pron == "ɹˈiːd"
    assert lex.en_lookup("read", "claws:VVD").pron == "ɹˈɛd"
    assert lex.lookup("Read", "claws:VVN").pron == "ɹˈɛd"


def test_pls_ipa_lookalikes_are_repaired_with_a_warning_naming_the_line(caplog):
    lex = load_pls(DATA / "pls" / "lookalikes.pls")
    assert [(e.grapheme, e.pron) for e in lex.entries] == [
        ("Gloucester", "ˈɡlɒstə"),
        ("Magdalen", "ˈmɔːdlɪn"),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "lexicon: IPA look-alikes in \"'glɒstə\" of 'Gloucester' read as IPA: \"'\" -> 'ˈ', 'g' -> 'ɡ' "
        "(write 'ˈɡlɒstə') (lookalikes.pls:5)",
        "lexicon: IPA look-alikes in \"'mɔ:dlɪn\" of 'Magdalen' read as IPA: \"'\" -> 'ˈ', ':' -> 'ː' "
        "(write 'ˈmɔːdlɪn') (lookalikes.pls:9)",
    ]


def test_xsampa_to_ipa():
    assert xsampa_to_ipa('t@"mA:toU') == "təˈmɑːtoʊ"
    assert xsampa_to_ipa("%bEt@`") == "ˌbɛtɚ"
    with pytest.raises(ValueError, match="unknown X-SAMPA symbol '!'"):
        xsampa_to_ipa("a!")


def test_w_token_lexicon_lookup_and_role(tmp_path):
    sentences = _sentences(_plan(tmp_path, "lexicon_lookup_w_token.ssml"))
    assert [(s.text, s.spoken) for s in sentences] == [
        ("The W3C grows a tomato.", "The World Wide Web Consortium grows a tomato."),
        ("I will read what you have read.", "I will read what you have read."),
        ("Outside a lookup the W3C is just letters.", "Outside a lookup the W3C is just letters."),
    ]
    lexicon_tokens = [
        t for s in sentences for span in s.spans for t in span.tokens if t.origin.startswith("lexicon")
    ]
    assert lexicon_tokens == [
        Token("tomato", "təˈmɑːtoʊ", "lexicon:spec_prefer.pls:6"),
        Token("read", "ɹˈiːd", "lexicon:spec_role.pls:7"),
        Token("read", "ɹˈɛd", "lexicon:spec_role.pls:11"),
    ]


def test_say_as_interpret_as_values(tmp_path):
    assert [s.spoken for s in _sentences(_plan(tmp_path, "say_as.ssml"))] == [
        "Spell U S A.",
        "You have one thousand two hundred and thirty-four points.",
        "You came third.",
        "Born on October twelfth, nineteen sixty.",
        "Meet at ten thirty.",
        "Call five five five, zero one two three.",
    ]


def test_audio_fallback_is_spoken_with_a_warning(tmp_path):
    plan = _plan(tmp_path, "audio_fallback.ssml")
    assert [s.spoken for s in _sentences(plan)] == [
        "Welcome to the show.",
        "Before the chime.",
        "After the chime.",
    ]
    src = "manuscript/audio_fallback.ssml"
    assert plan.warnings == (
        PlanWarning(
            "audio",
            "<audio src='welcome.wav'> is not played: its fallback text 'Welcome to the show.' is spoken",
            f"{src}:4",
        ),
        PlanWarning(
            "audio",
            "<audio src='chime.wav'> is not played: it has no fallback text, nothing is spoken",
            f"{src}:5",
        ),
    )


def test_phoneme_ipa_xsampa_and_lookalikes(tmp_path):
    plan = _plan(tmp_path, "phoneme.ssml")
    ssml = [t for s in _sentences(plan) for span in s.spans for t in span.tokens if t.origin == "ssml"]
    assert ssml == [
        Token("tomato", "təˈmeɪtoʊ", "ssml"),
        Token("tomato", "təˈmɑːtoʊ", "ssml"),
        Token("tomato", "təˈmɑːtoʊ", "ssml"),
    ]
    assert [(w.kind, w.source) for w in plan.warnings] == [("phoneme", "manuscript/phoneme.ssml:6")]


def test_bad_phoneme_is_a_plan_error_with_file_and_line(tmp_path):
    with pytest.raises(ManuscriptError) as info:
        _plan(tmp_path, "phoneme_bad.ssml")
    assert (info.value.file, info.value.line) == ("manuscript/phoneme_bad.ssml", 4)
    assert (
        info.value.message
        == "<phoneme ph='tə→meɪtoʊ'> for 'tomato': symbol(s) '→' are not IPA the voice can speak"
    )


def test_xml_lang_without_a_voice_is_an_error_and_onlangfailure_is_honoured(tmp_path):
    with pytest.raises(ManuscriptError) as info:
        _plan(tmp_path, "lang_onlangfailure.ssml")
    assert (info.value.file, info.value.line) == ("manuscript/lang_onlangfailure.ssml", 4)
    assert info.value.message == (
        "'gatto' is marked xml:lang='it': no cast voice reads language 'it' (the cast speaks en)"
    )
    assert 'onlangfailure="ignorelang"' in info.value.fix


def test_onlangfailure_with_an_italian_voice_and_skip(tmp_path):
    toml = EN + '\n[voices.italiano]\nengine = "espeak-draft"\nvoice = "it"\nlang = "it"\n'
    plan = _plan(tmp_path, "lang_onlangfailure.ssml", toml)
    assert [(s.text, s.spoken, s.voice, s.lang) for s in _sentences(plan)] == [
        ("The Italian word for cat is", "The Italian word for cat is", "narrator", "en"),
        ("gatto.", "gatto.", "italiano", "it"),
        ("Ciao.", "Ciao.", "italiano", "it"),
        ("Hello again.", "Hello again.", "narrator", "en"),
        ("Bonjour. Good day.", "Good day.", "narrator", "en"),
    ]
    assert [w.kind for w in plan.warnings] == ["joined", "skipped", "joined", "voices"]
    assert (
        plan.warnings[-1].message
        == "2 sentence(s) in 'it' read by 'italiano', the cast voice of that language"
    )


def test_unreadable_skip_and_ignorelang_without_a_voice(tmp_path):
    plan = _plan(tmp_path, "lang_onlangfailure.ssml", EN + '\n[manuscript]\nunreadable = "skip"\n')
    assert [(s.text, s.spoken, s.lang) for s in _sentences(plan)] == [
        ("The Italian word for cat is gatto.", "The Italian word for cat is .", "en"),
        ("Ciao.", "Ciao.", "en"),
        ("Hello again.", "Hello again.", "en"),
        ("Bonjour. Good day.", "Good day.", "en"),
    ]
    assert [(w.kind, w.message) for w in plan.warnings] == [
        ("skipped", "left out 'gatto': no cast voice reads language 'it'"),
        ("lang", "'Ciao.' is marked 'it', which no cast voice speaks: read as 'en'"),
        ("skipped", "'Bonjour.' (fr) left out: onlangfailure=\"ignoretext\" and no cast voice speaks it"),
        ("joined", "'Bonjour.' has nothing to speak: joined to the sentence after"),
    ]


def test_voice_by_languages_and_a_voice_without_a_name(tmp_path):
    from lector.core.errors import TagError

    head = (
        '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
        'xml:lang="en-US">\n'
    )
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "01.ssml").write_text(
        head + '<p>Hello. <voice languages="it-IT">Buongiorno a tutti.</voice></p>\n</speak>\n',
        encoding="utf-8",
    )
    (tmp_path / "project.toml").write_text(
        EN + '\n[voices.italiano]\nengine = "espeak-draft"\nvoice = "it"\nlang = "it"\n', encoding="utf-8"
    )
    plan = build_plan(load_project(tmp_path), pronouncer=StubPronouncer())
    assert [(s.text, s.voice) for s in _sentences(plan)] == [
        ("Hello.", "narrator"),
        ("Buongiorno a tutti.", "italiano"),
    ]
    (tmp_path / "manuscript" / "01.ssml").write_text(
        head + '<p><voice gender="female">Hi.</voice></p>\n</speak>\n', encoding="utf-8"
    )
    with pytest.raises(TagError) as info:
        build_plan(load_project(tmp_path), pronouncer=StubPronouncer())
    assert (info.value.file, info.value.line) == ("manuscript/01.ssml", 3)


@pytest.mark.parametrize(
    "body, message",
    [
        (
            '<phoneme alphabet="x-pinyin" ph="xang2">行</phoneme>',
            "<phoneme ph='xang2'> for '行': unknown pinyin syllable 'xang' in entry '行'",
        ),
        (
            '<phoneme alphabet="x-pinyin" ph="hang7">行</phoneme>',
            "<phoneme ph='hang7'> for '行': tone '7' of syllable 'hang' in entry '行' is not 1-5",
        ),
        (
            '<phoneme alphabet="sapi" ph="h qq 1">hello</phoneme>',
            "<phoneme alphabet=\"sapi\" ph='h qq 1'>: unknown SAPI phone 'qq'",
        ),
        (
            '<phoneme alphabet="x-sampa" ph="t@!">tomato</phoneme>',
            "<phoneme> for 'tomato': unknown X-SAMPA symbol '!' at position 3 of 't@!'",
        ),
    ],
)
def test_bad_phonemes_are_plan_errors_with_file_and_line(tmp_path, body, message):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "01.ssml").write_text(
        '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis">\n'
        f"<p>{body}</p>\n</speak>\n",
        encoding="utf-8",
    )
    (tmp_path / "project.toml").write_text(EN, encoding="utf-8")
    with pytest.raises(ManuscriptError) as info:
        build_plan(load_project(tmp_path), pronouncer=StubPronouncer())
    assert (info.value.file, info.value.line, info.value.message) == ("manuscript/01.ssml", 3, message)
