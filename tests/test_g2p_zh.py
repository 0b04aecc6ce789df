"""Mandarin G2P: polyphones, neutral tones, 一/不 citation tones, sandhi, dev-set accuracy."""

from __future__ import annotations

from pathlib import Path

import pytest

from lector.core.text.g2p_zh import apply_sandhi, pinyin

SLICE = Path(__file__).parent / "data" / "cpp_dev_slice300.tsv"


def syllables(text: str) -> str:
    return " ".join(p for p in pinyin(text) if p)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我去银行取钱。", "wo3 qu4 yin2 hang2 qu3 qian2"),
        ("他在路上行走。", "ta1 zai4 lu4 shang4 xing2 zou3"),
        ("孩子长大了。", "hai2 zi5 zhang3 da4 le5"),
        ("这条路的长度是三米。", "zhe4 tiao2 lu4 de5 chang2 du4 shi4 san1 mi3"),
        ("我们重新开始。", "wo3 men5 chong2 xin1 kai1 shi3"),
        ("这件事很重要。", "zhe4 jian4 shi4 hen3 zhong4 yao4"),
        ("我想了解一下。", "wo3 xiang3 liao3 jie3 yi1 xia4"),
        ("好了，走吧。", "hao3 le5 zou3 ba5"),
        ("你还是去吧。", "ni3 hai2 shi4 qu4 ba5"),
        ("他要还钱。", "ta1 yao4 huan2 qian2"),
        ("我喜欢音乐。", "wo3 xi3 huan1 yin1 yue4"),
        ("祝你快乐。", "zhu4 ni3 kuai4 le4"),
        ("朝阳升起来了。", "zhao1 yang2 sheng1 qi3 lai2 le5"),
        ("那个朝代很长。", "na4 ge5 chao2 dai4 hen3 chang2"),
        ("他睡着了。", "ta1 shui4 zhao2 le5"),
        ("他看着我笑。", "ta1 kan4 zhe5 wo3 xiao4"),
        ("北京是首都。", "bei3 jing1 shi4 shou3 du1"),
        ("他只有一只猫。", "ta1 zhi3 you3 yi1 zhi1 mao1"),
        ("妈妈和爸爸都在。", "ma1 ma5 he2 ba4 ba5 dou1 zai4"),
        ("女人去旅行。", "nv3 ren2 qu4 lv3 xing2"),
    ],
)
def test_polyphone_sentences(text, expected):
    assert syllables(text) == expected


def test_one_reading_per_character_and_empty_for_non_han():
    assert pinyin("2024年，AI来了！") == ["", "", "", "", "nian2", "", "", "", "lai2", "le5", ""]


def test_yi_bu_citation_tones_by_default():
    assert syllables("一个不是") == "yi1 ge4 bu4 shi4"


def test_sandhi_yi_bu_and_third_tone():
    text = "一个不是你好一起第一展览馆"
    assert apply_sandhi(text, pinyin(text)) == [
        "yi2",
        "ge4",
        "bu2",
        "shi4",
        "ni2",
        "hao3",
        "yi4",
        "qi3",
        "di4",
        "yi1",
        "zhan2",
        "lan2",
        "guan3",
    ]


def test_deterministic():
    text = "行长还没还钱就走了，长江很长。"
    assert pinyin(text) == pinyin(text)


def test_dev_slice_accuracy_at_least_97_percent():
    rows = [
        line.split("\t")
        for line in SLICE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) == 300
    correct = sum(pinyin(text)[int(i)] == gold for text, i, gold in rows)
    assert correct / len(rows) >= 0.97
