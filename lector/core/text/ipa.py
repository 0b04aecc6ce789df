"""Phoneme strings from lexicons and SSML: IPA look-alike repair and X-SAMPA -> IPA.

Real lexicons write IPA with ASCII look-alikes (``g`` for ``ɡ``, ``:`` for ``ː``, ``'`` for ``ˈ``)
or with ligatures (``ʧ``); :func:`repair_ipa` replaces those that the voice's symbol set lacks and
says which, so the caller can warn naming the line. :func:`xsampa_to_ipa` converts X-SAMPA
(SSML ``alphabet="x-sampa"``) with a longest-match table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Container

# look-alike -> IPA (applied only to characters the voice's inventory lacks)
LOOKALIKES = {
    "g": "ɡ",
    ":": "ː",
    "'": "ˈ",
    "’": "ˈ",
    "ʼ": "ˈ",
    "`": "ˈ",
    "ˊ": "ˈ",
    ",": "ˌ",
    "ˏ": "ˌ",
    "ʧ": "tʃ",
    "ʤ": "dʒ",
    "ʦ": "ts",
    "ʣ": "dz",
    "ǝ": "ə",
    "ɝ": "ɜː",
    "ɩ": "ɪ",
    "ɷ": "ʊ",
    "ε": "ɛ",
    "φ": "ɸ",
    "γ": "ɣ",
    "ʀ": "ʁ",
    "ᴜ": "ʊ",
    "ɪ̈": "ɨ",
    # boundary and tie marks the voices do not take: dropped
    ".": "",
    "͡": "",
    "͜": "",
    "‿": "",
    "|": "",
    "‖": "",
    "/": "",
    "[": "",
    "]": "",
}

# X-SAMPA (Wells) -> IPA; longest symbols first when matching
_XSAMPA = {
    "a": "a",
    "b": "b",
    "b_<": "ɓ",
    "c": "c",
    "d": "d",
    "d`": "ɖ",
    "d_<": "ɗ",
    "e": "e",
    "f": "f",
    "g": "ɡ",
    "g_<": "ɠ",
    "h": "h",
    "h\\": "ɦ",
    "i": "i",
    "j": "j",
    "j\\": "ʝ",
    "k": "k",
    "l": "l",
    "l`": "ɭ",
    "l\\": "ɺ",
    "m": "m",
    "n": "n",
    "n`": "ɳ",
    "o": "o",
    "p": "p",
    "p\\": "ɸ",
    "q": "q",
    "r": "r",
    "r`": "ɽ",
    "r\\": "ɹ",
    "r\\`": "ɻ",
    "s": "s",
    "s`": "ʂ",
    "s\\": "ɕ",
    "t": "t",
    "t`": "ʈ",
    "u": "u",
    "v": "v",
    "v\\": "ʋ",
    "w": "w",
    "x": "x",
    "x\\": "ɧ",
    "y": "y",
    "z": "z",
    "z`": "ʐ",
    "z\\": "ʑ",
    "A": "ɑ",
    "B": "β",
    "B\\": "ʙ",
    "C": "ç",
    "D": "ð",
    "E": "ɛ",
    "F": "ɱ",
    "G": "ɣ",
    "G\\": "ɢ",
    "H": "ɥ",
    "H\\": "ʜ",
    "I": "ɪ",
    "I\\": "ᵻ",
    "J": "ɲ",
    "J\\": "ɟ",
    "K": "ɬ",
    "K\\": "ɮ",
    "L": "ʎ",
    "L\\": "ʟ",
    "M": "ɯ",
    "M\\": "ɰ",
    "N": "ŋ",
    "N\\": "ɴ",
    "O": "ɔ",
    "O\\": "ʘ",
    "P": "ʋ",
    "Q": "ɒ",
    "R": "ʁ",
    "R\\": "ʀ",
    "S": "ʃ",
    "T": "θ",
    "U": "ʊ",
    "U\\": "ᵿ",
    "V": "ʌ",
    "W": "ʍ",
    "X": "χ",
    "X\\": "ħ",
    "Y": "ʏ",
    "Z": "ʒ",
    "?": "ʔ",
    "?\\": "ʕ",
    "@": "ə",
    "@\\": "ɘ",
    "@`": "ɚ",
    "{": "æ",
    "}": "ʉ",
    "1": "ɨ",
    "2": "ø",
    "3": "ɜ",
    "3\\": "ɞ",
    "4": "ɾ",
    "5": "ɫ",
    "6": "ɐ",
    "7": "ɤ",
    "8": "ɵ",
    "9": "œ",
    "&": "ɶ",
    '"': "ˈ",
    "%": "ˌ",
    ":": "ː",
    ":\\": "ˑ",
    "`": "˞",
    "~": "\u0303",
    "=": "\u0329",
    "_~": "\u0303",
    "_=": "\u0329",
    "_h": "ʰ",
    "_j": "ʲ",
    "_w": "ʷ",
    "_G": "ˠ",
    "_?\\": "ˤ",
    "_0": "\u0325",
    "_^": "\u032f",
    "_d": "\u032a",
    "-": "",
    ".": ".",
    "tS": "tʃ",
    "dZ": "dʒ",
    "ts": "ts",
    "dz": "dz",
    " ": " ",
}
_XSAMPA_KEYS = sorted(_XSAMPA, key=len, reverse=True)


def repair_ipa(ipa: str, allowed: Container[str]) -> tuple[str, list[tuple[str, str]]]:
    """``ipa`` (NFD) with look-alikes the ``allowed`` set lacks replaced and diacritics it lacks
    (voiceless ring, ...: refinements the voice cannot render) dropped; also the (was, now) pairs."""
    out, fixed = [], []
    for ch in unicodedata.normalize("NFD", ipa):
        if ch in allowed or ch.isspace():
            out.append(ch)
            continue
        now = LOOKALIKES.get(ch, "" if unicodedata.category(ch) == "Mn" else None)
        if now is None:
            out.append(ch)
            continue
        out.append(now)
        if (ch, now) not in fixed:
            fixed.append((ch, now))
    return unicodedata.normalize("NFC", "".join(out)), fixed


def describe_repairs(fixed: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a!r} -> {b!r}" if b else f"{a!r} dropped" for a, b in fixed)


def xsampa_to_ipa(text: str) -> str:
    """X-SAMPA -> IPA; raises ValueError naming the first symbol it does not know."""
    out, i = [], 0
    while i < len(text):
        for key in _XSAMPA_KEYS:
            if text.startswith(key, i):
                out.append(_XSAMPA[key])
                i += len(key)
                break
        else:
            raise ValueError(f"unknown X-SAMPA symbol {text[i]!r} at position {i + 1} of {text!r}")
    return "".join(out)
