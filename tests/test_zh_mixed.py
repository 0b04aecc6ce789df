"""English inside Chinese read by rules (lector.core.text.zh_mixed) and [manuscript] mixed_english."""

import pytest

from lector.core.engines.zh_symbols import syllable_symbols
from lector.core.errors import ConfigError
from lector.core.model import Span, Token
from lector.core.project import load_project
from lector.core.text.zh_mixed import (
    LETTER_NAMES,
    WORDS,
    english_tokens,
    read_english_span,
    resolve_mode,
    spelled_words,
    zh_line_pronunciation,
)


def test_acronyms_words_and_numbers():
    assert [(t.text, t.pron) for t in english_tokens("iPhone 15 GDP")] == [
        ("iPhone", "ai4 feng1"),
        (" ", ""),
        ("15", "shi2 wu3"),
        (" ", ""),
        ("GDP", "ji4 di4 pi1"),
    ]
    assert english_tokens("PDF")[0].pron == "pi1 di4 ei2 fu5"
    assert english_tokens("AI")[0].pron == "ei1 ai4"


def test_every_syllable_is_speakable_by_the_chinese_engine():
    for pron in list(LETTER_NAMES.values()) + list(WORDS.values()):
        for syl in pron.split():
            assert syllable_symbols(syl)


def test_unknown_words_are_listed_not_hidden():
    assert spelled_words("hello world GDP AI") == ["world"]


def test_en_span_becomes_a_zh_span_with_pinyin_tokens():
    span = read_english_span(Span("GDP", "GDP", "en", (Token("GDP", "dʒiː", "g2p"),)))
    assert (span.lang, span.tokens) == ("zh", (Token("GDP", "ji4 di4 pi1", "rules"),))
    zh = Span("你好", "你好", "zh")
    assert read_english_span(zh) is zh


def test_resolve_mode():
    assert resolve_mode("auto", ["zh", "en-US"]) == "voice"
    assert resolve_mode("auto", ["zh"]) == "rules"
    assert resolve_mode("rules", ["zh", "en"]) == "rules"
    with pytest.raises(ValueError, match="'both'"):
        resolve_mode("both", [])


def test_line_pronunciation_normalises_and_reads_english():
    def zh(run):
        from lector.core.text.g2p_zh import pinyin

        return " ".join(p for p in pinyin(run) if p)

    assert zh_line_pronunciation("1907年用PDF", zh) == "yi1 jiu3 ling2 qi1 nian2 yong4 pi1 di4 ei2 fu5"


def _project(tmp_path, setting: str):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "01.md").write_text("# 一\n\n你好。\n", encoding="utf-8")
    (tmp_path / "project.toml").write_text(
        '[book]\ntitle = "T"\nlanguage = "zh"\n\n[voices.narrator]\nengine = "fastspeech2-zh"\n'
        f'\n[manuscript]\nmixed_english = "{setting}"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_project_setting(tmp_path):
    assert load_project(_project(tmp_path, "rules")).config.manuscript.mixed_english == "rules"


def test_project_setting_rejects_unknown_value(tmp_path):
    with pytest.raises(ConfigError, match="mixed_english"):
        load_project(_project(tmp_path, "sometimes"))
