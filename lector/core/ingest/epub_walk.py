"""One XHTML content document -> blocks (paragraphs with their structural context) and notes.

What a careful narrator does not read aloud is left out here: page numbers (``pagebreak`` /
``doc-pagebreak``), note references (``noteref`` / ``doc-noteref`` / a superscript link to a
note), back links, poem line numbers, hidden elements. Footnotes and endnotes are kept apart
(``notes``) for the reader to drop or place. Verse lines end with a short pause and stanzas
with a longer one (``Break``); code listings and tables become a short note or nothing;
``ssml:ph`` attributes become fixed pronunciations (``Run.tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..errors import ManuscriptError, TagError
from . import tags as tagmod
from .epub_lexicon import phoneme_tokens
from .epub_markup import (
    HEADINGS,
    LINE_NUMBER,
    NOTE_TYPES,
    NOTES_SECTIONS,
    PAGE_NUMBER,
    SHORT_REF,
    SKIP,
    SSML_NS,
    STRUCTURAL,
    XML_LANG,
    first_id,
    heading_level,
    in_sup,
    inherited_alphabet,
    is_verse,
    last_sibling,
    merge_style,
    note_like,
    span_lines,
    wrapped_link,
)
from .epub_package import element_types, join_href, local_name
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawParagraph, Run, Style
from .ssml import collapse_ws

if TYPE_CHECKING:
    from lxml import etree


@dataclass(frozen=True)
class WalkOptions:
    line_ms: int = 300
    stanza_ms: int = 1000
    scene_ms: int = 2000
    code: str = "note"  # "skip" | "note"
    tables: str = "note"  # "skip" | "note" | "read"
    code_note: str = "A code listing is left out here."
    table_note: str = "A table is left out here."
    lang: str = "en"  # the book's language: xml:lang of another language marks a foreign phrase


@dataclass(frozen=True)
class Block:
    doc: str
    para: RawParagraph
    matter: frozenset[str]  # epub:type / doc-* roles of the enclosing structure
    level: int = 0  # heading level (1-6), 0 = not a heading


@dataclass(frozen=True)
class NoteRef:
    target: tuple[str, str]  # (doc, id) of the note
    label: str  # the reference mark as printed ("1", "*")
    block: int  # index of the block holding the reference


@dataclass
class Counts:
    page_numbers: int = 0
    noterefs: int = 0
    line_numbers: int = 0
    code: int = 0
    tables: int = 0


@dataclass
class Walk:
    """Blocks of the whole book (documents walked in spine order share one Walk)."""

    vocab: tagmod.Vocabulary
    options: WalkOptions
    blocks: list[Block] = field(default_factory=list)
    anchors: dict[tuple[str, str], int] = field(default_factory=dict)  # (doc, id) -> first block at/after it
    notes: dict[tuple[str, str], list[RawParagraph]] = field(default_factory=dict)
    refs: list[NoteRef] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    doc: str = ""
    where: str = ""
    note_targets: set[tuple[str, str]] = field(default_factory=set)
    sections: list[tuple[int, frozenset[str], int]] = field(
        default_factory=list
    )  # (first block, types, depth)
    _pending: list[tuple[str, str]] = field(default_factory=list)
    _items: list[Item] = field(default_factory=list)
    _tag_style: Style = DEFAULT_STYLE
    _line: int = 1
    _note: tuple[str, str] | None = None
    _has_br: bool = False
    _refs_here: list[tuple[tuple[str, str], str]] = field(default_factory=list)

    def document(self, doc: str, where: str, body: etree._Element, matter: frozenset[str]) -> None:
        self.doc, self.where = doc, where
        self._pending.append((doc, ""))
        self.block(body, DEFAULT_STYLE, matter, verse=False)
        self._anchor_rest()

    def _anchor_rest(self) -> None:
        for key in self._pending:
            self.anchors.setdefault(key, len(self.blocks))
        self._pending = []

    # ------------------------------------------------------------------ structure
    def block(self, elem: etree._Element, style: Style, matter: frozenset[str], verse: bool) -> None:
        name = local_name(elem)
        if not name or name in SKIP or self._hidden(elem):
            return
        if self._skip_marker(elem, name):
            return
        if elem_id := elem.get("id"):
            self._pending.append((self.doc, elem_id))
        types = element_types(elem)
        if name in ("section", "article") and self._note is None:
            self.sections.append((len(self.blocks), types, sum(1 for _ in elem.iterancestors())))
        note = self._note_key(elem, types, matter)
        if note is not None and self._note is None:
            self._note = note
            try:
                self._container(elem, style, matter | types, verse)
            finally:
                self._note = None
            return
        style = self.attr_style(elem, style)
        verse = verse or is_verse(elem, types)
        if name == "hr":
            self._emit_scene_break(elem.sourceline or self._line)
        elif name == "pre" or (name in ("table",) and self.options.tables != "read"):
            self._omit(name, elem, matter | types)
        elif name in HEADINGS or not any(local_name(c) in STRUCTURAL for c in elem):
            self.begin(elem.sourceline or 1)
            self.inline(elem, style, top=True, verse=verse and name not in HEADINGS)
            self.end(matter | types, heading_level(name), verse and name not in HEADINGS, last_sibling(elem))
        else:
            self._container(elem, style, matter | types, verse)

    def _container(self, elem: etree._Element, style: Style, matter: frozenset[str], verse: bool) -> None:
        line = elem.sourceline or 1
        if not any(local_name(c) in STRUCTURAL for c in elem):
            self.begin(line)
            self.inline(elem, style, top=True, verse=verse)
            self.end(matter, 0, verse, True)
            return
        self.begin(line)
        self.text(elem.text, line, style)
        for child in elem:
            child_name = local_name(child)
            if child_name in STRUCTURAL:
                self.end(matter, 0, False, False)
                self.block(child, style, matter, verse)
                self.begin(child.sourceline or line)
                self.text(child.tail, child.sourceline or line, style)
            else:
                self._inline_child(child, style, line, verse, lines=False)
        self.end(matter, 0, False, False)

    def _note_key(
        self, elem: etree._Element, types: frozenset[str], matter: frozenset[str]
    ) -> tuple[str, str] | None:
        """(doc, id) when ``elem`` is a footnote/endnote: typed so, an item of a notes section, a
        note-classed block, or the target of a note reference (a block without headings)."""
        name = local_name(elem)
        ident = elem.get("id") or (note_like(elem) and (first_id(elem) or f"line-{elem.sourceline}"))
        if not ident:
            return None
        key = (self.doc, ident)
        if types & NOTE_TYPES or (note_like(elem) and name in ("aside", "div", "p", "li", "dd")):
            return key
        if matter & NOTES_SECTIONS and not types & NOTES_SECTIONS and name in ("li", "aside", "dd", "p"):
            return key
        if (
            key in self.note_targets
            and name in ("aside", "li", "div", "dd", "p")
            and not any(local_name(e) in HEADINGS for e in elem.iter())
        ):
            return key
        return None

    def _skip_marker(self, elem: etree._Element, name: str) -> bool:
        """Page numbers, line numbers and back links are never spoken (their tail text is)."""
        types, cls = element_types(elem), elem.get("class") or ""
        if "pagebreak" in types or (name in ("span", "div", "a") and PAGE_NUMBER.search(cls)):
            self.counts.page_numbers += 1
            return True
        if types & {"z3998:line-number", "linenum", "line-number"} or LINE_NUMBER.search(cls):
            self.counts.line_numbers += 1
            return True
        return "backlink" in types

    @staticmethod
    def _hidden(elem: etree._Element) -> bool:
        return elem.get("hidden") is not None or elem.get("aria-hidden") == "true"

    def _omit(self, name: str, elem: etree._Element, matter: frozenset[str]) -> None:
        if self._note is not None:
            return
        opt = self.options.code if name == "pre" else self.options.tables
        if name == "pre":
            self.counts.code += 1
        else:
            self.counts.tables += 1
        if opt == "note":
            line = elem.sourceline or 1
            text = self.options.code_note if name == "pre" else self.options.table_note
            self.blocks.append(Block(self.doc, RawParagraph((Run(text, line),), line), matter))
            self._anchor_to_last()

    def _emit_scene_break(self, line: int) -> None:
        if self._note is None and self.blocks:
            self.blocks.append(
                Block(
                    self.doc,
                    RawParagraph((Break(self.options.scene_ms, line),), line),
                    self.blocks[-1].matter,
                )
            )

    # ------------------------------------------------------------------ paragraphs
    def begin(self, line: int) -> None:
        self._items, self._tag_style, self._line, self._has_br = [], DEFAULT_STYLE, line, False

    def end(self, matter: frozenset[str], level: int, verse: bool, last: bool) -> None:
        items = self._items
        while items and isinstance(items[-1], Break) and verse:
            items.pop()  # a line break before the stanza's end: the stanza pause wins
        has_text = any(isinstance(i, Run) and i.text.strip() for i in items)
        if has_text or any(not isinstance(i, Run) for i in items):
            if verse and has_text:
                items.append(
                    Break(
                        self.options.stanza_ms if (self._has_br or last) else self.options.line_ms, self._line
                    )
                )
            para = RawParagraph(tuple(items), self._line, level > 0)
            if self._note is not None:
                self.notes.setdefault(self._note, []).append(para)
            else:
                index = len(self.blocks)
                self.refs.extend(NoteRef(t, label, index) for t, label in self._refs_here)
                self.blocks.append(Block(self.doc, para, matter, level))
                self._anchor_to_last()
        self._items, self._refs_here = [], []

    def _anchor_to_last(self) -> None:
        for key in self._pending:
            self.anchors.setdefault(key, len(self.blocks) - 1)
        self._pending = []

    def inline(self, elem: etree._Element, style: Style, top: bool = False, verse: bool = False) -> None:
        line = elem.sourceline or 1
        if not top:
            style = self.attr_style(elem, style)
        if elem.get(f"{{{SSML_NS}}}ph") is not None:
            self._phoneme(elem, line, style)
            return
        lines = top and verse and span_lines(elem)
        self.text(elem.text, line, style)
        for child in elem:
            self._inline_child(child, style, line, verse, lines)

    def _inline_child(self, child: etree._Element, style: Style, line: int, verse: bool, lines: bool) -> None:
        """One inline child and its tail; ``lines``: the child is a verse line of its own."""
        name = local_name(child)
        if name == "br":
            self._line_break(child.sourceline or line, style, verse)
        elif (
            name
            and name not in SKIP
            and not self._hidden(child)
            and not self._skip_marker(child, name)
            and not self._noteref(child)
        ):
            if child_id := child.get("id"):
                self._pending.append((self.doc, child_id))
            self.inline(child, style, verse=verse)
            if lines:
                self._line_break(child.sourceline or line, style, verse)
        self.text(child.tail, child.sourceline or line, style)

    def _line_break(self, line: int, style: Style, verse: bool) -> None:
        if verse and any(isinstance(i, Run) and i.text.strip() for i in self._items):
            self._has_br = True
            if not isinstance(self._items[-1], Break):
                self._items.append(Break(self.options.line_ms, line))
        else:
            self.text(" ", line, style)

    def _noteref(self, elem: etree._Element) -> bool:
        """A note reference: recorded (to place its note), never spoken."""
        types, name = element_types(elem), local_name(elem)
        text = "".join(elem.itertext())
        link = elem if name == "a" else wrapped_link(elem, text)
        href = link.get("href", "") if link is not None else ""
        short_link = bool(href) and "#" in href and SHORT_REF.match(text or "") is not None
        if self._note is not None and short_link:
            return True  # a note's own mark linking back to its reference
        is_ref = "noteref" in types or (link is not None and "noteref" in element_types(link))
        if not is_ref and short_link:
            is_ref = name == "sup" or in_sup(elem) or join_href(self.doc, href) in self.note_targets
        if not is_ref:
            return False
        self.counts.noterefs += 1
        if href and "#" in href:
            self._refs_here.append((join_href(self.doc, href), " ".join(text.split())))
        return True

    def _phoneme(self, elem: etree._Element, line: int, style: Style) -> None:
        text = collapse_ws("".join(elem.itertext()))
        ph = (elem.get(f"{{{SSML_NS}}}ph") or "").strip()
        alphabet = (elem.get(f"{{{SSML_NS}}}alphabet") or inherited_alphabet(elem) or "ipa").lower()
        if not ph or not text.strip():
            raise ManuscriptError(
                f"ssml:ph={ph!r} on {text!r}: empty",
                file=self.where,
                line=line,
                fix="give the element text and a non-empty ssml:ph",
            )
        tokens, lang = phoneme_tokens(text.strip(), ph, alphabet, self.where, line)
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if lead:
            self.text(lead, line, style)
        self._items.append(Run(text.strip(), line, replace(style, lang=lang or style.lang), tokens=tokens))
        if trail:
            self.text(trail, line, style)

    def text(self, text: str | None, line: int, style: Style) -> None:
        if not text:
            return
        for part in tagmod.scan(collapse_ws(text), file=self.where, line=line, vocab=self.vocab):
            if isinstance(part, str):
                effective = merge_style(style, self._tag_style)
                last = self._items[-1] if self._items else None
                if isinstance(last, Run) and not last.atomic and last.style == effective:
                    self._items[-1] = replace(last, text=last.text + part)
                elif part:
                    self._items.append(Run(part, line, effective))
            elif part.kind in ("emotion", "voice"):
                self._tag_style = tagmod.apply(self._tag_style, part)
            elif part.kind == "pause":
                self._items.append(Break(part.ms or 0, line))
            else:
                self._items.append(Boundary(line, seed=part.seed))

    def attr_style(self, elem: etree._Element, style: Style) -> Style:
        line = elem.sourceline or 1
        lang = elem.get(XML_LANG) if elem.get(XML_LANG) is not None else elem.get("lang")
        if lang is not None:  # a phrase in another language (the planner decides who reads it)
            primary = lang.split("-")[0].lower()
            style = replace(style, lang=primary if primary and primary != self.options.lang else None)
        voice, emotion = elem.get("data-voice"), elem.get("data-emotion")
        if voice is not None:
            if voice not in self.vocab.voices:
                raise TagError(
                    f"unknown voice {voice!r} in data-voice",
                    file=self.where,
                    line=line,
                    fix=f"use one of: {', '.join(self.vocab.voices)}",
                )
            style = replace(style, voice=voice)
        if emotion is not None:
            tag = tagmod.parse_tag(
                f"emotion:{emotion}", file=self.where, line=line, column=0, vocab=self.vocab
            )
            style = tagmod.apply(style, tag)
        return style
