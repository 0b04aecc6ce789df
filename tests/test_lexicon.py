"""PLS and TSV lexicons: parsing, validation errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lector.core.errors import LexiconError
from lector.core.text.lexicon import load_base_lexicon, load_pls, load_tsv

NS = "http://www.w3.org/2005/01/pronunciation-lexicon"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def pls(body: str, alphabet: str = "ipa") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<lexicon version="1.0" xmlns="{NS}" '
        f'alphabet="{alphabet}" xml:lang="en-US">\n{body}\n</lexicon>\n'
    )


def test_pls_ipa_xpinyin_sapi_and_alias(tmp_path):
    body = (
        "<lexeme><grapheme>Lector</grapheme><grapheme>lector</grapheme><phoneme>lˈɛktɔːɹ</phoneme></lexeme>\n"
        '<lexeme><grapheme>银行</grapheme><phoneme alphabet="x-pinyin">yín háng</phoneme></lexeme>\n'
        '<lexeme><grapheme>重庆</grapheme><phoneme alphabet="sapi">chong 2 qing 4</phoneme></lexeme>\n'
        "<lexeme><grapheme>e.g.</grapheme><alias>for example</alias></lexeme>"
    )
    lex = load_pls(write(tmp_path, "x.pls", pls(body)))
    got = [(e.grapheme, e.pron, e.lang, e.alias, e.source) for e in lex.entries]
    assert got == [
        ("Lector", "lˈɛktɔːɹ", "en", "", "x.pls:3"),
        ("lector", "lˈɛktɔːɹ", "en", "", "x.pls:3"),
        ("银行", "yin2 hang2", "zh", "", "x.pls:4"),
        ("重庆", "chong2 qing4", "zh", "", "x.pls:5"),
        ("e.g.", "", "en", "for example", "x.pls:6"),
    ]
    assert lex.en_lookup("LECTOR").pron == "lˈɛktɔːɹ"


def test_pls_lexicon_level_sapi_alphabet(tmp_path):
    lex = load_pls(
        write(
            tmp_path,
            "z.pls",
            pls("<lexeme><grapheme>行</grapheme><phoneme>hang2</phoneme></lexeme>", alphabet="sapi"),
        )
    )
    assert [(e.grapheme, e.pron) for e in lex.entries] == [("行", "hang2")]


def test_tsv_plain_context_comments_and_english(tmp_path):
    text = "# comment\n\n银行\tyin2 hang2\n行\thang2\t银行\nLector\tlˈɛktɔːɹ\n绿\tlü4\n"
    lex = load_tsv(write(tmp_path, "lexicon.tsv", text))
    got = [(e.grapheme, e.pron, e.context, e.lang, e.source) for e in lex.entries]
    assert got == [
        ("银行", "yin2 hang2", "", "zh", "lexicon.tsv:3"),
        ("行", "hang2", "银行", "zh", "lexicon.tsv:4"),
        ("Lector", "lˈɛktɔːɹ", "", "en", "lexicon.tsv:5"),
        ("绿", "lv4", "", "zh", "lexicon.tsv:6"),
    ]


@pytest.mark.parametrize(
    "line, message",
    [
        ("行\txang2", "unknown pinyin syllable 'xang'"),
        ("行\thang6", "tone '6' of syllable 'hang' in entry '行' is not 1-5"),
        ("行\thang", "has no tone number"),
        ("银行\tyin2", "'银行' has 2 Han characters but 1 pinyin syllables"),
        ("Lector\tlɛk→tɔr", "unknown IPA symbol(s) '→'"),
        ("行\thang2\t银子", "context '银子' does not contain '行'"),
        ("just-one-column", "expected 2 or 3 tab-separated columns"),
    ],
)
def test_tsv_bad_entries_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path, "lexicon.tsv", "# header\n好\thao3\n" + line + "\n")
    with pytest.raises(LexiconError) as info:
        load_tsv(path)
    assert info.value.file == "lexicon.tsv"
    assert info.value.line == 3
    assert message in info.value.message
    assert info.value.fix


def test_pls_bad_pinyin_names_lexeme_line(tmp_path):
    body = (
        '<lexeme><grapheme>好</grapheme><phoneme alphabet="x-pinyin">hao3</phoneme></lexeme>\n'
        '<lexeme>\n  <grapheme>行</grapheme>\n  <phoneme alphabet="x-pinyin">hang9</phoneme>\n</lexeme>'
    )
    with pytest.raises(LexiconError) as info:
        load_pls(write(tmp_path, "lexicon.pls", pls(body)))
    assert (info.value.file, info.value.line) == ("lexicon.pls", 4)
    assert "tone '9'" in info.value.message


def test_pls_unknown_ipa_symbol(tmp_path):
    body = "<lexeme><grapheme>Lector</grapheme><phoneme>lektor#</phoneme></lexeme>"
    with pytest.raises(LexiconError) as info:
        load_pls(write(tmp_path, "lexicon.pls", pls(body)))
    assert (info.value.file, info.value.line) == ("lexicon.pls", 3)
    assert "unknown IPA symbol(s) '#'" in info.value.message


def test_pls_malformed_xml_names_file_and_line(tmp_path):
    text = pls("<lexeme><grapheme>a</grapheme><phoneme>ə</phoneme>\n<lexeme>")
    with pytest.raises(LexiconError) as info:
        load_pls(write(tmp_path, "broken.pls", text))
    assert info.value.file == "broken.pls"
    assert info.value.line == 5
    assert "malformed PLS XML" in info.value.message
    assert str(info.value).startswith("broken.pls:5: malformed PLS XML")


def test_shared_base_lexicons_load_and_are_valid():
    lex = load_base_lexicon()
    zh = {(e.grapheme, e.context): e.pron for e in lex.entries if e.lang == "zh"}
    assert zh[("重庆", "")] == "chong2 qing4"
    assert zh[("单", "单田芳")] == "shan4"
    assert lex.en_lookup("lector").source == "lexicons/en.pls:8"
    assert len(lex.entries) >= 60


def test_env_override_of_base_directory(tmp_path, monkeypatch):
    write(tmp_path, "only.tsv", "行\thang2\n")
    monkeypatch.setenv("LECTOR_LEXICONS", str(tmp_path))
    lex = load_base_lexicon()
    assert [(e.grapheme, e.pron, e.source) for e in lex.entries] == [("行", "hang2", "lexicons/only.tsv:1")]
