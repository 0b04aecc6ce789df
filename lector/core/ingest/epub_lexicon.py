"""Pronunciations an EPUB fixes: ``ssml:ph`` / ``ssml:alphabet`` attributes (:func:`phoneme_tokens`,
as SSML ``<phoneme>``) and the PLS lexicons its package links (EPUB 3 ``<link rel="pronunciation">``
or a manifest item of media type ``application/pls+xml``), for the pronouncer.

Precedence: shared base lexicons < the book's own lexicons < the project's lexicon.pls/.tsv.
A lexicon in a language the project does not speak (its ``xml:lang`` / the link's
``hreflang``) is not loaded, with a plan warning.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from lxml import etree

from ..errors import ManuscriptError
from ..model import Token
from ..planwarn import add_warning
from ..text.lexicon import Lexicon, load_pls, parse_ipa, parse_pinyin
from .epub_package import open_package


def manuscript_lexicon(project_root: Path | None) -> Lexicon:
    """The PLS lexicons of every EPUB in ``project_root/manuscript`` (layer 1, before the project's)."""
    if project_root is None or not (Path(project_root) / "manuscript").is_dir():
        return Lexicon()
    langs = _project_languages(Path(project_root))
    lex = Lexicon()
    for path in sorted((Path(project_root) / "manuscript").glob("*.epub")):
        if not path.name.startswith("."):
            lex = lex + epub_lexicon(path, f"manuscript/{path.name}", langs)
    return lex.with_layer(1)


def epub_lexicon(path: Path, source: str, langs: set[str] | None) -> Lexicon:
    """The lexicons ``path`` links, in package order; ``langs`` (primary subtags) filters them."""
    pkg = open_package(path, source)
    lex = Lexicon()
    try:
        for member, hreflang in pkg.lexicons:
            data = pkg.read(member)
            label = f"{source}/{pkg.rel(member)}"
            lang = (hreflang or _pls_lang(data)).split("-")[0].lower()
            if langs and lang and lang not in langs:
                add_warning(
                    "lexicon",
                    f"{label} is for language {lang!r}, which this project does not speak: not loaded",
                    label,
                )
                continue
            with tempfile.TemporaryDirectory(prefix="lector-pls-") as tmp:
                file = Path(tmp) / "lexicon.pls"
                file.write_bytes(data)
                lex = lex + load_pls(file, label=label)
    finally:
        pkg.zf.close()
    return lex


def _pls_lang(data: bytes) -> str:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return ""  # load_pls reports the syntax error with its line
    return root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""


def _project_languages(root: Path) -> set[str] | None:
    """[book] language + languages from project.toml (None when there is none to read)."""
    try:
        book = tomllib.loads((root / "project.toml").read_text(encoding="utf-8")).get("book", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return {str(book.get("language", "zh"))} | {str(x) for x in book.get("languages", ())}


def phoneme_tokens(
    text: str, ph: str, alphabet: str, where: str, line: int
) -> tuple[tuple[Token, ...], str | None]:
    """Tokens for an ``ssml:ph`` pronunciation (as SSML ``<phoneme>``), validated like a lexicon
    entry (LexiconError naming file and line): ``ipa`` or ``x-pinyin``. Returns (tokens, language)."""
    from ..text.segment import is_han

    if alphabet in ("x-pinyin", "pinyin"):
        it = iter(parse_pinyin(ph, text, (where, line)).split())
        return tuple(
            Token(c, next(it), "ssml") if is_han(c) else Token(c, "", "ssml") for c in text if not c.isspace()
        ), "zh"
    if alphabet != "ipa":
        raise ManuscriptError(
            f"unsupported ssml:alphabet {alphabet!r} on {text!r}",
            file=where,
            line=line,
            fix='use ssml:alphabet="ipa" or "x-pinyin"',
        )
    words, prons = text.split(), parse_ipa(ph, text, (where, line)).split()
    if len(words) == len(prons) > 1:
        return tuple(Token(w, p, "ssml") for w, p in zip(words, prons, strict=True)), None
    return (Token(text, " ".join(prons), "ssml"),), None
