"""SSML ``<say-as interpret-as=...>``: the spoken form of one marked-up value."""

from __future__ import annotations

import re

from ..text import normalize_en as en
from ..text import normalize_zh as zh

SUPPORTED = (
    "characters",
    "spell-out",
    "verbatim",
    "cardinal",
    "number",
    "ordinal",
    "digits",
    "date",
    "time",
    "telephone",
    "currency",
)


def say_as(text: str, interpret_as: str, fmt: str | None, lang: str) -> str:
    """Spoken text for ``text``; raises ValueError for unknown kinds or unreadable values."""
    kind = interpret_as.strip().lower()
    value = text.strip()
    is_zh = lang == "zh"
    if kind in ("characters", "spell-out", "verbatim"):
        return _characters(value, is_zh)
    if kind in ("cardinal", "number"):
        number = _number_text(value)
        return zh.number_to_zh(number) if is_zh else en._number(number)
    if kind == "ordinal":
        n = int(_number_text(value).split(".")[0])
        return "第" + zh.int_to_zh(n) if is_zh else en.ordinal(n)
    if kind == "digits":
        return zh.digits_to_zh(value) if is_zh else en.digits(value)
    if kind == "telephone":
        groups = re.findall(r"\d+", value)
        if not groups:
            raise ValueError(f"no digits in telephone number {value!r}")
        if is_zh:
            return "".join(zh.digits_to_zh(g, phone=True) for g in groups)
        return ", ".join(en.digits(g) for g in groups)
    if kind == "date":
        return _date(value, (fmt or "ymd").lower(), is_zh)
    if kind in ("time", "currency"):
        return zh.normalize_zh(value) if is_zh else en.normalize_en(value)
    raise ValueError(f"unsupported interpret-as {interpret_as!r}; supported: {', '.join(SUPPORTED)}")


def _number_text(value: str) -> str:
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", value)
    if not m:
        raise ValueError(f"no number in {value!r}")
    return m.group(0).replace(",", "")


def _characters(value: str, is_zh: bool) -> str:
    out = []
    for ch in value:
        if ch.isspace():
            continue
        if ch.isdigit():
            out.append(zh.DIGITS[int(ch)] if is_zh else en.cardinal(int(ch)))
        else:
            out.append(ch.upper() if ch.isascii() and ch.isalpha() else ch)
    return ("" if is_zh and not any(c.isascii() and c.isalpha() for c in value) else " ").join(out)


def _date(value: str, fmt: str, is_zh: bool) -> str:
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    order = [c for c in fmt if c in "ymd"]
    if not numbers or len(numbers) != len(order):
        raise ValueError(f"date {value!r} does not match format {fmt!r}")
    parts = dict(zip(order, numbers))
    y, m, d = parts.get("y"), parts.get("m"), parts.get("d")
    if (m is not None and not 1 <= m <= 12) or (d is not None and not 1 <= d <= 31):
        raise ValueError(f"date {value!r} has no valid month/day for format {fmt!r}")
    if is_zh:
        return (
            ((zh.digits_to_zh(str(y)) + "年") if y is not None else "")
            + ((zh.int_to_zh(m) + "月") if m else "")
            + ((zh.int_to_zh(d) + "日") if d else "")
        )
    if m and d:
        return en.date(m, d, y)
    if m:
        return en.MONTHS[m - 1] + (f" {en.year(y)}" if y else "")
    return en.year(y) if y is not None else en.ordinal(d)
