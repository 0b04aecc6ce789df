"""The pronunciation front-end: spoken text of one span -> Tokens.

    p = Pronouncer.for_project(project_root)      # base lexicons/ < project lexicon.pls/.tsv
    p.substitute("e.g. this", "en")               # lexicon <alias> entries -> "for example this"
    p.tokens("我去银行。", "zh")                    # one Token per character, pinyin with tone numbers

Precedence: g2p < shared base lexicons < project lexicon (< inline SSML, which
the planner resolves before calling this). Pronunciations use citation tones
unless ``sandhi=True``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from lector.core.fsutil import atomic_write_text
from lector.core.model import Token
from lector.core.text import g2p_en, g2p_zh, segment
from lector.core.text.lexicon import Entry, Lexicon, load_base_lexicon, load_project_lexicon


class Pronouncer:
    def __init__(self, lexicon: Lexicon | None = None, *, sandhi: bool = False) -> None:
        self.lexicon = lexicon or Lexicon()
        self.sandhi = sandhi
        self._alias_res = {lang: self._alias_patterns(lang) for lang in ("zh", "en")}

    @classmethod
    def for_project(cls, project_root: Path | None, *, sandhi: bool = False) -> Pronouncer:
        lexicon = load_base_lexicon()
        if project_root is not None:
            from lector.core.ingest.epub_lexicon import manuscript_lexicon  # PLS files an EPUB links

            lexicon = (
                lexicon + manuscript_lexicon(Path(project_root)) + load_project_lexicon(Path(project_root))
            )
        return cls(lexicon, sandhi=sandhi)

    # ------------------------------------------------------------ aliases
    def _alias_patterns(self, lang: str) -> list[tuple[re.Pattern[str], str]]:
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
            text = pat.sub(_literal(alias), text)
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
        return tuple(Token(c, p, o or "g2p") for c, p, o in zip(clean, prons, origins, strict=True))

    def _en_tokens(self, text: str) -> tuple[Token, ...]:
        """The words read in the context of the whole span (weak forms, homographs); a lexicon
        entry replaces the reading of its word only."""
        words = g2p_en.split_words(text)
        entries = [self.lexicon.en_lookup(w) if g2p_en.is_word(w) else None for w in words]
        unread = any(g2p_en.is_word(w) and not (e and e.pron) for w, e in zip(words, entries, strict=True))
        # espeak still reads the lexicon's words: their neighbours' weak forms depend on them
        context = g2p_en.tokens_ipa(words) if unread else [""] * len(words)
        out = []
        for w, entry, ipa in zip(words, entries, context, strict=True):
            if entry is not None and entry.pron:
                out.append(Token(w, entry.pron, entry.origin))
            else:
                out.append(Token(w, ipa, "g2p"))
        return tuple(out)

    def pronunciation(self, text: str, lang: str) -> str:
        """Space-separated pronunciation of a line (what `lector pronounce` prints)."""
        text = self.substitute(text, lang)
        return " ".join(t.pron for t in self.tokens(text, lang) if t.pron)


TOKEN_CACHE_VERSION = "tok2"
_FRONTEND_SOURCES = (
    "pronounce.py",
    "text/g2p_zh.py",
    "text/g2p_en.py",
    "text/ipa_align.py",
    "text/polyphone_rules.py",
)
_FRONTEND_PACKAGES = ("g2pM", "pypinyin", "jieba", "piper-tts", "rapidfuzz")


def frontend_version(lexicon: Lexicon, sandhi: bool) -> str:
    """Identity of everything tokens() depends on besides its input: this front-end's code, the
    g2p packages' versions, the lexicon's entries and the sandhi switch (no model is loaded)."""
    from importlib import metadata

    h = hashlib.sha256(f"{TOKEN_CACHE_VERSION}|sandhi={sandhi}|".encode())
    here = Path(__file__).parent  # lector/core
    for name in _FRONTEND_SOURCES:
        h.update((here / name).read_bytes())
    for pkg in _FRONTEND_PACKAGES:
        try:
            h.update(f"{pkg}={metadata.version(pkg)}|".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{pkg}=none|".encode())
    h.update(repr(lexicon.entries).encode("utf-8"))
    return h.hexdigest()


class CachedPronouncer:
    """A :class:`Pronouncer` whose ``tokens()`` are remembered in a JSON file keyed by (spoken text,
    lang) under the front-end identity (:func:`frontend_version`), so planning an unchanged book does
    not load g2pM, jieba or espeak at all (the g2p modules load their models on first use only).
    ``flush()`` writes the entries used by this run atomically."""

    def __init__(self, inner: Pronouncer, path: Path) -> None:
        self.inner = inner
        self.path = Path(path)
        self.version = frontend_version(inner.lexicon, inner.sandhi)
        self._known = self._read()
        self._used: dict[str, list[list[str]]] = {}

    @classmethod
    def for_project(cls, project_root: Path, path: Path, *, sandhi: bool = False) -> CachedPronouncer:
        return cls(Pronouncer.for_project(project_root, sandhi=sandhi), path)

    def _read(self) -> dict[str, list[list[str]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        ok = (
            isinstance(data, dict)
            and data.get("frontend") == self.version
            and isinstance(data.get("tokens"), dict)
        )
        tokens: dict[str, list[list[str]]] = data["tokens"] if ok else {}
        return tokens

    def substitute(self, text: str, lang: str) -> str:
        return self.inner.substitute(text, lang)

    def tokens(self, text: str, lang: str) -> tuple[Token, ...]:
        key = f"{lang}\x1f{text}"
        rows = self._used.get(key) or self._known.get(key)
        if rows is None:
            rows = [[t.text, t.pron, t.origin] for t in self.inner.tokens(text, lang)]
        self._used[key] = rows
        return tuple(Token(*row) for row in rows)

    def flush(self) -> None:
        """Write the tokens used since construction (only when they differ from the file)."""
        if self._used == self._known:
            return
        data = json.dumps({"frontend": self.version, "tokens": self._used}, ensure_ascii=False)
        try:
            atomic_write_text(self.path, data, fsync=False)  # the umask's mode, not mkstemp's 0600
        except OSError:
            return  # a read-only build folder only costs the cache
        self._known = dict(self._used)


def _apply_zh_entry(entry: Entry, text: str, prons: list[str], origins: list[str]) -> None:
    """Overwrite readings where ``entry`` matches (inside its context word when given)."""
    sylls = entry.pron.split()
    han_offsets = [k for k, c in enumerate(entry.grapheme) if segment.is_han(c)]
    anchor = entry.context or entry.grapheme
    offset = entry.context.find(entry.grapheme) if entry.context else 0
    start = text.find(anchor)
    while start >= 0:
        for k, syl in zip(han_offsets, sylls, strict=True):
            prons[start + offset + k] = syl
            origins[start + offset + k] = entry.origin
        start = text.find(anchor, start + 1)


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts ``text`` as it is (no backslash escapes)."""
    return lambda _m: text


def _primary(lang: str) -> str:
    return (lang or "").split("-")[0].split("_")[0].lower()
