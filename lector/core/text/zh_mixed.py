"""English (Latin-script) runs inside Chinese text, read by a Mandarin voice by rules.

Used when ``[manuscript] mixed_english`` resolves to ``"rules"`` (no English voice in the
cast, or the producer asks for it). The planner cuts a Chinese sentence into language spans
(``segment.split_lang``): ``我用iPhone 15拍的`` -> zh ``我用``, en ``iPhone 15``, zh ``拍的``.
Under "voice" the en span stays ``lang="en"`` (IPA tokens) and the renderer gives it to the
cast's English voice; under "rules" :func:`read_english_span` turns it into a ``lang="zh"``
span whose tokens carry pinyin, so the Chinese voice speaks it:

    GDP      -> ji4 di4 pi1             (acronyms and unknown words: English letter names)
    iPhone   -> ai4 feng1               (known words: WORDS)
    15       -> shi2 wu3                (numbers: Chinese reading)
    kg, m/s  -> gong1 jin1, mi3 mei3 miao3  (unit symbols no English word is spelled like)
    1980s    -> yi1 jiu3 ba1 ling2 nian2 dai4
    ＧＤＰ   -> ji4 di4 pi1             (full-width letters read as their ASCII twins)

A Token may hold several syllables (``W`` -> ``da2 bu5 liu5``). Unknown lower-case words are
spelled too and listed by :func:`spelled_words`, so the plan can report them loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

from lector.core.model import Span, Token
from lector.core.text.zh_units import MIXED_UNIT_SYMBOLS, UNIT_READINGS

# English letter names in Mandarin syllables (the same readings fastspeech2-zh spells with)
LETTER_NAMES: dict[str, str] = {
    "A": "ei1",
    "B": "bi4",
    "C": "xi1",
    "D": "di4",
    "E": "yi4",
    "F": "ei2 fu5",
    "G": "ji4",
    "H": "ei1 qu1",
    "I": "ai4",
    "J": "jie4",
    "K": "kai4",
    "L": "ei2 le5",
    "M": "ei2 mu5",
    "N": "en1",
    "O": "ou1",
    "P": "pi1",
    "Q": "qiu1",
    "R": "a1 er5",
    "S": "ei2 si5",
    "T": "ti4",
    "U": "you1",
    "V": "wei1",
    "W": "da2 bu5 liu5",
    "X": "ei2 ke4 si5",
    "Y": "wai4",
    "Z": "zei4",
}
# words Chinese readers say as words, not letters (lower-cased key -> Mandarin syllables)
WORDS: dict[str, str] = {
    "iphone": "ai4 feng1",
    "ipad": "ai4 pai4 de5",
    "wifi": "wai4 fei1",
    "wi-fi": "wai4 fei1",
    "email": "yi1 mei2 er5",
    "e-mail": "yi1 mei2 er5",
    "ok": "ou1 kei4",
    "okay": "ou1 kei4",
    "hello": "ha1 lou2",
    "bye": "bai1",
    "google": "gu3 ge1",
    "windows": "wen1 dou1 si1",
    "office": "ao4 fei1 si1",
    "excel": "yi1 ke4 sai4 ou5",
    "word": "wo4 de5",
    "apple": "ai1 po5",
    "android": "an1 zhuo2",
    "cool": "ku4",
    "bug": "ba1 ge5",
    "logo": "luo4 ge1",
    "nasa": "na4 sa4",
    "covid": "ke1 wei2 de2",
    "unesco": "you2 nei4 si1 ke4",
    "fans": "fen3 si1",
    "yes": "ye1 si1",
    "no": "nou1",
    "taxi": "tai4 ke4 xi1",
    "party": "pai4 dui4",
    "show": "xiu4",
    "high": "hai1",
}
# unit symbols read as Chinese units wherever they stand (zh_units says which and why)
_UNIT = "|".join(re.escape(u) for u in MIXED_UNIT_SYMBOLS)
_PIECE = re.compile(
    rf"(?:{_UNIT})(?![A-Za-z])|\d{{4}}s(?![A-Za-z])|[A-Za-z]+(?:[-'][A-Za-z]+)*|\d+(?:\.\d+)?|\s+|.", re.S
)
MixedEnglish = Literal["voice", "rules"]


def resolve_mode(setting: str, cast_langs: Iterable[str]) -> MixedEnglish:
    """ "auto" -> "voice" when a cast voice speaks English, else "rules"; others unchanged."""
    if setting == "auto":
        return "voice" if any((lang or "").lower().split("-")[0] == "en" for lang in cast_langs) else "rules"
    if setting == "voice":
        return "voice"
    if setting == "rules":
        return "rules"
    raise ValueError(f"mixed_english must be auto, voice or rules, not {setting!r}")


def _spell(word: str) -> str:
    return " ".join(LETTER_NAMES[c] for c in word.upper() if c in LETTER_NAMES)


def _number(digits: str) -> str:
    from lector.core.text.g2p_zh import pinyin
    from lector.core.text.zh_numbers import number_to_zh

    return " ".join(p for p in pinyin(number_to_zh(digits)) if p)


def _chinese(spoken: str) -> str:
    from lector.core.text.g2p_zh import pinyin

    return " ".join(p for p in pinyin(spoken) if p)


def _piece_pron(piece: str) -> str:
    from lector.core.text.zh_numbers import year_to_zh

    key = piece.lower()
    if key in WORDS:
        return WORDS[key]
    if piece in UNIT_READINGS and len(piece) > 1:
        return _chinese(UNIT_READINGS[piece])
    if piece[0].isdigit():
        return _chinese(year_to_zh(piece[:4]) + "年代") if piece.endswith("s") else _number(piece)
    if piece[0].isascii() and piece[0].isalpha():
        return _spell(piece)
    return ""


def english_tokens(text: str) -> tuple[Token, ...]:
    """Tokens with Mandarin syllables for an English run (see the module docstring). Full-width
    letters and digits are read as their ASCII twins; each Token keeps the text as written."""
    from lector.core.text.normalize_zh import to_halfwidth

    return tuple(
        Token(text[m.start() : m.end()], _piece_pron(m.group(0)), "rules")
        for m in _PIECE.finditer(to_halfwidth(text))
    )


def spelled_words(text: str) -> list[str]:
    """Lower-case words of ``text`` that the rules can only spell (not acronyms, not known)."""
    from lector.core.text.normalize_zh import to_halfwidth

    return [
        w
        for w in re.findall(r"[A-Za-z]+(?:[-'][A-Za-z]+)*", to_halfwidth(text))
        if w.lower() not in WORDS and not w.isupper() and len(w) > 3
    ]


def read_english_span(span: Span) -> Span:
    """An ``en`` span inside Chinese text as a ``zh`` span the Chinese voice reads by rules."""
    if span.lang.split("-")[0].lower() != "en":
        return span
    return replace(span, lang="zh", tokens=english_tokens(span.spoken or span.text))


def zh_line_pronunciation(text: str, zh_pron: Callable[[str], str]) -> str:
    """Pinyin of a Chinese display line as a Chinese voice reads it under "rules": normalised
    (numbers, dates, units), English runs by rules, the rest by ``zh_pron(run) -> str``."""
    from lector.core.text.normalize_zh import normalize_zh
    from lector.core.text.segment import split_lang

    parts = []
    for run, lang in split_lang(normalize_zh(text), "zh"):
        if lang == "en":
            parts += [t.pron for t in english_tokens(run) if t.pron]
        else:
            parts.append(zh_pron(run))
    return " ".join(p for p in parts if p)
