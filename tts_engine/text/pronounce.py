"""The pronunciation front-end: spoken text of one span -> Tokens.

    p = Pronouncer.for_project(project_root)      # base lexicons/ < project lexicon.pls/.tsv
    p.substitute("e.g. this", "en")               # lexicon <alias> entries -> "for example this"
    p.tokens("我去银行。", "zh")                    # one Token per character, pinyin with tone numbers

Precedence: g2p < shared base lexicons < project lexicon (< inline SSML, which
the planner resolves before calling this). Pronunciations use citation tones
unless ``sandhi=True``.
"""
from __future__ import annotations

import re
from pathlib import Path

from tts_engine.model import Token
from tts_engine.text import g2p_en, g2p_zh
from tts_engine.text.lexicon import (Entry, Lexicon, load_base_lexicon,
                                     load_project_lexicon)


class Pronouncer:
    def __init__(self, lexicon: Lexicon | None = None, *, sandhi: bool = False) -> None:
        self.lexicon = lexicon or Lexicon()
        self.sandhi = sandhi
        self._alias_res = {lang: self._alias_patterns(lang) for lang in ("zh", "en")}

    @classmethod
    def for_project(cls, project_root: Path | None, *, sandhi: bool = False) -> "Pronouncer":
        lexicon = load_base_lexicon()
        if project_root is not None:
            lexicon = lexicon + load_project_lexicon(Path(project_root))
        return cls(lexicon, sandhi=sandhi)

    # ------------------------------------------------------------ aliases
    def _alias_patterns(self, lang: str) -> list[tuple[re.Pattern, str]]:
        by_key: dict[str, Entry] = {}
        for e in sorted(self.lexicon.aliases(lang), key=lambda e: e.layer):
            by_key[e.grapheme.casefold() if lang == "en" else e.grapheme] = e
        out = []
        for e in sorted(by_key.values(), key=lambda e: -len(e.grapheme)):
            if lang == "en":
                pat = re.compile(r"(?<!\w)" + re.escape(e.grapheme) + r"(?!\w)", re.IGNORECASE)
            else:
                pat = re.compile(re.escape(e.grapheme))
            out.append((pat, e.alias))
        return out

    def substitute(self, text: str, lang: str) -> str:
        """Apply lexicon <alias> entries (whole words, case-insensitive for en)."""
        for pat, alias in self._alias_res.get(_primary(lang), []):
            text = pat.sub(lambda _m, a=alias: a, text)
        return text

    # ------------------------------------------------------------ tokens
    def tokens(self, text: str, lang: str) -> tuple[Token, ...]:
        lang = _primary(lang)
        if lang == "zh":
            return self._zh_tokens(text)
        if lang == "en":
            return self._en_tokens(text)
        return tuple(Token(w, "", "g2p") for w in g2p_en.split_words(text))

    def _zh_tokens(self, text: str) -> tuple[Token, ...]:
        clean = text
        prons = g2p_zh.pinyin(clean)
        origins = ["g2p" if p else "" for p in prons]
        for entry in self.lexicon.zh_entries():
            _apply_zh_entry(entry, clean, prons, origins)
        if self.sandhi:
            prons = g2p_zh.apply_sandhi(clean, prons)
        return tuple(Token(c, p, o or "g2p") for c, p, o in zip(clean, prons, origins))

    def _en_tokens(self, text: str) -> tuple[Token, ...]:
        out = []
        for w in g2p_en.split_words(text):
            if not g2p_en.is_word(w):
                out.append(Token(w, "", "g2p"))
                continue
            entry = self.lexicon.en_lookup(w)
            if entry is not None and entry.pron:
                out.append(Token(w, entry.pron, entry.origin))
            else:
                out.append(Token(w, g2p_en.word_ipa(w), "g2p"))
        return tuple(out)

    def pronunciation(self, text: str, lang: str) -> str:
        """Space-separated pronunciation of a line (what `lector pronounce` prints)."""
        text = self.substitute(text, lang)
        return " ".join(t.pron for t in self.tokens(text, lang) if t.pron)


def _apply_zh_entry(entry: Entry, text: str, prons: list[str], origins: list[str]) -> None:
    """Overwrite readings where ``entry`` matches (inside its context word when given)."""
    sylls = entry.pron.split()
    han_offsets = [k for k, c in enumerate(entry.grapheme) if g2p_zh.is_han(c)]
    anchor = entry.context or entry.grapheme
    offset = entry.context.find(entry.grapheme) if entry.context else 0
    start = text.find(anchor)
    while start >= 0:
        for k, syl in zip(han_offsets, sylls):
            prons[start + offset + k] = syl
            origins[start + offset + k] = entry.origin
        start = text.find(anchor, start + 1)


def _primary(lang: str) -> str:
    return (lang or "").split("-")[0].split("_")[0].lower()
