"""Pronouncer (lexicon precedence, tokens, aliases) and the `lector pronounce` command."""

from __future__ import annotations

import io
from pathlib import Path

from lector.cli import main
from lector.core.model import Token
from lector.core.pronounce import Pronouncer
from lector.core.text.lexicon import load_tsv


def project(tmp_path: Path, tsv: str = "", pls: str = "") -> Path:
    if tsv:
        (tmp_path / "lexicon.tsv").write_text(tsv, encoding="utf-8")
    if pls:
        (tmp_path / "lexicon.pls").write_text(pls, encoding="utf-8")
    return tmp_path


def test_zh_tokens_one_per_character_with_origins():
    tokens = Pronouncer.for_project(None).tokens("去银行。", "zh")
    assert tokens == (
        Token("去", "qu4", "g2p"),
        Token("银", "yin2", "lexicon:lexicons/zh.tsv:6"),
        Token("行", "hang2", "lexicon:lexicons/zh.tsv:6"),
        Token("。", "", "g2p"),
    )


def test_en_tokens_words_and_punctuation():
    tokens = Pronouncer().tokens("Hello, world!", "en")
    assert tokens == (
        Token("Hello", "həlˈoʊ", "g2p"),
        Token(",", "", "g2p"),
        Token("world", "wˈɜːld", "g2p"),
        Token("!", "", "g2p"),
    )


def test_project_lexicon_beats_base(tmp_path):
    root = project(tmp_path, tsv="重庆\tzhong4 qing4\nLector\tlˈɛktɚ\n")
    p = Pronouncer.for_project(root)
    assert p.pronunciation("重庆", "zh") == "zhong4 qing4"
    assert p.tokens("重庆", "zh")[0].origin == "lexicon:lexicon.tsv:1"
    assert p.pronunciation("Lector", "en") == "lˈɛktɚ"
    assert Pronouncer.for_project(None).pronunciation("重庆 Lector", "zh") == "chong2 qing4"
    assert Pronouncer.for_project(None).pronunciation("Lector", "en") == "lˈɛktɔːɹ"


def test_context_entry_beats_plain_entry(tmp_path):
    lex = load_tsv(project(tmp_path, tsv="曾\tceng2\n曾\tzeng1\t曾小明\n") / "lexicon.tsv")
    p = Pronouncer(lex)
    assert p.pronunciation("曾小明曾经来过", "zh") == "zeng1 xiao3 ming2 ceng2 jing1 lai2 guo4"


def test_project_pls_then_tsv_alias_and_case_insensitive_words(tmp_path):
    pls = (
        '<?xml version="1.0"?>\n<lexicon version="1.0" '
        'xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa">\n'
        "<lexeme><grapheme>Zorg</grapheme><phoneme>zˈɔːɹɡ</phoneme></lexeme>\n"
        "<lexeme><grapheme>w/</grapheme><alias>with</alias></lexeme>\n</lexicon>\n"
    )
    root = project(tmp_path, pls=pls, tsv="zorg\tzˈɔːɹk\n")
    p = Pronouncer.for_project(root)
    assert p.substitute("tea w/ ZORG, e.g. now", "en") == "tea with ZORG, for example now"
    assert p.substitute("shower w/o", "en") == "shower w/o"
    assert p.pronunciation("ZORG", "en") == "zˈɔːɹk"


def test_sandhi_option():
    assert Pronouncer(sandhi=True).pronunciation("你好，一个不是。", "zh") == "ni2 hao3 yi2 ge4 bu2 shi4"


def run_cli(monkeypatch, capsys, argv: list[str], stdin: str) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(argv)
    return rc, capsys.readouterr().out


def test_cli_pronounce_zh(monkeypatch, capsys):
    rc, out = run_cli(
        monkeypatch, capsys, ["pronounce", "--lang", "zh"], "我去银行取钱。\n2024年他长大了！\n\nOK\n"
    )
    assert rc == 0
    # numbers are normalised and English read by rules (they used to be dropped)
    assert out == "wo3 qu4 yin2 hang2 qu3 qian2\ner4 ling2 er4 si4 nian2 ta1 zhang3 da4 le5\n\nou1 kei4\n"


def test_cli_pronounce_zh_text_argument(monkeypatch, capsys):
    rc, out = run_cli(monkeypatch, capsys, ["pronounce", "--lang", "zh", "他用iPhone 15看GDP，比分3:2。"], "")
    assert (rc, out) == (0, "ta1 yong4 ai4 feng1 shi2 wu3 kan4 ji4 di4 pi1 bi3 fen1 san1 bi3 er4\n")


def test_cli_pronounce_en(monkeypatch, capsys):
    rc, out = run_cli(
        monkeypatch, capsys, ["pronounce", "--lang", "en"], "Hello, world!\nDr. Lector reads.\n"
    )
    assert rc == 0
    assert out == "həlˈoʊ wˈɜːld\ndˈɑːktɚ lˈɛktɔːɹ ɹˈiːdz\n"


def test_cli_pronounce_uses_project_lexicon(monkeypatch, capsys, tmp_path):
    root = project(tmp_path, tsv="行\txing2\t银行\n")
    rc, out = run_cli(monkeypatch, capsys, ["pronounce", "--lang", "zh", "--project", str(root)], "银行\n")
    assert (rc, out) == (0, "yin2 xing2\n")


def test_cli_bad_project_lexicon_exits_2(monkeypatch, capsys, tmp_path):
    root = project(tmp_path, tsv="行\thang7\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("银行\n"))
    assert main(["pronounce", "--lang", "zh", "--project", str(root)]) == 2
    assert "lexicon.tsv:1: tone '7'" in capsys.readouterr().err


def test_cli_missing_project_folder_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("sys.stdin", io.StringIO("好\n"))
    assert main(["pronounce", "--lang", "zh", "--project", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
