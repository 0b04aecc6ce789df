"""English text normalisation: display text -> spoken text (num2words).

Examples (exact, tested)::

    1984 -> nineteen eighty-four          21st -> twenty-first
    $3.50 -> three dollars and fifty cents  45% -> forty-five percent
    10:30 -> ten thirty                   Dr. Smith -> Doctor Smith
    March 3, 2020 -> March third, twenty twenty
    Chapter XIV -> Chapter fourteen       George III -> George the Third
    vol. ii, p. 5 -> volume two, page five  £88 10s. 6d. -> eighty-eight pounds ten shillings and six pence
    30° 31′ N -> thirty degrees thirty-one minutes North   4½ -> four and a half   &c. -> et cetera

Roman numerals are read by context only (a heading keyword, a regnal name, a heading that is
only a numeral); the pronoun "I" stays "I". Symbols espeak-ng would spell out or skip (° ′ ″
℔ § ½ &c.) are written out here, so the listener hears what a narrator would read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from fractions import Fraction

from lector.core.text.roman_en import heading_numeral, number_words, roman_numerals

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
_MONTH_RE = "|".join(MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ABBREVIATIONS = {
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "Prof.": "Professor",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "Capt.": "Captain",
    "Gen.": "General",
    "Lt.": "Lieutenant",
    "Mt.": "Mount",
    "Ave.": "Avenue",
    "Rd.": "Road",
    "Blvd.": "Boulevard",
    "Co.": "Company",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "vs.": "versus",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "approx.": "approximately",
    "Fig.": "Figure",
    "Rev.": "Reverend",
    "Messrs.": "Messieurs",
    "Col.": "Colonel",
    "Esq.": "Esquire",
    "Hon.": "Honourable",
    "Lieut.": "Lieutenant",
    "Sgt.": "Sergeant",
    "Mme.": "Madame",
    "Mlle.": "Mademoiselle",
    "Gov.": "Governor",
    "Maj.": "Major",
    "Bros.": "Brothers",
    "viz.": "namely",
    "cf.": "compare",
    "&c.": "et cetera",
    "&c": "et cetera",
}
# abbreviations that may also end a sentence: their full stop is kept there ("Esq. To be left")
SENTENCE_FINAL = {"Esq.", "etc.", "&c.", "Jr.", "Sr.", "Co.", "Inc.", "Ltd.", "Bros.", "approx."}
# abbreviations read as a word only before a number or a numeral ("vol. ii", "p. 5", "pp. 3-9")
NUMBER_ABBREVIATIONS = {
    "No.": "number",
    "Nos.": "numbers",
    "no.": "number",
    "vol.": "volume",
    "Vol.": "Volume",
    "vols.": "volumes",
    "p.": "page",
    "pp.": "pages",
    "ch.": "chapter",
    "chap.": "chapter",
    "Chap.": "Chapter",
    "fig.": "figure",
    "art.": "article",
    "Art.": "Article",
    "sec.": "section",
    "Sec.": "Section",
}
# units read as a word only after a number ("5 in." but "came in.")
UNITS = {
    "in.": ("inch", "inches"),
    "ft.": ("foot", "feet"),
    "yd.": ("yard", "yards"),
    "yds.": ("yard", "yards"),
    "lb.": ("pound", "pounds"),
    "lbs.": ("pound", "pounds"),
    "oz.": ("ounce", "ounces"),
    "cwt.": ("hundredweight", "hundredweight"),
    "℔": ("pound", "pounds"),
    "mi.": ("mile", "miles"),
}
_CURRENCY = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_SCALES = ("thousand", "million", "billion", "trillion")


def cardinal(n: int | float | str) -> str:
    """1234 -> one thousand two hundred and thirty-four (no commas)."""
    return number_words(_num(n)).replace(",", "")


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


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_RULES: list[_Rule] = [
    (re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-.]\d{4}\b"), lambda m: digits(m.group(0))),
    (
        re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
        lambda m: date(int(m.group(2)), int(m.group(3)), int(m.group(1))),
    ),
    (
        re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:, (\d{{4}}))?\b"),
        lambda m: date(_month_index(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None),
    ),
    (
        re.compile(rf"\b(\d{{1,2}}) ({_MONTH_RE}),? (\d{{4}})\b"),
        lambda m: f"the {ordinal(m.group(1))} of {MONTHS[_month_index(m.group(2)) - 1]}, {year(m.group(3))}",
    ),
    (
        re.compile(r"(?<![\d.-])\b(\d{1,4})\s?[-–]\s?(\d{1,4})\b(?![.-]\d)"),
        lambda m: f"{_range_end(m.group(1))} to {_range_end(m.group(2))}",
    ),
    (
        re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([ap]\.?m\.?)(?=\W|$))?", re.I),
        lambda m: (
            clock(int(m.group(1)), int(m.group(2)), m.group(3) or "")
            + ("." if (m.group(3) or "").endswith(".") and m.end() == len(m.string) else "")
        ),
    ),
    (
        re.compile(rf"([$£€])\s?({_NUM})(?:\s({'|'.join(_SCALES)}))?\b"),
        lambda m: money(m.group(1), m.group(2), m.group(3) or ""),
    ),
    (re.compile(rf"({_NUM})\s?%"), lambda m: f"{_number(m.group(1))} percent"),
    (re.compile(r"\b(\d{2})(\d{2})s\b"), lambda m: _decade(m.group(1), m.group(2))),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b"), lambda m: ordinal(m.group(1))),
    (re.compile(r"\b(1[1-9]\d\d|20\d\d)\b(?![.,]\d)"), lambda m: year(m.group(1))),
    (re.compile(rf"(?<![\w-])-({_NUM})\b"), lambda m: "minus " + _number(m.group(1))),
    (
        re.compile(rf"({_NUM})\s?°([CF])\b"),
        lambda m: f"{_number(m.group(1))} degrees {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}",
    ),
    (re.compile(rf"\b({_NUM})\b"), lambda m: _number(m.group(1))),
]


def _number(text: str) -> str:
    return decimal(text) if "." in text else cardinal(text)


def _range_end(text: str) -> str:
    return year(text) if len(text) == 4 and 1100 <= int(text) <= 2099 else cardinal(text)


def _decade(century: str, tens: str) -> str:
    spoken = year(century + tens)
    if spoken.endswith("y"):
        return spoken[:-1] + "ies"
    return spoken + "s"


def _alternation(words: Iterable[str]) -> str:
    """One regex alternative per abbreviation, longest first (Mrs. before Mr.)."""
    return "|".join(
        re.escape(w) + (r"(?!\w)" if w[-1].isalnum() else "") for w in sorted(words, key=len, reverse=True)
    )


# compiled once: planning a book runs these on every sentence, next to pysbd's own regexes,
# which would push per-call patterns out of re's small cache
_NUMERAL_AFTER = {True: r"[ivxlcdm]+\b|[IVXLCDM]+\b", False: r"[ivxlcdm]+\b|(?:[IVXLCDM]{2,}|[VX])\b"}
_NUMBER_ABBR_RES = [
    re.compile(
        r"(?<![\w.])("
        + _alternation(w for w in NUMBER_ABBREVIATIONS if w[0].isupper() == upper)
        + rf")(?=\s?\d|\s(?:{_NUMERAL_AFTER[upper]})(?!\.\w))"
    )
    for upper in (True, False)
]
_ABBR_RE = re.compile(r"(?<![\w.])(?:" + _alternation(ABBREVIATIONS) + ")")


def _abbreviations(text: str) -> str:
    text = re.sub(r"\bSt\.(?= [A-Z])", "Saint", text)
    text = re.sub(r"(?<=[a-z] )St\.", "Street", text)
    for pattern in _NUMBER_ABBR_RES:  # lowercase ones take no capital "I": "no. I" is "no." + "I"
        text = pattern.sub(lambda m: NUMBER_ABBREVIATIONS[m.group(1)], text)
    text = _UNIT_RE.sub(_unit, text)
    text = _ABBR_RE.sub(_abbreviation, text)
    return text.replace("&", " and ").replace("  ", " ")


def _abbreviation(m: re.Match[str]) -> str:
    abbr = m.group(0)
    stop = abbr in SENTENCE_FINAL and _ends_sentence(m.string, m.end())
    return ABBREVIATIONS[abbr] + ("." if stop else "")


_VULGAR = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒"
_UNIT_RE = re.compile(rf"(\d+(?:\.\d+)?[{_VULGAR}]?)\s?({'|'.join(map(re.escape, UNITS))})(?![\w.])")


def _unit(m: re.Match[str]) -> str:
    one, many = UNITS[m.group(2)]
    return f"{m.group(1)} {one if m.group(1) == '1' else many}" + _kept_stop(m)


def _kept_stop(m: re.Match[str]) -> str:
    """The full stop of an abbreviation that also ended the sentence."""
    return "." if m.group(0).endswith(".") and _ends_sentence(m.string, m.end()) else ""


_SENTENCE_END = re.compile(r"[’”\"')\]\s]*$|[’”\"')\]]*\s+(?=[A-Z“‘\"(])")


def _ends_sentence(text: str, end: int) -> bool:
    """True when only closing quotes remain after ``end``, or a new sentence starts there."""
    return bool(_SENTENCE_END.match(text, end))


def fraction(num: int, den: int, whole: int | None = None) -> str:
    """(1, 2) -> one half, (3, 4) -> three quarters, (1, 2, 4) -> four and a half."""
    one, many = {2: ("half", "halves"), 4: ("quarter", "quarters")}.get(den) or (
        ordinal(den),
        ordinal(den) + "s",
    )
    part = f"{'a' if whole is not None and num == 1 else cardinal(num)} {one if num == 1 else many}"
    return f"{cardinal(whole)} and {part}" if whole is not None else part


def _fraction(m: re.Match[str]) -> str:
    if m.group(2):
        value = Fraction(unicodedata.numeric(m.group(2))).limit_denominator(12)
        num, den = value.numerator, value.denominator
    else:
        num, den = int(m.group(3)), int(m.group(4))
    return fraction(num, den, int(m.group(1)) if m.group(1) else None)


_COMPASS = {"N": "North", "S": "South", "E": "East", "W": "West"}


def _angle(m: re.Match[str]) -> str:
    deg, mins, secs, point = m.group(1, 2, 3, 4)
    parts = [f"{_number(deg)} {'degree' if deg == '1' else 'degrees'}"]
    if mins:
        parts.append(f"{_number(mins)} {'minute' if mins == '1' else 'minutes'}")
    if secs:
        parts.append(f"{_number(secs)} {'second' if secs == '1' else 'seconds'}")
    if point:
        parts.append(_COMPASS[point])
    if m.group(5):
        parts.append("latitude" if m.group(5) == "lat" else "longitude")
    if point:
        parts[-1] += _kept_stop(m)
    return " ".join(parts)


def _feet(m: re.Match[str]) -> str:
    feet, inches = m.group(1, 2)
    spoken = f"{cardinal(feet)} {'foot' if feet == '1' else 'feet'}"
    return spoken + (f" {cardinal(inches)} {'inch' if inches == '1' else 'inches'}" if inches else "")


def _old_money(m: re.Match[str]) -> str:
    """£ s. d. of old British books: £88 10s. -> eighty-eight pounds ten shillings."""
    pounds, shillings, pence = (m.group(1) or m.group(2)), m.group(3), m.group(4)
    parts = []
    if pounds:
        parts.append(f"{cardinal(pounds)} {'pound' if pounds == '1' else 'pounds'}")
    if shillings:
        parts.append(f"{cardinal(shillings)} {'shilling' if shillings == '1' else 'shillings'}")
    spoken = " ".join(parts)
    if pence:
        said = "a halfpenny" if pence == "½" else f"{cardinal(pence)} {'penny' if pence == '1' else 'pence'}"
        spoken = f"{spoken} and {said}" if spoken else said
    return spoken + _kept_stop(m)


_PENCE = r"(?:,?\s(\d{1,2}|½)\s?d\.)"
_SYMBOL_RULES: list[_Rule] = [
    (re.compile(rf"£\s?(\d[\d,]*)()(?:,?\s(\d{{1,2}})\s?s\.){_PENCE}?"), _old_money),
    (re.compile(rf"£\s?(\d[\d,]*)()(){_PENCE}"), _old_money),
    (re.compile(rf"\b(\d{{1,7}})\s?l\.()(?:,?\s(\d{{1,2}})\s?s\.)?{_PENCE}?"), _old_money),
    (re.compile(rf"(?<!['’\d])\b()()(\d{{1,3}})\s?s\.{_PENCE}?"), _old_money),
    (re.compile(r"\b(?:the )(\d*[23])d\b"), lambda m: "the " + ordinal(m.group(1))),
    (re.compile(r"\b(\d*[23])d\b(?!\.)"), lambda m: ordinal(m.group(1))),
    (re.compile(r"(?<![\w.])()()()(\d{1,2}|½)\s?d\."), _old_money),
    (re.compile(r"['’](\d)0s\b"), lambda m: _plural_tens(int(m.group(1)) * 10)),
    (re.compile(rf"(?:(\d+)[\s\u2009]?)?(?:([{_VULGAR}])|(\d+)⁄(\d+))"), _fraction),
    (
        re.compile(
            r"(\d+(?:\.\d+)?)\s?°(?![CF]\b)(?:\s?(\d+(?:\.\d+)?)\s?[′'](?:\s?(\d+(?:\.\d+)?)\s?[″\"])?)?"
            r"(?:\s?([NSEW])\b\.?(?:\s(lat|long)\.)?)?"
        ),
        _angle,
    ),
    (re.compile(r"(\d+)\s?′(?:\s?(\d+)\s?″)?"), _feet),
    (
        re.compile(r"(\d+)\s?″"),
        lambda m: f"{cardinal(m.group(1))} {'inch' if m.group(1) == '1' else 'inches'}",
    ),
    (re.compile(r"\b(\d+)([A-Z])\b"), lambda m: f"{cardinal(m.group(1))} {m.group(2)}"),  # 221B Baker Street
    (re.compile(r"§§\s?"), lambda m: "sections "),
    (re.compile(r"§\s?"), lambda m: "section "),
    (re.compile(r"¶\s?"), lambda m: "paragraph "),
]


def _plural_tens(n: int) -> str:
    spoken = cardinal(n)
    return spoken[:-1] + "ies" if spoken.endswith("y") else spoken + "s"


def normalize_en(text: str) -> str:
    """Spoken form of English display text."""
    text = heading_numeral(text)
    text = _abbreviations(text)
    for pattern, repl in _SYMBOL_RULES:
        text = pattern.sub(repl, text)
    text = roman_numerals(text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text
