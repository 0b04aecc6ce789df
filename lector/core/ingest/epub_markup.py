"""What an XHTML element is to the EPUB reader: block or inline, skipped, a note, a note mark, a
verse line, a heading. Element tests only; the walk itself is ``epub_walk``."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .epub_package import element_types, local_name
from .raw import Style

if TYPE_CHECKING:
    from lxml import etree

SSML_NS = "http://www.w3.org/2001/10/synthesis"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
STRUCTURAL = HEADINGS | {
    "p",
    "li",
    "dd",
    "dt",
    "figcaption",
    "pre",
    "td",
    "th",
    "caption",
    "blockquote",
    "div",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "main",
    "nav",
    "body",
    "ul",
    "ol",
    "dl",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "figure",
    "hgroup",
    "hr",
}
SKIP = {
    "script",
    "style",
    "head",
    "rt",
    "rp",
    "svg",
    "math",
    "img",
    "object",
    "video",
    "audio",
    "noscript",
    "template",
    "iframe",
    "canvas",
}
NOTE_TYPES = {"footnote", "endnote", "rearnote", "note"}
NOTES_SECTIONS = {"footnotes", "endnotes", "rearnotes"}
NOTE_CLASSES = {"footnote", "endnote", "rearnote"}
VERSE_WORDS = {"poem", "verse", "song", "hymn", "lyrics", "stanza", "poetry"}
LINE_NUMBER = re.compile(r"line-?num|lineno|line-number|linenumber", re.I)
PAGE_NUMBER = re.compile(r"\bpage-?num|\bpagebreak\b|\bpage-?number", re.I)
SHORT_REF = re.compile(r"^\s*[\[(]?\s*(?:\d{1,4}|[ivxlc]{1,6}|[a-z]|[*†‡§¶#]+)\s*[\])]?\s*$", re.I)
PLAIN_REF = re.compile(r"^\s*[\[(]?\s*(?:\d{1,4}|[*†‡§¶]+)\s*[\])]?\s*$")  # "[12]", "*": outside <sup>


def note_like(elem: etree._Element) -> bool:
    """A footnote/endnote by its epub:type / role or its class (``class="footnote"``)."""
    words = set(re.split(r"[\s_-]+", (elem.get("class") or "").lower()))
    return bool(element_types(elem) & NOTE_TYPES or words & NOTE_CLASSES)


def first_id(elem: etree._Element) -> str | None:
    return next((e.get("id") for e in elem.iter() if isinstance(e.tag, str) and e.get("id")), None)


def inherited_alphabet(elem: etree._Element) -> str | None:
    for anc in elem.iterancestors():
        alphabet: str | None = anc.get(f"{{{SSML_NS}}}alphabet")
        if alphabet:
            return alphabet
    return None


def wrapped_link(elem: etree._Element, text: str) -> etree._Element | None:
    """The link ``elem`` only wraps (``<sup><a>1</a></sup>``). A verse line or phrase that holds a
    note mark among its words is not itself a mark: it is read, and its link is met on its own."""
    link = next((c for c in elem if local_name(c) == "a"), None)
    if link is None or text.split() != "".join(link.itertext()).split():
        return None
    return link


def in_sup(elem: etree._Element) -> bool:
    parent = elem.getparent()
    return parent is not None and local_name(parent) == "sup" and not (parent.text or "").strip()


def span_lines(elem: etree._Element) -> bool:
    """Verse lines written as sibling spans with no <br/> (a display:block style): only spans, no
    loose text between them."""
    kids = [c for c in elem if local_name(c)]
    loose = (elem.text or "").strip() or any((c.tail or "").strip() for c in kids)
    return len(kids) >= 2 and not loose and all(local_name(c) in ("span", "div") for c in kids)


def is_verse(elem: etree._Element, types: frozenset[str]) -> bool:
    words = {t.rsplit(":", 1)[-1] for t in types} | set((elem.get("class") or "").lower().split())
    return bool(words & VERSE_WORDS)


def heading_level(name: str) -> int:
    return int(name[1]) if name in HEADINGS else 0


def last_sibling(elem: etree._Element) -> bool:
    """True when no structural sibling with text follows ``elem`` (the last line of a stanza)."""
    for sib in elem.itersiblings():
        if local_name(sib) in STRUCTURAL and "".join(sib.itertext()).strip():
            return False
    return True


def merge_style(base: Style, tags: Style) -> Style:
    return replace(
        base,
        voice=tags.voice or base.voice,
        emotion=tags.emotion or base.emotion,
        emotion_degree=tags.emotion_degree if tags.emotion else base.emotion_degree,
    )
