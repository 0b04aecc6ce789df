"""Roman numerals in English text, read by context (the ``roman`` package validates them).

    Chapter XIV -> Chapter fourteen     vol. ii -> volume two (after normalize_en's abbreviations)
    George III -> George the Third      Henry VIII. -> Henry the Eighth.
    II (a heading alone) -> two         XIV. The Return -> fourteen. The Return

The pronoun stays a pronoun: "I" is a numeral only after a heading keyword ("Chapter I", not
"the book I read"), as a heading of its own, or after a name in the middle of a sentence
and before punctuation or "of" ("Charles I of England"; "Then I went" is untouched).
Any other capital numeral of two or more letters (in I, V, X) or four or more letters is read
as a number when it is not part of an all-capitals run of words (espeak-ng would otherwise say
"Roman three" or spell the letters).
"""

from __future__ import annotations

import re

import roman
from num2words import num2words

KEYWORDS = (
    "chapter",
    "part",
    "book",
    "volume",
    "volumes",
    "act",
    "scene",
    "canto",
    "section",
    "stave",
    "psalm",
    "appendix",
    "letter",
    "article",
    "plate",
    "figure",
    "table",
    "number",
    "numbers",
    "lecture",
    "lesson",
    "epistle",
    "sonnet",
    "stanza",
    "page",
    "pages",
    "fytte",
)
_KEYWORD_RE = re.compile(rf"\b({'|'.join(KEYWORDS)})(\s+)([IVXLCDM]+|[ivxlcdm]+)\b(?!['’]\w)", re.IGNORECASE)
_REGNAL_RE = re.compile(r"\b([A-Z][a-z]+)(\s+)([IVX]+)\b(?!['’]\w)")
_LONE_RE = re.compile(r"\b(?<!['’])([IVX]{2,}|[IVXLCDM]{4,})\b(?!['’]\w)")
_HEADING_RE = re.compile(r"^(\s*)([IVXLC]+)(\.?\s*$|[.:]\s+(?=[A-Z“‘\"']))")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;—]\s*)[\s“‘\"'(\[]*$")


def number_words(n: int | float, to: str = "cardinal") -> str:
    """``num2words`` (untyped; English) as a typed call."""
    words: str = num2words(n, to=to)
    return words


def value(numeral: str) -> int | None:
    """The numeral's value, or None when it is not a well-formed Roman numeral."""
    try:
        return roman.fromRoman(numeral.upper())
    except roman.InvalidRomanNumeralError:
        return None


def heading_numeral(text: str) -> str:
    """A heading that is a numeral alone ("II", "XIV.") or opens with one ("IV. The Return")."""
    m = _HEADING_RE.match(text)
    n = value(m.group(2)) if m else None
    if m is None or n is None:
        return text
    return m.group(1) + number_words(n).replace(",", "") + m.group(3) + text[m.end() :]


_NUMBER_ONLY = re.compile(r"^\s*(?:([IVXLCDM]+)|(\d{1,4}))\.?\s*$")


def chapter_number_words(text: str) -> str | None:
    """How a narrator announces a chapter whose heading is a number alone ("XXV", "12."):
    "Chapter twenty-five"; None for any other heading."""
    m = _NUMBER_ONLY.match(text)
    n = (value(m.group(1)) if m.group(1) else int(m.group(2))) if m else None
    return f"Chapter {number_words(n).replace(',', '')}" if n else None


def roman_numerals(text: str) -> str:
    text = _KEYWORD_RE.sub(_keyword, text)
    text = _REGNAL_RE.sub(_regnal, text)
    return _LONE_RE.sub(_lone, text)


def _keyword(m: re.Match[str]) -> str:
    word, space, numeral = m.groups()
    n = value(numeral)
    if n is None or (numeral.isupper() and word.islower()):
        return m.group(0)
    if numeral == "I" and re.match(r"\s+(?!of\b|and\b)[a-z]", m.string[m.end() :]):
        return m.group(0)  # "Part I was sure" is the pronoun
    return f"{word}{space}{number_words(n).replace(',', '')}"


def _regnal(m: re.Match[str]) -> str:
    name, space, numeral = m.groups()
    n = value(numeral)
    if n is None or name.lower() in KEYWORDS:
        return m.group(0)
    if numeral == "I":
        before, after = m.string[: m.start()], m.string[m.end() :]
        if re.match(r"\s+of\s+[A-Z]", after):
            pass  # "Charles I of England"
        elif _SENTENCE_START.search(before) or not re.match(r"\s*(?:[,.;:!?)”’\"']|$)", after):
            return m.group(0)
    return f"{name}{space}the {number_words(n, to='ordinal').capitalize()}"


def _lone(m: re.Match[str]) -> str:
    n = value(m.group(1))
    before, after = m.string[: m.start()], m.string[m.end() :]
    caps_run = re.search(r"\b[A-Z]{2,}\W*$", before) or re.match(r"\W*[A-Z]{2,}\b", after)
    if n is None or caps_run:
        return m.group(0)
    # a long numeral in running text is most often a year (MDCCCLXXXVIII on a title page)
    return number_words(n, to="year" if 1100 <= n < 2000 else "cardinal").replace(",", "")
