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

from lector.core.text.dialect_en import respell_dialect
from lector.core.text.numbers_en import (
    MONTHS,
    SCALES,
    cardinal,
    clock,
    date,
    decade,
    decimal,
    digits,
    fraction,
    money,
    month_index,
    number,
    ordinal,
    plural_tens,
    range_end,
    year,
)
from lector.core.text.roman_en import heading_numeral, roman_numerals

# the number readers live in numbers_en; callers may import them from here
__all__ = [
    "ABBREVIATIONS",
    "MONTHS",
    "NUMBER_ABBREVIATIONS",
    "SENTENCE_FINAL",
    "UNITS",
    "cardinal",
    "clock",
    "date",
    "decimal",
    "digits",
    "fraction",
    "money",
    "normalize_en",
    "ordinal",
    "year",
]

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
        lambda m: date(month_index(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None),
    ),
    (
        re.compile(rf"\b(\d{{1,2}}) ({_MONTH_RE}),? (\d{{4}})\b"),
        lambda m: f"the {ordinal(m.group(1))} of {MONTHS[month_index(m.group(2)) - 1]}, {year(m.group(3))}",
    ),
    (
        re.compile(r"(?<![\d.-])\b(\d{1,4})\s?[-–]\s?(\d{1,4})\b(?![.-]\d)"),
        lambda m: f"{range_end(m.group(1))} to {range_end(m.group(2))}",
    ),
    (
        re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([ap]\.?m\.?)(?=\W|$))?", re.I),
        lambda m: (
            clock(int(m.group(1)), int(m.group(2)), m.group(3) or "")
            + ("." if (m.group(3) or "").endswith(".") and m.end() == len(m.string) else "")
        ),
    ),
    (
        re.compile(rf"([$£€])\s?({_NUM})(?:\s({'|'.join(SCALES)}))?\b"),
        lambda m: money(m.group(1), m.group(2), m.group(3) or ""),
    ),
    (re.compile(rf"({_NUM})\s?%"), lambda m: f"{number(m.group(1))} percent"),
    (re.compile(r"\b(\d{2})(\d{2})s\b"), lambda m: decade(m.group(1), m.group(2))),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b"), lambda m: ordinal(m.group(1))),
    (re.compile(r"\b(1[1-9]\d\d|20\d\d)\b(?![.,]\d)"), lambda m: year(m.group(1))),
    (re.compile(rf"(?<![\w-])-({_NUM})\b"), lambda m: "minus " + number(m.group(1))),
    (
        re.compile(rf"({_NUM})\s?°([CF])\b"),
        lambda m: f"{number(m.group(1))} degrees {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}",
    ),
    (re.compile(rf"\b({_NUM})\b"), lambda m: number(m.group(1))),
]


def _alternation(words: Iterable[str]) -> str:
    """One regex alternative per abbreviation, longest first (Mrs. before Mr.)."""
    return "|".join(
        re.escape(w) + (r"(?!\w)" if w[-1].isalnum() else "") for w in sorted(words, key=len, reverse=True)
    )


# compiled once: planning a book runs these on every sentence, next to pysbd's own regexes,
# which would push per-call patterns out of re's small cache
# a capital "I" followed by a word is the pronoun ("“No. I warn’t ever murdered"), never "number one"
_NUMERAL_AFTER = {
    True: r"[ivxlcdm]+\b|(?:[IVXLCDM]{2,}|[VXLCDM])\b|I\b(?![’']\w|\s+[A-Za-z’'])",
    False: r"[ivxlcdm]+\b|(?:[IVXLCDM]{2,}|[VX])\b",
}
_NUMBER_ABBR_RES = [
    re.compile(
        r"(?<![\w.])("
        + _alternation(w for w in NUMBER_ABBREVIATIONS if w[0].isupper() == upper)
        + rf")(?=\s?\d|\s(?:{_NUMERAL_AFTER[upper]})(?!\.\w))"
    )
    for upper in (True, False)
]
_ABBR_RE = re.compile(r"(?<![\w.])(?:" + _alternation(ABBREVIATIONS) + ")")


# Latin month words of letters and newspapers, read as such only after a day ("the 22nd inst.")
_MONTH_WORDS = {"inst.": "instant", "ult.": "ultimo", "prox.": "proximo"}
_MONTH_WORD_RE = re.compile(r"(?<=\d(?:st|nd|rd|th) )(inst\.|ult\.|prox\.)")
# an editor's or translator's attribution closing a note or a quotation ("—Ed.")
_ATTRIBUTION_RE = re.compile(r"(?<=[—–])(\u2060?\s?)(Ed|Eds|Trans|Tr)\.(?=[\s’”)\]]*$)")
_ATTRIBUTIONS = {"Ed": "Editor", "Eds": "Editors", "Trans": "Translator", "Tr": "Translator"}
# "St." is Saint before a name and Street after one, but a street ends its sentence before a
# pronoun or an article ("Baker St. The house") where no saint's name is a function word
_STREET_END_RE = re.compile(
    r"(?<=[a-z] )St\.(?= (?:The|A|An|He|She|It|I|We|They|You|There|This|That|His|Her|My|Our|But|And|So"
    r"|Then|When|In|On|At)\b)"
)
# a speaker cut off inside a person's name ("Mr. Neville St.\u2060—Oh"): after a title and a name
_SAINT_CUT_RE = re.compile(
    r"\b((?:Mr|Mrs|Ms|Dr|Mister|Missus|Miss|Sir|Lord|Lady|Master|Madame|Father)\.? (?:[A-Z][a-z]+ ){0,2})"
    r"St\.(?=\u2060?\s?[—–-])"
)


def _abbreviations(text: str) -> str:
    text = _MONTH_WORD_RE.sub(lambda m: _MONTH_WORDS[m.group(1)] + _kept_stop(m), text)
    text = _ATTRIBUTION_RE.sub(lambda m: m.group(1) + _ATTRIBUTIONS[m.group(2)] + ".", text)
    text = _STREET_END_RE.sub("Street.", text)
    text = _SAINT_CUT_RE.sub(r"\1Saint", text)
    text = re.sub(r"\bSt\.(?= [A-Z])", "Saint", text)
    text = re.sub(r"(?<=[a-z] )St\.", lambda m: "Street" + _kept_stop(m), text)
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
    parts = [f"{number(deg)} {'degree' if deg == '1' else 'degrees'}"]
    if mins:
        parts.append(f"{number(mins)} {'minute' if mins == '1' else 'minutes'}")
    if secs:
        parts.append(f"{number(secs)} {'second' if secs == '1' else 'seconds'}")
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
    (re.compile(r"['’](\d)0s\b"), lambda m: plural_tens(int(m.group(1)) * 10)),
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


def normalize_en(text: str) -> str:
    """Spoken form of English display text."""
    text = respell_dialect(text)
    text = heading_numeral(text)
    text = _abbreviations(text)
    for pattern, repl in _SYMBOL_RULES:
        text = pattern.sub(repl, text)
    text = roman_numerals(text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text
