"""SSML ``<say-as interpret-as=...>``: the spoken form of one marked-up value."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..text import normalize_en, zh_numbers
from ..text import normalize_zh as zh
from ..text import numbers_en as en


def say_as(text: str, interpret_as: str, fmt: str | None, lang: str) -> str:
    """Spoken text for ``text``; raises ValueError for unknown kinds or unreadable values."""
    read = _READERS.get(interpret_as.strip().lower())
    if read is None:
        raise ValueError(f"unsupported interpret-as {interpret_as!r}; supported: {', '.join(SUPPORTED)}")
    return read(text.strip(), fmt, lang == "zh")


def _cardinal(value: str, fmt: str | None, is_zh: bool) -> str:
    number = _number_text(value)
    return zh_numbers.number_to_zh(number) if is_zh else en.number(number)


def _ordinal(value: str, fmt: str | None, is_zh: bool) -> str:
    n = int(_number_text(value).split(".")[0])
    return "第" + zh_numbers.int_to_zh(n) if is_zh else en.ordinal(n)


def _telephone(value: str, fmt: str | None, is_zh: bool) -> str:
    groups = re.findall(r"\d+", value)
    if not groups:
        raise ValueError(f"no digits in telephone number {value!r}")
    if is_zh:
        return "".join(zh_numbers.digits_to_zh(g, phone=True) for g in groups)
    return ", ".join(en.digits(g) for g in groups)


def _as_text(value: str, fmt: str | None, is_zh: bool) -> str:
    """Times and amounts: the text normaliser reads them as it does in running text."""
    return zh.normalize_zh(value) if is_zh else normalize_en.normalize_en(value)


_READERS: dict[str, Callable[[str, str | None, bool], str]] = {
    "characters": lambda value, fmt, is_zh: _characters(value, is_zh),
    "spell-out": lambda value, fmt, is_zh: _characters(value, is_zh),
    "verbatim": lambda value, fmt, is_zh: _characters(value, is_zh),
    "cardinal": _cardinal,
    "number": _cardinal,
    "ordinal": _ordinal,
    "digits": lambda value, fmt, is_zh: zh_numbers.digits_to_zh(value) if is_zh else en.digits(value),
    "date": lambda value, fmt, is_zh: _date(value, (fmt or "ymd").lower(), is_zh),
    "time": _as_text,
    "telephone": _telephone,
    "currency": _as_text,
}
SUPPORTED = tuple(_READERS)


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
            out.append(zh_numbers.DIGITS[int(ch)] if is_zh else en.cardinal(int(ch)))
        else:
            out.append(ch.upper() if ch.isascii() and ch.isalpha() else ch)
    return ("" if is_zh and not any(c.isascii() and c.isalpha() for c in value) else " ").join(out)


def _date(value: str, fmt: str, is_zh: bool) -> str:
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    order = [c for c in fmt if c in "ymd"]
    if not numbers or len(numbers) != len(order):
        raise ValueError(f"date {value!r} does not match format {fmt!r}")
    parts = dict(zip(order, numbers, strict=True))
    y, m, d = parts.get("y"), parts.get("m"), parts.get("d")
    if (m is not None and not 1 <= m <= 12) or (d is not None and not 1 <= d <= 31):
        raise ValueError(f"date {value!r} has no valid month/day for format {fmt!r}")
    if is_zh:
        return (
            ((zh_numbers.digits_to_zh(str(y)) + "年") if y is not None else "")
            + ((zh_numbers.int_to_zh(m) + "月") if m else "")
            + ((zh_numbers.int_to_zh(d) + "日") if d else "")
        )
    if m and d:
        return en.date(m, d, y)
    if m:
        return en.MONTHS[m - 1] + (f" {en.year(y)}" if y else "")
    if y is not None:
        return en.year(y)
    if d is None:  # unreachable: the format has a y, m or d field
        raise ValueError(f"date {value!r} has no field for format {fmt!r}")
    return en.ordinal(d)
