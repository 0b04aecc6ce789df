"""Pronunciation lexicons: W3C PLS 1.0 (``.pls``) and TSV (``.tsv``).

TSV: ``word<TAB>pronunciation[<TAB>context]``, ``#`` comments and blank lines
allowed. Mandarin pronunciations are pinyin with tone numbers, one syllable per
Han character (``银行\\tyin2 hang2``); a context entry (``行\\thang2\\t银行``)
applies only where the character occurs inside the context word. English
pronunciations are IPA as espeak-ng writes it; words match case-insensitively.

PLS: ``<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
alphabet="ipa|x-pinyin|sapi|x-sampa">`` with ``<lexeme role=...>``s holding one or more
``<grapheme>``, ``<phoneme>`` (optional ``alphabet``, ``prefer``) and/or ``<alias>`` (``prefer``).
The pronunciation used is the first ``prefer="true"`` one, else the first in document order
(PLS 1.0 §4.6). IPA written with common look-alikes (ASCII ``g`` for ``ɡ``, ``:`` for ``ː``,
``'`` for ``ˈ``) is repaired with a plan warning naming the line.

Every entry is validated on load; a bad one raises :class:`LexiconError`
naming the file, the line and a fix.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lector.core.errors import LexiconError
from lector.core.text.lexicon_values import fail, ipa_symbols, lang_of, parse_ipa, parse_pinyin

if TYPE_CHECKING:
    from lxml import etree

# the value checks live in lexicon_values; readers import them from here with the loaders
__all__ = [
    "PINYIN_ALPHABETS",
    "PLS_NS",
    "Entry",
    "Lexicon",
    "base_lexicon_dir",
    "ipa_symbols",
    "lang_of",
    "load_base_lexicon",
    "load_lexicon",
    "load_pls",
    "load_project_lexicon",
    "load_tsv",
    "parse_ipa",
    "parse_pinyin",
]

PLS_NS = "http://www.w3.org/2005/01/pronunciation-lexicon"
PINYIN_ALPHABETS = ("x-pinyin", "sapi", "pinyin")


@dataclass(frozen=True)
class Entry:
    """One lexicon entry. ``pron``: zh space-separated pinyin, en IPA ("" if alias only)."""

    grapheme: str
    pron: str
    lang: str  # "zh" | "en"
    source: str  # "<file>:<line>"
    alias: str = ""
    context: str = ""  # zh: the entry applies only inside this word
    layer: int = 0  # 0 = shared base, 1 = project; higher wins
    role: str = ""  # PLS lexeme role(s), space-separated ("claws:VVI claws:VV0"), for SSML <w role>

    @property
    def origin(self) -> str:
        return f"lexicon:{self.source}"


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...] = ()

    def __add__(self, other: Lexicon) -> Lexicon:
        """``base + project``: entries of ``other`` take precedence."""
        return Lexicon(self.entries + other.entries)

    def with_layer(self, layer: int) -> Lexicon:
        return Lexicon(tuple(Entry(**{**e.__dict__, "layer": layer}) for e in self.entries))

    def zh_entries(self) -> tuple[Entry, ...]:
        """Mandarin pron entries in application order (later wins): by layer, then
        plain before context entries, then shorter before longer graphemes."""
        items = [
            (e.layer, bool(e.context), len(e.context or e.grapheme), k, e)
            for k, e in enumerate(self.entries)
            if e.lang == "zh" and e.pron
        ]
        return tuple(item[-1] for item in sorted(items))

    def en_lookup(self, word: str, role: str = "") -> Entry | None:
        """The entry for ``word``; with ``role`` (SSML ``<w role>``) the lexeme of that role first."""
        if role:
            hit = self._en_roles.get((word.casefold(), role))
            if hit is not None:
                return hit
        return self._en_index.get(word.casefold())

    def lookup(self, word: str, role: str = "") -> Entry | None:
        """Any entry (pron or alias, any language) for ``word``: role match, else no role, else any."""
        cands = [e for e in self.entries if e.grapheme.casefold() == word.casefold()]
        tests: tuple[Callable[[Entry], object], ...] = (
            lambda e: role and role in e.role.split(),
            lambda e: not e.role,
            lambda e: True,
        )
        for test in tests:
            found = [e for e in cands if test(e)]
            if found:
                return max(found, key=lambda e: e.layer)
        return None

    def graphemes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.grapheme for e in self.entries))

    def aliases(self, lang: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.alias and e.lang == lang)

    @cached_property
    def _en_index(self) -> dict[str, Entry]:
        index: dict[str, Entry] = {}
        # later layers and later entries win, except that a lexeme with a role applies without one
        # only when no role-free lexeme has that word (then the first such lexeme, PLS document order)
        for e in sorted((e for e in self.entries if e.lang == "en" and e.pron), key=lambda e: e.layer):
            old = index.get(e.grapheme.casefold())
            if old is None or old.layer < e.layer or not e.role:
                index[e.grapheme.casefold()] = e
        return index

    @cached_property
    def _en_roles(self) -> dict[tuple[str, str], Entry]:
        return {
            (e.grapheme.casefold(), r): e
            for e in sorted(self.entries, key=lambda e: e.layer)
            if e.lang == "en" and e.pron
            for r in e.role.split()
        }


# ---------------------------------------------------------------- loaders


def _entry(
    grapheme: str,
    pron: str,
    alphabet: str,
    source: tuple[str, int | None],
    *,
    alias: str = "",
    context: str = "",
    role: str = "",
) -> Entry:
    lang = lang_of(grapheme)
    where = f"{source[0]}:{source[1]}" if source[1] else source[0]
    if pron and alphabet == "x-sampa":
        from .ipa import xsampa_to_ipa

        try:
            pron, alphabet = xsampa_to_ipa(pron), "ipa"
        except ValueError as exc:
            raise fail(
                f"{exc} (entry {grapheme!r})", source, 'write valid X-SAMPA or use alphabet="ipa"'
            ) from None
    if pron:
        if lang == "zh" and alphabet not in PINYIN_ALPHABETS:
            raise fail(
                f"Mandarin entry {grapheme!r} uses alphabet {alphabet!r}",
                source,
                'use alphabet="x-pinyin" (or "sapi") with tone numbers, e.g. yin2 hang2',
            )
        if lang == "en" and alphabet != "ipa":
            raise fail(
                f"English entry {grapheme!r} uses alphabet {alphabet!r}",
                source,
                'use alphabet="ipa" for English words',
            )
        pron = parse_pinyin(pron, grapheme, source) if lang == "zh" else parse_ipa(pron, grapheme, source)
    if context and grapheme not in context:
        raise fail(
            f"context {context!r} does not contain {grapheme!r}",
            source,
            "the third column must be a word that contains the entry, e.g. 行<TAB>hang2<TAB>银行",
        )
    return Entry(
        grapheme=grapheme, pron=pron, lang=lang, source=where, alias=alias, context=context, role=role
    )


def load_tsv(path: str | Path, label: str | None = None) -> Lexicon:
    """Read ``word<TAB>pronunciation[<TAB>context]`` lines (zh pinyin / en IPA)."""
    path = Path(path)
    name = label or path.name
    entries = []
    for no, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.rstrip("\r\n").split("\t")]
        if len(cols) not in (2, 3) or not cols[0] or not cols[1]:
            raise LexiconError(
                f"expected 2 or 3 tab-separated columns, got {line!r}",
                file=name,
                line=no,
                fix="write word<TAB>pronunciation[<TAB>context]",
            )
        alphabet = "x-pinyin" if lang_of(cols[0]) == "zh" else "ipa"
        entries.append(
            _entry(cols[0], cols[1], alphabet, (name, no), context=cols[2] if len(cols) == 3 else "")
        )
    return Lexicon(tuple(entries))


def load_pls(path: str | Path, label: str | None = None) -> Lexicon:
    """Read a W3C PLS 1.0 document."""
    from lxml import etree

    path = Path(path)
    name = label or path.name
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as exc:
        raise LexiconError(
            f"malformed PLS XML: {exc.msg}",
            file=name,
            line=exc.lineno or None,
            fix="fix the XML syntax (close every tag, escape & as &amp;)",
        ) from exc
    if etree.QName(root).localname != "lexicon":
        raise LexiconError(
            f"root element is <{etree.QName(root).localname}>, not <lexicon>",
            file=name,
            line=root.sourceline,
            fix=f'use <lexicon xmlns="{PLS_NS}" version="1.0" ...>',
        )
    default_alphabet = root.get("alphabet", "ipa")
    entries = []
    for lexeme in root:
        if not isinstance(lexeme.tag, str) or etree.QName(lexeme).localname != "lexeme":
            continue
        entries.extend(_lexeme_entries(lexeme, default_alphabet, name))
    return Lexicon(tuple(entries))


def _lexeme_entries(lexeme: etree._Element, default_alphabet: str, name: str) -> list[Entry]:
    from lxml import etree

    kids = [(etree.QName(k).localname, k) for k in lexeme if isinstance(k.tag, str)]
    graphemes = [" ".join((k.text or "").split()) for tag, k in kids if tag == "grapheme"]
    prons = [(tag, k) for tag, k in kids if tag in ("phoneme", "alias")]
    if not graphemes or not all(graphemes) or not prons:
        raise fail(
            "a <lexeme> needs at least one non-empty <grapheme> and a <phoneme> or <alias>",
            (name, lexeme.sourceline),
            "add <grapheme>word</grapheme> and <phoneme>…</phoneme> or <alias>…</alias>",
        )
    # PLS 1.0 4.6: the first pronunciation with prefer="true", else the first in document order
    tag, chosen = next(((t, k) for t, k in prons if k.get("prefer") == "true"), prons[0])
    source = (name, lexeme.sourceline)
    text = " ".join((chosen.text or "").split())
    if tag == "alias":
        return [
            _entry(g, "", default_alphabet, source, alias=text, role=lexeme.get("role", ""))
            for g in graphemes
        ]
    alphabet = chosen.get("alphabet", default_alphabet).lower()
    if alphabet not in (*PINYIN_ALPHABETS, "ipa", "x-sampa"):
        raise fail(f"unsupported alphabet {alphabet!r}", source, 'use "ipa", "x-sampa", "x-pinyin" or "sapi"')
    return [_entry(g, text, alphabet, source, role=lexeme.get("role", "")) for g in graphemes]


def load_lexicon(path: str | Path, label: str | None = None) -> Lexicon:
    path = Path(path)
    if path.suffix.lower() == ".pls":
        return load_pls(path, label)
    if path.suffix.lower() == ".tsv":
        return load_tsv(path, label)
    raise LexiconError(f"unknown lexicon format {path.suffix!r}", file=path, fix="use a .pls or .tsv file")


def base_lexicon_dir() -> Path:
    """Shared base lexicons: $LECTOR_LEXICONS or <repo>/lexicons."""
    env = os.environ.get("LECTOR_LEXICONS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "lexicons"


def load_base_lexicon(directory: Path | None = None) -> Lexicon:
    """All ``*.pls`` then ``*.tsv`` files of the base directory (sorted), layer 0."""
    directory = directory or base_lexicon_dir()
    if not directory.is_dir():
        return Lexicon()
    files = sorted(directory.glob("*.pls")) + sorted(directory.glob("*.tsv"))
    lex = Lexicon()
    for f in files:
        lex = lex + load_lexicon(f, label=f"lexicons/{f.name}")
    return lex.with_layer(0)


def load_project_lexicon(project_root: Path) -> Lexicon:
    """``lexicon.pls`` then ``lexicon.tsv`` in the project root, layer 1 (beats the base)."""
    lex = Lexicon()
    for name in ("lexicon.pls", "lexicon.tsv"):
        if (Path(project_root) / name).is_file():
            lex = lex + load_lexicon(Path(project_root) / name, label=name)
    return lex.with_layer(1)
