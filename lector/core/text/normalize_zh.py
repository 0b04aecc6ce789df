"""Chinese text normalisation: display text -> spoken text, read as a narrator reads it.

Examples (exact, tested in tests/data/zh_tn_cases.tsv)::

    1907年 -> 一九〇七年            1911—1949年 -> 一九一一至一九四九年
    比分3:2 -> 比分三比二           8:30 -> 八点三十分
    70kg -> 七十公斤  3℃ -> 三摄氏度  12% -> 百分之十二  ￥25.5 -> 二十五点五元
    13812345678 -> 幺三八幺二三四五六七八 (phone: digit by digit, 1 = 幺)
    第3章 -> 第三章   1/3 -> 三分之一   3-5天 -> 三到五天   2个 -> 两个
    鲁迅（1881—1936） -> 鲁迅（一八八一至一九三六）  90后 -> 九零后  5·12 -> 五一二
    38.00元 -> 三十八元   ① -> 一   第Ⅲ卷 -> 第三卷   公元前2000年 -> 公元前两千年

Rules run in order (phones and codes before dates, dates before times, units and
ranges before bare numbers); the choice against WeTextProcessing and cn2an is in
docs/MANDARIN.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from lector.core.planwarn import add_warning
from lector.core.text.segment import is_han
from lector.core.text.zh_numbers import (
    digits_to_zh,
    int_to_zh,
    liang,
    number_to_zh,
    year_to_zh,
    yuan_to_zh,
)
from lector.core.text.zh_units import UNIT_READINGS

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SNUM = rf"-?{_NUM}"
_DASH = r"\s*[-~～–—至到]+\s*"
# measure words after which 2 is read 两 (两个, 两本); 2 alone stays 二 (二月, 第二)
_LIANG_BEFORE = (
    "个位本次只种件条张名家岁份句层辆双把座间门杯碗天周人倍成项台架头匹块片场回趟遍斤里亩吨克升元角毛"
)
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNIT_READINGS, key=len, reverse=True))
_NO_LIANG_UNITS = ("摄氏度", "华氏度", "度", "百分之", "千分之")
_CURRENCY = {
    "¥": "元",
    "￥": "元",
    "RMB": "元",
    "US$": "美元",
    "HK$": "港元",
    "$": "美元",
    "€": "欧元",
    "£": "英镑",
}
_CUR_RE = "|".join(re.escape(c) for c in sorted(_CURRENCY, key=len, reverse=True))
_SCORE_BEFORE = re.compile(r"(?:比分|比例|比数|以|战绩|大比分|总比分|比率|缩尺|比例尺)\s*$")
_SCORE_AFTER = re.compile(
    r"\s*(?:战胜|击败|获胜|取胜|力克|告负|落败|险胜|大胜|负于|胜|负|输|赢|领先|落后|的比分|比分)"
)
_PHONE_CONTEXT = r"(?:电话|手机|热线|号码|拨打|致电|传真|呼叫|来电|短信|QQ|qq|微信)"
_CODE_CONTEXT = (
    r"(?:邮编|邮政编码|编号|学号|工号|账号|卡号|车次|航班|房间号?|门牌号?|验证码|密码|"
    r"型号|序列号|代码|身份证号?|订单号?|批号|车牌号?)"
)


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters and digits -> half-width; other characters unchanged."""
    out = []
    for ch in text:
        o = ord(ch)
        if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
            out.append(chr(o - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _numeral_signs(text: str) -> str:
    """Circled / parenthesised numbers (① ⑴ ⒈ ❶ ㈠) and Roman numeral signs (Ⅲ ⅳ) -> Chinese
    numbers; Kangxi radicals and compatibility ideographs (from PDF conversions: ⼈ -> 人) ->
    the ideographs they stand for. Each is one character, so this keeps the text's length."""
    out = []
    for ch in text:
        o = ord(ch)
        if 0x2460 <= o <= 0x249B or 0x2776 <= o <= 0x2793 or 0x24EA <= o <= 0x24FF or 0x3220 <= o <= 0x3229:
            value = unicodedata.numeric(ch, -1.0)
            out.append(int_to_zh(int(value)) if value >= 0 else ch)
        elif 0x2160 <= o <= 0x217F and unicodedata.numeric(ch, -1.0) >= 1:
            out.append(int_to_zh(int(unicodedata.numeric(ch))))
        elif (
            0x2F00 <= o <= 0x2FDF or 0x2E80 <= o <= 0x2EFF or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F
        ):
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def _symbols_between_digits(text: str) -> str:
    """Full-width ％．：／＋ and the minus sign next to digits -> ASCII; ○ inside Chinese
    numerals -> 〇 (一九○七 -> 一九〇七)."""
    text = re.sub(r"(?<=\d)[．。](?=\d)", ".", text)
    text = re.sub(r"(?<=\d)／(?=\d)", "/", text)
    text = re.sub(r"(?<=\d)％", "%", text)
    text = re.sub(r"(?<=\d)\s*：\s*(?=\d)", ":", text)
    text = re.sub(r"[−－](?=\d)", "-", text)
    text = re.sub(r"＋(?=\d)", "+", text)
    return re.sub(r"(?<=[〇零一二三四五六七八九])[○Ｏ]|[○Ｏ](?=[〇零一二三四五六七八九])", "〇", text)


def _num(text: str) -> str:
    """A number read as a cardinal, 2000 -> 两千 (narrators say 两 before 千/万/亿)."""
    return liang(number_to_zh(text)) if "." not in text else number_to_zh(text)


def _range(a: str, b: str | None, read: Callable[[str], str] = number_to_zh) -> str:
    return read(a) + ("到" + read(b) if b else "")


def _unit(m: re.Match[str]) -> str:
    a, b, unit = m.group(1), m.group(2), UNIT_READINGS[m.group(3)]
    if unit in ("百分之", "千分之"):
        return _percent(unit, a, b)
    if unit in ("摄氏度", "华氏度", "度"):
        return _temperature(a) + ("到" + _temperature(b) if b else "") + unit
    if unit in _NO_LIANG_UNITS:
        return _range(a, b) + unit
    return ("两" if a == "2" else _num(a)) + ("到" + _num(b) if b else "") + unit


def _signed_fraction(unit: str, x: str) -> str:
    return ("负" + unit + number_to_zh(x[1:])) if x.startswith("-") else unit + number_to_zh(x)


def _percent(unit: str, a: str, b: str | None) -> str:
    """3% -> 百分之三, 3-5% -> 百分之三到百分之五, -2% -> 负百分之二."""
    return _signed_fraction(unit, a) + ("到" + _signed_fraction(unit, b) if b else "")


def _temperature(x: str) -> str:
    return "零下" + number_to_zh(x[1:]) if x.startswith("-") else number_to_zh(x)


def _range_liang(x: str, measure: str | None) -> str:
    """One end of a range: 2 before a measure word is 两 (1-2个 -> 一到两个, 2-3天 -> 两到三天)."""
    return "两" if x == "2" and measure else _num(x)


def _currency(m: re.Match[str]) -> str:
    a, b, big, unit = m.group(2), m.group(3), m.group(4) or "", _CURRENCY[m.group(1)]

    def read(x: str) -> str:  # ¥2 -> 两元, ¥2万 -> 两万元, ¥25.5 -> 二十五点五元
        return "两" if x == "2" else number_to_zh(x) if big else yuan_to_zh(x)[:-1]

    return _range(a, b, read) + big + unit


def _clock(h: int, minute: int, sec: int | None = None) -> str:
    spoken = ("两" if h == 2 else int_to_zh(h)) + "点"
    if minute or sec:
        spoken += ("零" if minute < 10 else "") + int_to_zh(minute) + "分"
    if sec:
        spoken += int_to_zh(sec) + "秒"
    return spoken


def _colon(m: re.Match[str]) -> str:
    """8:30 -> 八点三十分; 3:2 / 比分2:21 -> 三比二 (one-digit right side, score words, hour > 24)."""
    a, b, c = m.group(1), m.group(2), m.group(3)
    before, after = m.string[max(0, m.start() - 6) : m.start()], m.string[m.end() : m.end() + 4]
    is_time = (
        len(b) == 2
        and int(a) <= 24
        and int(b) < 60
        and not _SCORE_BEFORE.search(before)
        and not _SCORE_AFTER.match(after)
    )
    if is_time:
        return _clock(int(a), int(b), int(c) if c else None)
    return "比".join(number_to_zh(x) for x in (a, b, c) if x)


def _year_range(m: re.Match[str]) -> str:
    return year_to_zh(m.group(1)) + "年" * bool(m.group(2)) + "至" + year_to_zh(m.group(3)) + "年"


def _years_apart(m: re.Match[str]) -> str:
    """1881—1936 (a life, a season, a reign: no 年) -> 一八八一至一九三六; 1000-2000 stays a range."""
    a, b = m.group(1), m.group(2)
    if not 0 < int(b) - int(a) <= 150:
        return m.group(0)
    return year_to_zh(a) + "至" + year_to_zh(b)


def _strip_money_zeros(m: re.Match[str]) -> str:
    """38.00元 -> 38元, 12.50元 -> 12.5元 (a price is read without its trailing zeros)."""
    whole, frac = m.group(1), m.group(2).rstrip("0")
    return whole + ("." + frac if frac else "")


def _iso_date(m: re.Match[str]) -> str:
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{year_to_zh(y)}年{int_to_zh(mo)}月{int_to_zh(d)}日"


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: list[_Rule] = [
    # phones: mobile, landline, hotline numbers, and any digits after a phone word
    (
        re.compile(
            r"(?<![\d.])(?:1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}-\d{7,8}|[48]00-?\d{3}-?\d{4})(?![\d.])"
        ),
        lambda m: digits_to_zh(m.group(0), phone=True),
    ),
    (
        re.compile(rf"({_PHONE_CONTEXT}[^\d\n]{{0,4}}?)(\d[\d\- ]*\d|\d)(?![\d.])"),
        lambda m: m.group(1) + digits_to_zh(m.group(2), phone=True),
    ),
    (
        re.compile(rf"({_CODE_CONTEXT}[^\d\n]{{0,4}}?)([A-Za-z]*)(\d+)(?![\d.])"),
        lambda m: m.group(1) + m.group(2) + digits_to_zh(m.group(3)),
    ),
    (re.compile(r"(?<![\d.])(\d{3,4})(?=室|房间|号房)"), lambda m: digits_to_zh(m.group(1))),
    # street addresses (中山路302号, 住在1024号) are read digit by digit, like rooms
    (
        re.compile(r"((?:路|街|巷|弄|胡同|大道|住在|门牌)号?)(\d{3,4})(?=号)"),
        lambda m: m.group(1) + digits_to_zh(m.group(2)),
    ),
    (re.compile(r"(?<=[打拨])(1[12]\d)(?![\d.])"), lambda m: digits_to_zh(m.group(1), phone=True)),
    (re.compile(r"(?<![\d.,])\d{11,}(?![\d.])"), lambda m: digits_to_zh(m.group(0))),
    # dates and years
    (re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d.\-/])"), _iso_date),
    # event dates written month·day (5·12, 9·11) are read digit by digit
    (
        re.compile(r"(?<![\d.])(1[0-2]|[1-9])[·•・](\d{1,2})(?![\d.])"),
        lambda m: digits_to_zh(m.group(1)) + digits_to_zh(m.group(2)),
    ),
    # BC years are cardinals (公元前221年, 公元前2000年)
    (re.compile(r"(?<=公元前)\s*(\d+)(?=\s*年)"), lambda m: _num(m.group(1))),
    # year ranges with no 年: lives (1881—1936), seasons (2019-2020赛季)
    (
        re.compile(
            r"(?<![\d.])(1\d{3}|20\d{2})\s*[-~～–—]+\s*(1\d{3}|20\d{2})"
            r"(?=\s*(?:[）)\]】，。；、：,;]|$|赛季|学年|年度|财年|期间|间))"
        ),
        _years_apart,
    ),
    # decades: 1980s -> 一九八〇年代; generations: 90后 -> 九零后
    (re.compile(r"(?<![\d.])(1[5-9]\d0|20\d0)s(?![A-Za-z])"), lambda m: year_to_zh(m.group(1)) + "年代"),
    (re.compile(r"(?<![\d.第])(\d[05])(?=后(?![来面者果悔期半]))"), lambda m: digits_to_zh(m.group(1))),
    (re.compile(r"(?<![\d.])([12]\d{3})(年?)\s*[-~～–—至到]+\s*([12]\d{3})\s*年(?!前|之久|多)"), _year_range),
    (re.compile(r"(?<![\d.])([12]\d{3})(?=\s*年(?!前|之久|多|以上))"), lambda m: year_to_zh(m.group(1))),
    (
        re.compile(r"(?<=[〇一二三四五六七八九]年)\s*[-~～–—]+\s*(?=[〇一二三四五六七八九]{4}年)"),
        lambda m: "至",
    ),
    # clock times (and scores / ratios written with a colon), time ranges
    (re.compile(r"(?<![\d:.])(\d{1,2}|\d+)[:](\d{1,2}|\d+)(?:[:](\d{2}))?(?![\d:])"), _colon),
    (re.compile(r"(?<=[点分秒])\s*[-~～–—]+\s*(?=[零一二三四五六七八九十两]+点)"), lambda m: "到"),
    # money, units, percent, temperature (with an optional range: 3-5kg, 3%~5%)
    (
        re.compile(r"(?<![\d.])(\d+(?:,\d{3})*)\.(\d*0)(?=\s*(?:[万亿]?元|块|[美港日欧]元|英镑))"),
        _strip_money_zeros,
    ),
    (re.compile(rf"({_CUR_RE})\s*({_NUM})(?:{_DASH}(?:{_CUR_RE})?\s*({_NUM}))?\s*([万亿]+)?"), _currency),
    (re.compile(rf"(?<![\d.A-Za-z])({_SNUM})(?:%?{_DASH}({_SNUM}))?\s*({_UNIT_RE})(?![A-Za-z²³])"), _unit),
    (re.compile(r"(?<![\d.A-Za-z])-(\d+(?:\.\d+)?)(?=\s*度)"), lambda m: "零下" + number_to_zh(m.group(1))),
    # fractions, math signs, ranges
    (
        re.compile(r"(?<![\d./])(\d+)/(\d+)(?![\d./])"),
        lambda m: number_to_zh(m.group(2)) + "分之" + number_to_zh(m.group(1)),
    ),
    (
        re.compile(r"(?<=\d)\s*([+×÷=＝])\s*(?=-?\d)"),
        lambda m: {"+": "加", "×": "乘以", "÷": "除以", "=": "等于", "＝": "等于"}[m.group(1)],
    ),
    (
        re.compile(rf"(?<![\d.\-])({_NUM}){_DASH}({_NUM})(?![\d\-])(?=([{_LIANG_BEFORE}])?)"),
        lambda m: _range_liang(m.group(1), m.group(3)) + "到" + _range_liang(m.group(2), m.group(3)),
    ),
    # 2 -> 两 before measure words (not after 第, not 2年级), leading-zero codes, plain numbers
    (re.compile(rf"(?<![\d.第])2(?=[{_LIANG_BEFORE}千万亿]|小时|分钟|年(?!级|代))"), lambda m: "两"),
    (re.compile(r"(?<![\d.,])0\d+(?![\d.])"), lambda m: digits_to_zh(m.group(0))),
    (re.compile(rf"(?<![\d.])(?:(?<![0-9A-Za-z])-)?{_NUM}"), lambda m: _num(m.group(0))),
]


# ××县, □□先生: marks standing for withheld or lost characters, next to Han text (not between
# digits, where × is a multiplication sign); a narrator reads each as 某
_PLACEHOLDER = re.compile(r"(?<![\d.])[×✕□](?:[×✕□])*(?![\d.])")


def _placeholders(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if not (before and is_han(before)) and not (after and is_han(after)):
            return m.group(0)
        add_warning(
            "placeholder",
            f"{m.group(0)!r} in {text.strip()!r} is read as {'某' * len(m.group(0))}; write the words "
            "in the manuscript (or an overrides.json text) to have them read otherwise",
        )
        return "某" * len(m.group(0))

    return _PLACEHOLDER.sub(repl, text)


def normalize_zh(text: str) -> str:
    """Spoken form of Chinese display text (numbers, dates, times, money, units, phones).

    A Han character with no Mandarin reading (a rare extension-B character) is a plan warning
    ("unread"): the voice would skip it. Placeholder marks (××县) are read 某, with a warning."""
    text = _placeholders(_symbols_between_digits(_numeral_signs(to_halfwidth(text))))
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    _warn_unread(text)
    return text


def _warn_unread(text: str) -> None:
    from pypinyin.constants import PINYIN_DICT

    unread = "".join(dict.fromkeys(c for c in text if is_han(c) and ord(c) not in PINYIN_DICT))
    if unread:
        codes = ", ".join(f"{c} U+{ord(c):04X}" for c in unread)
        add_warning(
            "unread",
            f"no Mandarin reading for {codes} in {text.strip()!r}: the voice skips it; add it to the "
            f"project lexicon (lexicon.tsv: {unread[0]}<TAB>pinyin, e.g. ji2) or write a common character",
        )
