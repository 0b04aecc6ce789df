"""Chinese text normalisation: display text -> spoken text.

Examples (exact, tested)::

    2020年 -> 二零二零年        3.5% -> 百分之三点五      第3章 -> 第三章
    12:30  -> 十二点三十分      ¥8   -> 八元              123   -> 一百二十三
    13812345678 -> 幺三八幺二三四五六七八 (phone-like: digit by digit)
    ＡＢＣ１２３ -> ABC123 (full-width letters/digits; full-width punctuation kept)
"""
from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
_UNITS = ("", "十", "百", "千")
_GROUPS = ("", "万", "亿", "万亿")
# measure words after which 2 is read 两 (两个, 两本); 2 alone stays 二
_LIANG_BEFORE = "个位本次只种件条张名家岁份句层辆双把座间门杯碗"


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


def _group4(n: int) -> str:
    """0 < n < 10000 -> Chinese, with inner zeros (一千零五)."""
    s = str(n)
    out, zero = [], False
    for i, d in enumerate(s):
        place = len(s) - 1 - i
        if d == "0":
            zero = True
            continue
        if zero and out:
            out.append("零")
        zero = False
        out.append(DIGITS[int(d)] + _UNITS[place])
    return "".join(out)


def int_to_zh(n: int) -> str:
    """123 -> 一百二十三, 10 -> 十, 10010 -> 一万零一十, -5 -> 负五."""
    if n < 0:
        return "负" + int_to_zh(-n)
    if n == 0:
        return "零"
    if n >= 10 ** 16:
        return digits_to_zh(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            continue
        if out and (g < 1000 or groups[idx + 1] == 0):
            out.append("零")
        out.append(_group4(g) + _GROUPS[idx])
    text = "".join(out)
    if text.startswith("一十"):
        text = text[1:]
    return text


def digits_to_zh(digits: str, *, phone: bool = False) -> str:
    """Read each digit: 2020 -> 二零二零 (phone=True reads 1 as 幺)."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(d)] if d.isdigit() else "" for d in digits)


def number_to_zh(text: str) -> str:
    """'3.5' -> 三点五, '1,234' -> 一千二百三十四, '-2' -> 负二."""
    text = text.replace(",", "")
    sign = ""
    if text.startswith("-"):
        sign, text = "负", text[1:]
    whole, _, frac = text.partition(".")
    spoken = int_to_zh(int(whole or "0"))
    if frac:
        spoken += "点" + digits_to_zh(frac)
    return sign + spoken


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_RULES: list[tuple[re.Pattern, object]] = [
    # phone numbers: 010-12345678, 138-1234-5678, 13812345678, 400-800-1234
    (re.compile(r"(?<![\d.])(?:\d{3,4}-\d{3,4}-?\d{4}|1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?![\d.])"),
     lambda m: digits_to_zh(m.group(0), phone=True)),
    (re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])"),
     lambda m: f"{digits_to_zh(m.group(1))}年{int_to_zh(int(m.group(2)))}月{int_to_zh(int(m.group(3)))}日"),
    (re.compile(r"(?<![\d.])(\d{4})\s*年"), lambda m: digits_to_zh(m.group(1)) + "年"),
    (re.compile(rf"(-?{_NUM})\s*(?:°C|℃)"), lambda m: number_to_zh(m.group(1)) + "摄氏度"),
    (re.compile(rf"(?<![\d.\-])({_NUM})\s*[~～\-–—]\s*({_NUM})(?![\d\-])"),
     lambda m: number_to_zh(m.group(1)) + "到" + number_to_zh(m.group(2))),
    (re.compile(rf"(-?{_NUM})\s*[%％]"), lambda m: "百分之" + number_to_zh(m.group(1))),
    (re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])"), lambda m: _clock(m)),
    (re.compile(rf"[¥￥]\s*({_NUM})"), lambda m: yuan_to_zh(m.group(1))),
    (re.compile(rf"\$\s*({_NUM})"), lambda m: number_to_zh(m.group(1)) + "美元"),
    (re.compile(rf"€\s*({_NUM})"), lambda m: number_to_zh(m.group(1)) + "欧元"),
    (re.compile(r"(?<![\d.])(\d+)/(\d+)(?![\d.])"),
     lambda m: number_to_zh(m.group(2)) + "分之" + number_to_zh(m.group(1))),
    (re.compile(rf"(?<![\d.])2(?=[{_LIANG_BEFORE}])"), lambda m: "两"),
    (re.compile(r"(?<![\d.,])0\d{2,}(?![\d.])"), lambda m: digits_to_zh(m.group(0))),
    (re.compile(rf"(?<![\d.])(?:(?<![0-9A-Za-z])-)?{_NUM}"), lambda m: number_to_zh(m.group(0))),
]


def yuan_to_zh(amount: str) -> str:
    """'8' -> 八元, '12.50' -> 十二元五角, '3.05' -> 三元零五分."""
    whole, _, frac = amount.replace(",", "").partition(".")
    frac = (frac + "00")[:2]
    spoken = int_to_zh(int(whole or "0")) + "元"
    jiao, fen = int(frac[0]), int(frac[1])
    if jiao:
        spoken += DIGITS[jiao] + "角"
    if fen:
        spoken += ("零" if not jiao else "") + DIGITS[fen] + "分"
    return spoken


def _clock(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    spoken = ("两" if hour == 2 else int_to_zh(hour)) + "点"
    if minute:
        spoken += ("零" if minute < 10 else "") + int_to_zh(minute) + "分"
    return spoken


def normalize_zh(text: str) -> str:
    """Spoken form of Chinese display text (numbers, dates, times, money, percent)."""
    text = to_halfwidth(text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text
