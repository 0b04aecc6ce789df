import pytest

from lector.core.text.normalize_en import normalize_en
from lector.core.text.normalize_zh import int_to_zh, normalize_zh, to_halfwidth


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("2020年", "二〇二〇年"),
        ("3.5%", "百分之三点五"),
        ("第3章", "第三章"),
        ("12:30", "十二点三十分"),
        ("¥8", "八元"),
        ("123", "一百二十三"),
        ("0.25", "零点二五"),
        ("13812345678", "幺三八幺二三四五六七八"),
        ("电话010-12345678", "电话零幺零幺二三四五六七八"),
        ("他买了2本书", "他买了两本书"),
        ("2月", "二月"),
        ("花了¥12.50", "花了十二点五元"),
        ("3/4", "四分之三"),
        ("2:05", "两点零五分"),
        ("1,234人", "一千二百三十四人"),
        ("2020年3月5日", "二〇二〇年三月五日"),
        ("2020-03-05", "二〇二〇年三月五日"),
        ("3~5天", "三到五天"),
        ("气温-3℃", "气温零下三摄氏度"),
        ("COVID-19", "COVID-十九"),
    ],
)
def test_normalize_zh(text, spoken):
    assert normalize_zh(text) == spoken


def test_int_to_zh_zeros_and_units():
    assert [int_to_zh(n) for n in (0, 10, 15, 110, 1005, 10010, 100000000, 120000)] == [
        "零",
        "十",
        "十五",
        "一百一十",
        "一千零五",
        "一万零一十",
        "一亿",
        "十二万",
    ]


def test_halfwidth_keeps_fullwidth_punctuation():
    assert to_halfwidth("ＡＢＣ１２３") == "ABC123"
    assert to_halfwidth("ＡＢＣ，你好！") == "ABC，你好！"


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("In 1984 he left.", "In nineteen eighty-four he left."),
        ("in 2005", "in two thousand five"),
        ("the 21st time", "the twenty-first time"),
        ("It costs $3.50.", "It costs three dollars and fifty cents."),
        ("$1", "one dollar"),
        ("45% off", "forty-five percent off"),
        ("3.5%", "three point five percent"),
        ("at 10:30", "at ten thirty"),
        ("at 7:00", "at seven o'clock"),
        ("at 10:05 p.m.", "at ten oh five P M."),
        (
            "Dr. Smith met Mr. and Mrs. Jones on Main St. today.",
            "Doctor Smith met Mister and Missus Jones on Main Street today.",
        ),
        ("St. Peter", "Saint Peter"),
        ("March 3, 2020", "March third, twenty twenty"),
        ("3 March 2020", "the third of March, twenty twenty"),
        ("2020-03-05", "March fifth, twenty twenty"),
        ("1,234 people", "one thousand two hundred and thirty-four people"),
        ("pi is 3.14", "pi is three point one four"),
        ("the 1980s", "the nineteen eighties"),
        ("call 555-123-4567", "call five five five one two three four five six seven"),
        ("apples, pears, etc.", "apples, pears, et cetera."),
        ("from 1990-1995", "from nineteen ninety to nineteen ninety-five"),
        ("3-4 times", "three to four times"),
        ("It was -5 today", "It was minus five today"),
        ("25°C", "twenty-five degrees Celsius"),
        ("Chapter IV", "Chapter four"),
    ],
)
def test_normalize_en(text, spoken):
    assert normalize_en(text) == spoken
