"""Chapters from the book's structure (nav + sections + headings), not from its files.

A chapter starts at each chapter-level table-of-contents entry (an entry whose target is a
part, a skipped page such as a half-title, or whose children live in other documents stands
for its children), so several chapters in one file are split and a chapter continued in
files the nav does not name is joined. Without a usable nav: each document with a heading,
and each ``chapter``-typed (or, failing that, top-level headed) section. Front and back
matter (``[manuscript] front_matter`` against epub:type / doc-* roles) is left out; notes
are dropped or placed (``[manuscript] notes``); a chapter longer than the output profile
allows is cut at a heading or scene break, with a plan warning.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import PurePosixPath

from ..planwarn import add_warning
from ..text.roman_en import chapter_number_words
from .epub_markup import NOTES_SECTIONS
from .epub_package import NavEntry, Package
from .epub_walk import Block, Walk
from .markdown import title_from_stem
from .raw import Break, RawChapter, RawParagraph, Run

CHAPTER_TYPES = {
    "chapter",
    "part",
    "volume",
    "division",
    "prologue",
    "epilogue",
    "introduction",
    "preface",
    "foreword",
    "afterword",
    "conclusion",
    "appendix",
    "se:short-story",
}
PART_TYPES = {"part", "volume", "division"}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class Start:
    block: int
    title: str
    fragment: str = ""
    part: bool = False  # a part / volume title page: its heading opens its first chapter


# True for a block that cannot open a chapter (in a notes section or in dropped front matter)
Skipped = Callable[[Block], bool]


@dataclass(frozen=True)
class Shape:
    """What the reader was asked to do (from project.toml)."""

    front_matter: tuple[str, ...]
    notes: str = "drop"  # "drop" | "chapter-end" | "book-end"
    max_duration_s: float | None = None  # the output profile's chapter limit


def nav_starts(pkg: Package, walk: Walk, skipped: Skipped) -> list[Start]:
    """Chapter starts from the nav / NCX, in block order."""
    out: list[Start] = []

    def visit(entries: tuple[NavEntry, ...]) -> None:
        for entry in entries:
            index = walk.anchors.get((entry.doc, entry.fragment))
            if index is None:  # a fragment the document lacks: its start
                index = walk.anchors.get((entry.doc, ""))
            if entry.children and _stands_for_children(entry, index, walk, skipped):
                if index is not None:  # its own text (a part title) joins the next
                    out.append(Start(index, entry.title, entry.fragment, part=True))
                visit(entry.children)
            elif index is not None:
                out.append(Start(index, entry.title, entry.fragment))

    visit(pkg.toc)
    named = {e.doc for e in _flatten(pkg.toc)}
    for (doc, frag), index in walk.anchors.items():
        # a document the nav does not name continues the chapter before it, unless it opens
        # with a chapter-level heading of its own
        if (
            not frag
            and doc not in named
            and index < len(walk.blocks)
            and walk.blocks[index].doc == doc
            and 0 < walk.blocks[index].level <= 2
        ):
            out.append(Start(index, ""))
    return sorted({s.block: s for s in reversed(out)}.values(), key=lambda s: s.block)


def _flatten(entries: Iterable[NavEntry]) -> list[NavEntry]:
    return [x for e in entries for x in (e, *_flatten(e.children))]


def _stands_for_children(entry: NavEntry, index: int | None, walk: Walk, skipped: Skipped) -> bool:
    if any(child.doc != entry.doc for child in entry.children):
        return True
    if index is None or index >= len(walk.blocks):
        return True
    block = walk.blocks[index]
    return bool(block.matter & PART_TYPES) or skipped(block)


def fallback_starts(walk: Walk, sections: list[tuple[int, frozenset[str], int]]) -> list[Start]:
    """Without a nav: document starts (unless the document has no heading and continues the
    previous one) and chapter sections."""
    starts: dict[int, Start] = {}
    docs: dict[str, list[int]] = {}
    for i, block in enumerate(walk.blocks):
        docs.setdefault(block.doc, []).append(i)
    for indexes in docs.values():
        has_heading = any(walk.blocks[i].level for i in indexes)
        if has_heading or not starts:
            starts[indexes[0]] = Start(indexes[0], "")
        inside = [s for s in sections if indexes[0] <= s[0] <= indexes[-1]]
        typed = [s for s in inside if s[1] & CHAPTER_TYPES]
        if not typed:
            headed = [s for s in inside if walk.blocks[s[0]].level]
            depth = min((s[2] for s in headed), default=0)
            typed = (
                [s for s in headed if s[2] == depth] if len([s for s in headed if s[2] == depth]) > 1 else []
            )
        for first, _types, _depth in typed:
            starts.setdefault(first, Start(first, ""))
    return sorted(starts.values(), key=lambda s: s.block)


def _chapter_starts(pkg: Package, walk: Walk, skipped: Skipped) -> list[Start]:
    starts = nav_starts(pkg, walk, skipped) if pkg.toc else []
    if not starts:
        starts = fallback_starts(walk, walk.sections)
    if not starts or starts[0].block > 0:
        starts.insert(0, Start(0, ""))
    return starts


def assemble(pkg: Package, walk: Walk, shape: Shape, source: str, skipped: Skipped) -> list[RawChapter]:
    starts = _chapter_starts(pkg, walk, skipped)
    bounds = [s.block for s in starts] + [len(walk.blocks)]
    pending: list[RawParagraph] = []  # a part title waiting for its first chapter
    chapters: list[tuple[RawChapter, range]] = []
    dropped_matter: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for start, (a, b) in zip(starts, pairwise(bounds), strict=True):
        kept = []
        for block in walk.blocks[a:b]:
            if skipped(block):
                kind = _matter_name(block, shape)
                dropped_matter[kind] = dropped_matter.get(kind, 0) + 1
            else:
                kept.append(block)
        paras = [blk.para for blk in kept]
        if paras and all(p.heading or not _speakable(p) for p in paras) and b < len(walk.blocks):
            if start.part or any(blk.matter & PART_TYPES for blk in kept):
                pending.extend(paras)
            else:
                add_warning(
                    "dropped",
                    f"{' / '.join(_text(p) for p in paras if p.heading)!r}: a heading with "
                    "no text under it, not read",
                    f"{source}/{pkg.rel(kept[0].doc)}",
                )
            continue
        after_part, paras, pending = bool(pending), pending + paras, []
        if not any(_speakable(p) for p in paras):
            continue
        first = kept[0] if kept else walk.blocks[a]
        if "chapter" in first.matter and not after_part and walk.options.lang.startswith("en"):
            paras[0] = _announced_number(paras[0])
        title = start.title or _first_heading(paras) or title_from_stem(PurePosixPath(first.doc).stem)
        where = f"{source}/{pkg.rel(first.doc)}"
        if (where, title) in seen:  # a chapter key (file + title) must name one chapter
            where += f"#{start.fragment or len(chapters) + 1}"
        seen.add((where, title))
        chapters.append((RawChapter(title, where, tuple(paras), paras[0].line), range(a, b)))
    for kind, n in sorted(dropped_matter.items()):
        add_warning("front-matter", f"{n} paragraph(s) of {kind} not read", source)
    out = _place_notes(walk, shape, source, chapters)
    return [piece for chapter in out for piece in split_long(chapter, shape, source)]


def _announced_number(para: RawParagraph) -> RawParagraph:
    """A chapter heading that is a number alone ("XXV") is spoken "Chapter twenty-five", as a
    narrator announces it; its display text stays as printed."""
    runs = [i for i in para.items if isinstance(i, Run)]
    if not para.heading or len(runs) != 1 or runs[0].atomic:
        return para
    spoken = chapter_number_words(runs[0].text)
    if spoken is None:
        return para
    return replace(para, items=tuple(replace(i, spoken=spoken) if i is runs[0] else i for i in para.items))


def matches(patterns: tuple[str, ...], value: str) -> bool:
    """True when a pattern equals ``value`` or one of its words (``copyright`` matches
    ``copyright-page``); ``*``/``?`` patterns use fnmatch."""
    value = value.lower()
    words = {w for w in re.split(r"[^a-z0-9]+", value) if w}
    for pattern in (p.lower() for p in patterns):
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(value, pattern):
                return True
        elif pattern == value or pattern in words:
            return True
    return False


def _matter_name(block: Block, shape: Shape) -> str:
    hits = [t for t in sorted(block.matter) if matches(shape.front_matter, t)]
    if block.matter & NOTES_SECTIONS:
        hits.append("endnotes")
    return hits[0] if hits else PurePosixPath(block.doc).stem


def _speakable(para: RawParagraph) -> bool:
    return any(isinstance(i, Run) and re.search(r"\w", i.text) for i in para.items)


def _text(para: RawParagraph) -> str:
    return " ".join("".join(i.text for i in para.items if isinstance(i, Run)).split())


def _first_heading(paras: list[RawParagraph]) -> str:
    return next((_text(p) for p in paras if p.heading and _text(p)), "")


def _place_notes(
    walk: Walk, shape: Shape, source: str, chapters: list[tuple[RawChapter, range]]
) -> list[RawChapter]:
    if not walk.notes:
        return [c for c, _ in chapters]
    if shape.notes == "drop":
        add_warning(
            "note",
            f"{len(walk.notes)} footnote(s)/endnote(s) not read "
            '([manuscript] notes = "drop"; "chapter-end" or "book-end" reads them)',
            source,
        )
        return [c for c, _ in chapters]
    used: set[tuple[str, str]] = set()
    out, book_notes = [], []
    for chapter, span in chapters:
        notes = _chapter_notes(walk, span, used)
        if not notes:
            out.append(chapter)
        elif shape.notes == "chapter-end":
            heading = RawParagraph((Run("Notes", chapter.line),), chapter.line, True)
            out.append(
                RawChapter(
                    chapter.title, chapter.source, (*chapter.paragraphs, heading, *notes), chapter.line
                )
            )
        else:
            out.append(chapter)
            book_notes.append(RawParagraph((Run(f"Notes to {chapter.title}", 1),), 1, True))
            book_notes.extend(notes)
    rest = [key for key in walk.notes if key not in used]
    if shape.notes == "book-end":
        for key in rest:
            book_notes.extend(_note_paras(walk, key, ""))
        if book_notes:
            out.append(RawChapter("Notes", f"{source}/notes", tuple(book_notes), 1))
    elif rest:
        add_warning("note", f"{len(rest)} note(s) that no chapter refers to not read", source)
    return out


def _chapter_notes(walk: Walk, span: range, used: set[tuple[str, str]]) -> list[RawParagraph]:
    out: list[RawParagraph] = []
    for ref in walk.refs:
        if ref.block in span and ref.target in walk.notes and ref.target not in used:
            used.add(ref.target)
            out.extend(_note_paras(walk, ref.target, ref.label))
    return out


def _note_paras(walk: Walk, key: tuple[str, str], label: str) -> list[RawParagraph]:
    paras = walk.notes[key]
    line = paras[0].line if paras else 1
    label = label.strip("[]() ")
    lead = Run(f"Note {label}. " if re.search(r"\w", label) else "Note. ", line)
    items = list(paras[0].items) if paras else []
    if items and isinstance(items[0], Run):
        items[0] = replace(items[0], text=items[0].text.lstrip())
    first = RawParagraph((lead, *items), line)
    return [first, *paras[1:]]


def estimate_s(chapter: RawChapter) -> float:
    """Spoken duration estimated before any synthesis, at the proof report's narration pace
    (lector.core.text.pace: words a minute, Han characters a second), plus pauses."""
    from ..text.pace import HAN_PER_SECOND, WORDS_PER_MINUTE
    from ..text.segment import is_han

    text = " ".join(i.text for p in chapter.paragraphs for i in p.items if isinstance(i, Run))
    han = sum(1 for c in text if is_han(c))
    words = len(_WORD.findall("".join(c for c in text if not is_han(c))))
    pauses_ms = sum(i.ms for p in chapter.paragraphs for i in p.items if isinstance(i, Break))
    return (
        han / HAN_PER_SECOND
        + words * 60.0 / WORDS_PER_MINUTE
        + pauses_ms / 1000
        + 0.9 * len(chapter.paragraphs)
    )


def split_long(chapter: RawChapter, shape: Shape, source: str) -> list[RawChapter]:
    """``chapter`` cut at headings / scene breaks so each piece fits ``shape.max_duration_s``."""
    limit = shape.max_duration_s
    total = estimate_s(chapter)
    if not limit or total <= limit:
        return [chapter]
    pieces: list[list[RawParagraph]] = []
    current: list[RawParagraph] = []
    cut_kind: set[str] = set()
    for para in chapter.paragraphs:
        trial = RawChapter(chapter.title, chapter.source, (*current, para))
        if current and estimate_s(trial) > limit * 0.95:
            cut = _cut_point(current)
            cut_kind.add("heading or scene break" if cut < len(current) else "paragraph")
            pieces.append(current[:cut])
            current = current[cut:]
        current.append(para)
    pieces.append(current)
    out = [
        RawChapter(
            chapter.title if n == 0 else f"{chapter.title} (part {n + 1})",
            chapter.source,
            tuple(paras),
            paras[0].line,
        )
        for n, paras in enumerate(pieces)
        if paras
    ]
    add_warning(
        "chapter-split",
        f"chapter {chapter.title!r} is about {total / 60:.0f} min, longer than the "
        f"output profile allows ({limit / 60:.0f} min): split into {len(out)} at a "
        f"{' / '.join(sorted(cut_kind))}",
        chapter.source,
    )
    return out


def _cut_point(paras: list[RawParagraph]) -> int:
    """The last heading or scene break in the second half of ``paras`` (else the end)."""
    for i in range(len(paras) - 1, len(paras) // 2, -1):
        para = paras[i]
        if para.heading or (para.items and all(isinstance(x, Break) for x in para.items)):
            return i
    return len(paras)
