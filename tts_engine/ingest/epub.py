"""EPUB 2 / 3 -> raw chapters (ebooklib + lxml), in spine order.

Chapter titles come from the nav document / NCX (first entry pointing at the
file), else the first heading, else the file name. Items whose id, file name
or ``epub:type`` matches ``[manuscript] front_matter`` (cover, toc, copyright...)
are dropped. Casting inside the book: ``data-voice="alice"`` and
``data-emotion="sad"`` / ``"sad:0.6"`` on any element, or inline ``[[...]]`` tags
in the text (scope: to the end of that paragraph).
"""
from __future__ import annotations

import fnmatch
import re
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import ebooklib
from ebooklib import epub
from lxml import etree, html

from ..errors import ManuscriptError, TagError
from ..text import tags as tagmod
from .markdown import title_from_stem
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawChapter, RawParagraph, Run, Style
from .ssml import collapse_ws

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# elements that start paragraphs (everything else is inline text)
STRUCTURAL = HEADINGS | {"p", "li", "dd", "dt", "figcaption", "pre", "td", "th", "caption", "blockquote",
                         "div", "section", "article", "aside", "header", "footer", "main", "nav", "body",
                         "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "figure", "hgroup"}
SKIP = {"script", "style", "head", "rt", "rp", "svg", "math", "img", "object", "video", "audio", "noscript"}


def is_front_matter(patterns: tuple[str, ...], item_id: str, file_name: str, epub_types: set[str]) -> bool:
    """True when a pattern equals the id, file name/stem, an epub:type, or one of their
    words (``copyright`` matches ``copyright-page``); ``*``/``?`` patterns use fnmatch."""
    path = PurePosixPath(file_name.lower())
    candidates = {item_id.lower(), path.name, path.stem} | {t.lower() for t in epub_types}
    words = {w for c in candidates for w in re.split(r"[^a-z0-9]+", c) if w}
    for pattern in (p.lower() for p in patterns):
        if any(ch in pattern for ch in "*?["):
            if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
                return True
        elif pattern in candidates or pattern in words:
            return True
    return False


def toc_titles(toc) -> dict[str, str]:
    """href (without #fragment) -> first title in the nav/NCX order."""
    out: dict[str, str] = {}

    def visit(entries) -> None:
        for entry in entries:
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], (tuple, list)):
                visit([entry[0]])
                visit(entry[1])
                continue
            href = getattr(entry, "href", None) or (entry.get_name() if hasattr(entry, "get_name") else None)
            title = getattr(entry, "title", None)
            if href and title:
                out.setdefault(href.split("#")[0], " ".join(title.split()))

    visit(toc)
    return out


def _open(path: Path, source: str) -> epub.EpubBook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return epub.read_epub(str(path), options={"ignore_ncx": False})
    except zipfile.BadZipFile as exc:
        raise ManuscriptError(f"not a valid EPUB (broken zip: {exc})", file=source,
                              fix="re-export the EPUB from your editor") from None
    except (KeyError, IndexError, epub.EpubException, etree.XMLSyntaxError, OSError) as exc:
        raise ManuscriptError(f"not a valid EPUB ({type(exc).__name__}: {exc})", file=source,
                              fix="check META-INF/container.xml and the OPF package file") from None


def _parse_xhtml(content: bytes, where: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, recover=False)
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        try:
            return html.fromstring(content)
        except (etree.ParserError, ValueError) as exc:
            raise ManuscriptError(f"unreadable XHTML: {exc}", file=where, fix="fix the document markup") from None


def _name(elem) -> str | None:
    return etree.QName(elem).localname.lower() if isinstance(elem.tag, str) else None


def _types(root) -> set[str]:
    """epub:type values on body and its first two levels of children."""
    found: set[str] = set()
    body = next((e for e in root.iter() if _name(e) == "body"), root)
    for elem in [body, *body.iterchildren(), *(g for c in body.iterchildren() for g in c.iterchildren())]:
        if isinstance(elem.tag, str):
            found.update((elem.get(EPUB_TYPE) or elem.get("epub:type") or "").split())
    return found


@dataclass
class _Blocks:
    """Walks an XHTML body into paragraphs of styled runs."""

    where: str
    vocab: tagmod.Vocabulary
    paragraphs: list[RawParagraph] = field(default_factory=list)
    first_heading: str | None = None
    items: list[Item] = field(default_factory=list)
    tag_style: Style = DEFAULT_STYLE     # inline [[tags]] in the current paragraph
    line: int = 1

    def block(self, elem, style: Style) -> None:
        """A structural element: one paragraph if it holds no structural children, else
        its children in order (loose text between them forms paragraphs of its own)."""
        name = _name(elem)
        if name is None or name in SKIP:
            return
        style = self.attr_style(elem, style)
        line = elem.sourceline or 1
        if name in HEADINGS or not any(_name(c) in STRUCTURAL for c in elem):
            self.begin(line)
            self.inline(elem, style, top=True)
            self.end(name in HEADINGS)
            return
        self.begin(line)
        self.text(elem.text, line, style)
        for child in elem:
            child_name = _name(child)
            if child_name in STRUCTURAL:
                self.end(False)
                self.block(child, style)
                self.begin(child.sourceline or line)
            elif child_name == "br":
                self.text(" ", child.sourceline or line, style)
            elif child_name is not None and child_name not in SKIP:
                self.inline(child, style)
            self.text(child.tail, child.sourceline or line, style)
        self.end(False)

    def begin(self, line: int) -> None:
        self.items, self.tag_style, self.line = [], DEFAULT_STYLE, line

    def end(self, heading: bool) -> None:
        if any(isinstance(i, Run) and i.text.strip() for i in self.items) or \
                any(not isinstance(i, Run) for i in self.items):
            self.paragraphs.append(RawParagraph(tuple(self.items), self.line, heading))
            if heading and self.first_heading is None:
                self.first_heading = "".join(i.text for i in self.items if isinstance(i, Run)).strip()
        self.items = []

    def inline(self, elem, style: Style, top: bool = False) -> None:
        line = elem.sourceline or 1
        if not top:
            style = self.attr_style(elem, style)
        self.text(elem.text, line, style)
        for child in elem:
            name = _name(child)
            if name == "br":
                self.text(" ", child.sourceline or line, style)
            elif name is not None and name not in SKIP:
                self.inline(child, style)
            self.text(child.tail, child.sourceline or line, style)

    def text(self, text: str | None, line: int, style: Style) -> None:
        if not text:
            return
        for part in tagmod.scan(collapse_ws(text), file=self.where, line=line, vocab=self.vocab):
            if isinstance(part, str):
                effective = _merge(style, self.tag_style)
                if self.items and isinstance(self.items[-1], Run) and self.items[-1].style == effective:
                    last = self.items[-1]
                    self.items[-1] = replace(last, text=last.text + part)
                elif part:
                    self.items.append(Run(part, line, effective))
            elif part.kind in ("emotion", "voice"):
                self.tag_style = tagmod.apply(self.tag_style, part)
            elif part.kind == "pause":
                self.items.append(Break(part.ms or 0, line))
            else:
                self.items.append(Boundary(line, seed=part.seed))

    def attr_style(self, elem, style: Style) -> Style:
        line = elem.sourceline or 1
        voice, emotion = elem.get("data-voice"), elem.get("data-emotion")
        if voice is not None:
            if voice not in self.vocab.voices:
                raise TagError(f"unknown voice {voice!r} in data-voice", file=self.where, line=line,
                               fix=f"use one of: {', '.join(self.vocab.voices)}")
            style = replace(style, voice=voice)
        if emotion is not None:
            tag = tagmod.parse_tag(f"emotion:{emotion}", file=self.where, line=line, column=0, vocab=self.vocab)
            style = tagmod.apply(style, tag)
        return style


def _merge(base: Style, tags: Style) -> Style:
    return replace(base, voice=tags.voice or base.voice,
                   emotion=tags.emotion or base.emotion,
                   emotion_degree=tags.emotion_degree if tags.emotion else base.emotion_degree)


def read_epub(path: Path, *, source: str, vocab: tagmod.Vocabulary,
              front_matter: tuple[str, ...]) -> list[RawChapter]:
    """Chapters of an EPUB in spine order, front matter dropped. Raises ManuscriptError/TagError."""
    book = _open(path, source)
    titles = toc_titles(book.toc)
    chapters: list[RawChapter] = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None:
            raise ManuscriptError(f"spine entry {idref!r} has no manifest item", file=source,
                                  fix="fix the OPF spine/manifest")
        if item.get_type() not in (ebooklib.ITEM_DOCUMENT, ebooklib.ITEM_NAVIGATION):
            continue
        name = item.get_name()
        where = f"{source}/{name}"
        root = _parse_xhtml(item.content or item.get_content(), where)  # raw bytes: true line numbers
        if is_front_matter(front_matter, item.get_id() or "", name, _types(root)):
            continue
        walker = _Blocks(where, vocab)
        body = next((e for e in root.iter() if _name(e) == "body"), root)
        walker.block(body, DEFAULT_STYLE)
        if not walker.paragraphs:
            continue
        title = titles.get(name) or walker.first_heading or title_from_stem(PurePosixPath(name).stem)
        chapters.append(RawChapter(title, where, tuple(walker.paragraphs), 1))
    return chapters
