"""English text normalisation: display text -> spoken text (num2words).

Examples (exact, tested)::

    1984 -> nineteen eighty-four          21st -> twenty-first
    $3.50 -> three dollars and fifty cents  45% -> forty-five percent
    10:30 -> ten thirty                   Dr. Smith -> Doctor Smith
    March 3, 2020 -> March third, twenty twenty
"""
from __future__ import annotations

import re

from num2words import num2words

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_MONTH_RE = "|".join(MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ABBREVIATIONS = {
    "Dr.": "Doctor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor",
    "Jr.": "Junior", "Sr.": "Senior", "Capt.": "Captain", "Gen.": "General", "Lt.": "Lieutenant",
    "Mt.": "Mount", "Ave.": "Avenue", "Rd.": "Road", "Blvd.": "Boulevard", "Co.": "Company",
    "Inc.": "Incorporated", "Ltd.": "Limited", "vs.": "versus", "etc.": "et cetera",
    "e.g.": "for example", "i.e.": "that is", "approx.": "approximately", "Fig.": "Figure",
}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
             "€": ("euro", "euros", "cent", "cents")}
_SCALES = ("thousand", "million", "billion", "trillion")


def cardinal(n: int | float | str) -> str:
    """1234 -> one thousand two hundred and thirty-four (no commas)."""
    return num2words(_num(n)).replace(",", "")


def ordinal(n: int | str) -> str:
    return num2words(int(n), to="ordinal").replace(",", "")


def year(n: int | str) -> str:
    """1984 -> nineteen eighty-four, 2020 -> twenty twenty, 2005 -> two thousand five."""
    value = int(n)
    if 2000 <= value <= 2009:
        return cardinal(value).replace(" and ", " ")
    return num2words(value, to="year").replace(",", "")


def digits(text: str) -> str:
    """'4155' -> four one five five (zero read as 'zero')."""
    return " ".join(num2words(int(d)) for d in text if d.isdigit())


def decimal(text: str) -> str:
    """'3.14' -> three point one four."""
    whole, _, frac = text.replace(",", "").partition(".")
    spoken = cardinal(int(whole or "0"))
    return spoken + (" point " + digits(frac) if frac else "")


def _num(n: int | float | str) -> int | float:
    if isinstance(n, str):
        n = n.replace(",", "")
        return float(n) if "." in n else int(n)
    return n


def money(symbol: str, amount: str, scale: str = "") -> str:
    one, many, sub_one, sub_many = _CURRENCY[symbol]
    amount = amount.replace(",", "")
    if scale:
        return f"{decimal(amount)} {scale} {many}"
    whole, _, frac = amount.partition(".")
    units, cents = int(whole or "0"), int((frac + "00")[:2]) if frac else 0
    parts = []
    if units or not cents:
        parts.append(f"{cardinal(units)} {one if units == 1 else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def clock(hour: int, minute: int, suffix: str = "") -> str:
    if minute == 0:
        spoken = f"{cardinal(hour)} o'clock" if not suffix else cardinal(hour)
    elif minute < 10:
        spoken = f"{cardinal(hour)} oh {cardinal(minute)}"
    else:
        spoken = f"{cardinal(hour)} {cardinal(minute)}"
    if suffix:
        spoken += " " + " ".join(suffix.replace(".", "").upper())
    return spoken


def date(month: int, day: int, year_: int | None = None) -> str:
    spoken = f"{MONTHS[month - 1]} {ordinal(day)}"
    return spoken + (f", {year(year_)}" if year_ else "")


def _month_index(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.lower().startswith(name.lower()[:3]))


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-.]\d{4}\b"), lambda m: digits(m.group(0))),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
     lambda m: date(int(m.group(2)), int(m.group(3)), int(m.group(1)))),
    (re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:, (\d{{4}}))?\b"),
     lambda m: date(_month_index(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)),
    (re.compile(rf"\b(\d{{1,2}}) ({_MONTH_RE}),? (\d{{4}})\b"),
     lambda m: f"the {ordinal(m.group(1))} of {MONTHS[_month_index(m.group(2)) - 1]}, {year(m.group(3))}"),
    (re.compile(r"(?<![\d.-])\b(\d{1,4})\s?[-–]\s?(\d{1,4})\b(?![.-]\d)"),
     lambda m: f"{_range_end(m.group(1))} to {_range_end(m.group(2))}"),
    (re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([ap]\.?m\.?)(?=\W|$))?", re.I),
     lambda m: clock(int(m.group(1)), int(m.group(2)), m.group(3) or "")
     + ("." if (m.group(3) or "").endswith(".") and m.end() == len(m.string) else "")),
    (re.compile(rf"([$£€])\s?({_NUM})(?:\s({'|'.join(_SCALES)}))?\b"),
     lambda m: money(m.group(1), m.group(2), m.group(3) or "")),
    (re.compile(rf"({_NUM})\s?%"), lambda m: f"{_number(m.group(1))} percent"),
    (re.compile(r"\b(\d{2})(\d{2})s\b"), lambda m: _decade(m.group(1), m.group(2))),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b"), lambda m: ordinal(m.group(1))),
    (re.compile(r"\b(1[1-9]\d\d|20\d\d)\b(?![.,]\d)"), lambda m: year(m.group(1))),
    (re.compile(r"\b(Chapter|Part|Book|Volume|Act|Scene)\s+([IVXLC]+)\b"),
     lambda m: f"{m.group(1)} {cardinal(_roman(m.group(2)))}"),
    (re.compile(rf"(?<![\w-])-({_NUM})\b"), lambda m: "minus " + _number(m.group(1))),
    (re.compile(rf"({_NUM})\s?°([CF])\b"),
     lambda m: f"{_number(m.group(1))} degrees {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}"),
    (re.compile(rf"\b({_NUM})\b"), lambda m: _number(m.group(1))),
]


def _number(text: str) -> str:
    return decimal(text) if "." in text else cardinal(text)


def _range_end(text: str) -> str:
    return year(text) if len(text) == 4 and 1100 <= int(text) <= 2099 else cardinal(text)


def _roman(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for ch, nxt in zip(text, text[1:] + " "):
        v = values[ch]
        total += -v if nxt in values and values[nxt] > v else v
    return total


def _decade(century: str, tens: str) -> str:
    spoken = year(century + tens)
    if spoken.endswith("y"):
        return spoken[:-1] + "ies"
    return spoken + "s"


def _abbreviations(text: str) -> str:
    text = re.sub(r"\bSt\.(?= [A-Z])", "Saint", text)
    text = re.sub(r"(?<=[a-z] )St\.", "Street", text)
    text = re.sub(r"\bNo\.(?= ?\d)", "number", text)
    for abbr, full in ABBREVIATIONS.items():
        text = re.sub(r"(?<![\w.])" + re.escape(abbr), full, text)
    return text.replace("&", " and ").replace("  ", " ")


def normalize_en(text: str) -> str:
    """Spoken form of English display text."""
    text = _abbreviations(text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text
