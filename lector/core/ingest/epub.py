"""EPUB 2 / 3 -> raw chapters, read the way a careful narrator reads a book.

Documents are walked in spine order (``linear="no"`` documents are only searched for notes);
chapters come from the book's structure (``epub_structure``), not from its files. Front and
back matter is left out by ``[manuscript] front_matter``, matched against epub:type values and
DPUB-ARIA ``doc-*`` roles of each section (so a one-file book with a title page section keeps
its chapters) and against a document's manifest id / file name. Page numbers and note
references are never spoken; notes are dropped or placed (``[manuscript] notes``); verse gets
line and stanza pauses (``[pauses] verse_line_ms`` / ``verse_stanza_ms``). Casting inside
the book: ``data-voice="alice"`` and ``data-emotion="sad"`` / ``"sad:0.6"`` on any element, or
inline ``[[...]]`` tags in the text (scope: to the end of that paragraph).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..planwarn import add_warning
from . import tags as tagmod
from .epub_markup import NOTES_SECTIONS, PLAIN_REF, SHORT_REF, note_like
from .epub_package import Package, element_types, join_href, local_name, open_package, parse_xhtml
from .epub_structure import Shape, assemble, matches
from .epub_walk import Block, Walk, WalkOptions
from .raw import RawChapter

if TYPE_CHECKING:
    from lxml import etree

    from ..project import Project

# (member, linear, parsed root, document-level types) of one spine document
_Doc = tuple[str, bool, "etree._Element", frozenset[str]]

DEFAULT_FRONT_MATTER = ("cover", "titlepage", "toc", "nav", "copyright", "colophon")
LANDMARK_MAX_PARAGRAPHS = 40


def is_front_matter(patterns: tuple[str, ...], item_id: str, file_name: str, epub_types: set[str]) -> bool:
    """True when a pattern matches an epub:type (or one of its words), or the manifest id / file
    name / stem. A name is matched by its words only when it holds no digit, so that a split
    file such as ``index_split_003.html`` is not taken for an index (nor ``index.html``, often
    the whole book, by its name)."""
    if any(matches(patterns, t) for t in epub_types):
        return True
    path = PurePosixPath(file_name.lower())
    for name in {item_id.lower(), path.name, path.stem}:
        if not name:
            continue
        if any(ch.isdigit() for ch in name):
            if any(
                p.lower() == name or (any(c in p for c in "*?[") and fnmatch.fnmatchcase(name, p.lower()))
                for p in patterns
            ):
                return True
        elif matches(tuple(p for p in patterns if p.lower() != "index"), name):
            return True
    return False


def read_epub(
    path: Path,
    *,
    source: str,
    vocab: tagmod.Vocabulary,
    front_matter: tuple[str, ...] = DEFAULT_FRONT_MATTER,
    shape: Shape | None = None,
    options: WalkOptions | None = None,
) -> list[RawChapter]:
    """Chapters of an EPUB in reading order. Raises ManuscriptError/TagError."""
    shape = shape or Shape(front_matter=front_matter)
    walk = Walk(vocab, options or WalkOptions())
    pkg = open_package(path, source)
    try:
        docs = _documents(pkg, source, shape)
        walk.note_targets = _note_targets(docs)
        for member, linear, root, matter in docs:
            body = next((e for e in root.iter() if local_name(e) == "body"), root)
            if not linear:
                side = Walk(vocab, walk.options, note_targets=walk.note_targets)
                side.document(member, f"{source}/{pkg.rel(member)}", body, matter)
                walk.notes.update(side.notes)
                continue
            walk.document(member, f"{source}/{pkg.rel(member)}", body, matter)
    finally:
        pkg.zf.close()
    _report(walk, source)

    def skipped(block: Block) -> bool:
        return bool(block.matter & NOTES_SECTIONS) or any(
            matches(shape.front_matter, t) for t in block.matter
        )

    return assemble(pkg, walk, shape, source, skipped)


def _documents(pkg: Package, source: str, shape: Shape) -> list[_Doc]:
    """(member, linear, parsed root, document-level types) of the spine documents kept."""
    ids = {member: item_id for item_id, (member, _t, _p) in pkg.manifest.items()}
    out: list[_Doc] = []
    dropped: list[str] = []
    for member, linear in pkg.spine:
        root = parse_xhtml(pkg.read(member), f"{source}/{pkg.rel(member)}")
        body = next((e for e in root.iter() if local_name(e) == "body"), root)
        matter = element_types(body)
        # a landmark / EPUB 2 guide entry names a whole file; trusted only for a short one, so a
        # one-file book that a guide calls "title-page" is still read
        if sum(1 for e in body.iter() if local_name(e) == "p") < LANDMARK_MAX_PARAGRAPHS:
            matter |= pkg.landmarks.get(member, frozenset())
        if is_front_matter(shape.front_matter, ids.get(member, ""), member, set(matter - {"bodymatter"})):
            dropped.append(PurePosixPath(member).name)
            continue
        out.append((member, linear, root, frozenset(matter)))
    if dropped:
        add_warning("front-matter", f"not read as chapters: {', '.join(dropped)}", source)
    return out


def _note_targets(docs: list[_Doc]) -> set[tuple[str, str]]:
    """(doc, id) of every element a note reference points at: a link typed ``noteref`` (or in an
    element so typed), a short link in ``<sup>``, or a "[12]" / "*" link to a note-like element."""
    ids: dict[tuple[str, str], etree._Element] = {}
    links: list[tuple[str, etree._Element]] = []
    for member, _linear, root, _matter in docs:
        for elem in root.iter():
            if not isinstance(elem.tag, str):
                continue
            if elem_id := elem.get("id"):
                ids[(member, elem_id)] = elem
            if local_name(elem) == "a" and "#" in elem.get("href", ""):
                links.append((member, elem))
    out: set[tuple[str, str]] = set()
    for member, link in links:
        target, parent = join_href(member, link.get("href", "")), link.getparent()
        text = "".join(link.itertext())
        typed = "noteref" in element_types(link) or (
            parent is not None and "noteref" in element_types(parent)
        )
        in_sup = parent is not None and local_name(parent) == "sup" and SHORT_REF.match(text)
        if typed or in_sup or (PLAIN_REF.match(text) and target in ids and _in_note(ids[target])):
            out.add(target)
    return out


def _in_note(elem: etree._Element) -> bool:
    return any(note_like(e) or element_types(e) & NOTES_SECTIONS for e in (elem, *elem.iterancestors()))


def _report(walk: Walk, source: str) -> None:
    c = walk.counts
    for kind, n, what in (
        ("page-number", c.page_numbers, "page number(s)"),
        ("note", c.noterefs, "note reference mark(s)"),
        ("dropped", c.line_numbers, "poem line number(s)"),
        ("dropped", c.code, f"code listing(s) ([manuscript] code = {walk.options.code!r})"),
        ("dropped", c.tables, f"table(s) ([manuscript] tables = {walk.options.tables!r})"),
    ):
        if n and not (kind == "dropped" and what.startswith("table") and walk.options.tables == "read"):
            add_warning(kind, f"{n} {what} not read", source)


def epub_settings(project: Project) -> tuple[Shape, WalkOptions]:
    """The reader's settings from project.toml."""
    cfg = project.config
    ms, pauses = cfg.manuscript, cfg.pauses
    from ..profiles import get_profile

    shape = Shape(
        front_matter=ms.front_matter,
        notes=ms.notes,
        max_duration_s=get_profile(cfg.output.profile).max_duration_s,
    )
    options = WalkOptions(
        line_ms=pauses.verse_line_ms,
        stanza_ms=pauses.verse_stanza_ms,
        scene_ms=getattr(pauses, "scene_break_ms", pauses.paragraph_ms),
        code=ms.code,
        tables=ms.tables,
        code_note=ms.code_note,
        table_note=ms.table_note,
        lang=cfg.book.language,
    )
    return shape, options
