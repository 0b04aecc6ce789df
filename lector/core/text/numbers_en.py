"""English numbers read aloud (num2words): cardinals, ordinals, years, digits, decimals, money,
clock times, dates, fractions. The normaliser (``normalize_en``) finds them in text."""

from __future__ import annotations

from lector.core.text.roman_en import number_words

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CURRENCY = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
SCALES = ("thousand", "million", "billion", "trillion")


def cardinal(n: int | float | str) -> str:
    """1234 -> one thousand two hundred and thirty-four (no commas)."""
    return number_words(as_number(n)).replace(",", "")


def ordinal(n: int | str) -> str:
    return number_words(int(n), to="ordinal").replace(",", "")


def year(n: int | str) -> str:
    """1984 -> nineteen eighty-four, 2020 -> twenty twenty, 2005 -> two thousand five."""
    value = int(n)
    if 2000 <= value <= 2009:
        return cardinal(value).replace(" and ", " ")
    return number_words(value, to="year").replace(",", "")


def digits(text: str) -> str:
    """'4155' -> four one five five (zero read as 'zero')."""
    return " ".join(number_words(int(d)) for d in text if d.isdigit())


def decimal(text: str) -> str:
    """'3.14' -> three point one four."""
    whole, _, frac = text.replace(",", "").partition(".")
    spoken = cardinal(int(whole or "0"))
    return spoken + (" point " + digits(frac) if frac else "")


def as_number(n: int | float | str) -> int | float:
    if isinstance(n, str):
        n = n.replace(",", "")
        return float(n) if "." in n else int(n)
    return n


def money(symbol: str, amount: str, scale: str = "") -> str:
    one, many, sub_one, sub_many = CURRENCY[symbol]
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


def month_index(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.lower().startswith(name.lower()[:3]))


def number(text: str) -> str:
    return decimal(text) if "." in text else cardinal(text)


def range_end(text: str) -> str:
    return year(text) if len(text) == 4 and 1100 <= int(text) <= 2099 else cardinal(text)


def decade(century: str, tens: str) -> str:
    spoken = year(century + tens)
    if spoken.endswith("y"):
        return spoken[:-1] + "ies"
    return spoken + "s"


def fraction(num: int, den: int, whole: int | None = None) -> str:
    """(1, 2) -> one half, (3, 4) -> three quarters, (1, 2, 4) -> four and a half."""
    one, many = {2: ("half", "halves"), 4: ("quarter", "quarters")}.get(den) or (
        ordinal(den),
        ordinal(den) + "s",
    )
    part = f"{'a' if whole is not None and num == 1 else cardinal(num)} {one if num == 1 else many}"
    return f"{cardinal(whole)} and {part}" if whole is not None else part


def plural_tens(n: int) -> str:
    spoken = cardinal(n)
    return spoken[:-1] + "ies" if spoken.endswith("y") else spoken + "s"
