"""Reading Arabic numbers in Chinese: cardinals, decimals, digit strings, years, money.

int_to_zh(10010) -> 一万零一十      number_to_zh("3.5") -> 三点五
digits_to_zh("2020") -> 二零二零    year_to_zh("1907") -> 一九〇七 (GB/T 15835: 〇 in years)
digits_to_zh("110", phone=True) -> 幺幺零 (1 is yao1 in phone numbers and codes read aloud)
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
YEAR_DIGITS = "〇一二三四五六七八九"
_UNITS = ("", "十", "百", "千")
_GROUPS = ("", "万", "亿", "万亿")


def _group4(n: int) -> str:
    """0 < n < 10000 -> Chinese, with inner zeros (一千零五)."""
    s = str(n)
    out: list[str] = []
    zero = False
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
    if n >= 10**16:
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
    """Read each digit: 2020 -> 二零二零 (phone=True reads 1 as 幺); other characters dropped."""
    table = PHONE_DIGITS if phone else DIGITS
    return "".join(table[int(d)] for d in digits if d.isdigit())


def year_to_zh(digits: str) -> str:
    """1907 -> 一九〇七 (a year is read digit by digit, zero written 〇)."""
    return "".join(YEAR_DIGITS[int(d)] for d in digits if d.isdigit())


def number_to_zh(text: str) -> str:
    """'3.5' -> 三点五, '1,234' -> 一千二百三十四, '-2' -> 负二, '.5' -> 零点五."""
    text = text.replace(",", "").replace("，", "")
    sign = ""
    if text[:1] in ("-", "−", "－"):
        sign, text = "负", text[1:]
    elif text[:1] == "+":
        sign, text = "正", text[1:]
    whole, _, frac = text.partition(".")
    spoken = int_to_zh(int(whole or "0"))
    if frac:
        spoken += "点" + digits_to_zh(frac)
    return sign + spoken


def liang(spoken: str) -> str:
    """A leading 二千/二万/二亿 -> 两 (两千, 两万); 二, 十二, 二百 unchanged."""
    for unit in ("千", "万", "亿"):
        if spoken.startswith("二" + unit):
            return "两" + spoken[1:]
    return spoken


def yuan_to_zh(amount: str) -> str:
    """Money read as a newsreader does: '25.5' -> 二十五点五元, '8' -> 八元, '12.50' -> 十二点五元."""
    amount = amount.replace(",", "")
    if "." in amount:
        amount = amount.rstrip("0").rstrip(".")
    return number_to_zh(amount) + "元"
