"""Markdown / plain-text manuscripts with inline ``[[...]]`` tags.

Rules (docs/MANUSCRIPT.md): ``# Title`` starts a chapter (the title is spoken),
``##``..``######`` are spoken section headings, blank lines separate
paragraphs, list items and block quotes are paragraphs, light inline markup
(``*em*``, ``**strong**``, `` `code` ``, ``[text](url)``) is reduced to its text.
A line holding only tags sets voice/emotion until changed or the chapter ends;
a tag inside text applies to the end of that paragraph. YAML front matter (``---`` ...
``---`` or ``...`` at the very top) is parsed, never spoken; its ``title`` names the
chapter when the file has no ``# Title``. A thematic break (``* * *``, ``---``) is kept as a
paragraph with nothing to speak, which the planner turns into a scene-break pause.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ManuscriptError
from ..planwarn import add_warning
from ..text.segment import is_han
from . import tags as tagmod
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawChapter, RawParagraph, Run, Style

_CHAPTER_RE = re.compile(r"^#\s+(.*?)\s*#*\s*$")
_HEADING_RE = re.compile(r"^#{2,6}\s+(.*?)\s*#*\s*$")
_RULE_RE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_LIST_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_QUOTE_RE = re.compile(r"^\s*>\s?")
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"(?<!\[)\[([^\[\]]+)\]\([^)]*\)"), r"\1"),  # links
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML tags
]


def strip_inline_markup(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text


def title_from_stem(stem: str) -> str:
    """'01-the-beginning' -> 'the beginning' (used when a file has no # heading)."""
    cleaned = re.sub(r"^[\d\s._-]+", "", stem).replace("-", " ").replace("_", " ").strip()
    return cleaned or stem


def join_sep(before: str, after: str) -> str:
    """Separator when two manuscript lines are joined: none between CJK, else a space."""
    if not before or not after:
        return ""
    return "" if _cjk(before[-1]) and _cjk(after[0]) else " "


def _cjk(c: str) -> bool:
    return is_han(c) or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" or c in "“”‘’…—"


@dataclass
class _Reader:
    source: str
    vocab: tagmod.Vocabulary
    default_title: str
    chapters: list[RawChapter] = field(default_factory=list)
    title: str | None = None
    chapter_line: int = 1
    paragraphs: list[RawParagraph] = field(default_factory=list)
    sticky: Style = DEFAULT_STYLE  # from tag-only lines, until changed / chapter end
    style: Style = DEFAULT_STYLE  # inside the open paragraph
    items: list[Item] = field(default_factory=list)
    para_line: int = 0
    last_text: str = ""

    def flush(self, heading: bool = False) -> None:
        if self.items:
            self.paragraphs.append(RawParagraph(tuple(self.items), self.para_line, heading))
        self.items, self.last_text, self.style = [], "", self.sticky

    def end_chapter(self) -> None:
        self.flush()
        if self.paragraphs or self.title is not None:
            title = self.title if self.title is not None else self.default_title
            self.chapters.append(RawChapter(title, self.source, tuple(self.paragraphs), self.chapter_line))
        self.paragraphs = []

    def start_chapter(self, title: str, line: int) -> None:
        self.end_chapter()
        self.title, self.chapter_line = title, line
        self.sticky = self.style = DEFAULT_STYLE

    def add_line(self, text: str, line: int, *, tag_lines_sticky: bool = True) -> None:
        parts = tagmod.scan(text, file=self.source, line=line, vocab=self.vocab)
        sticky = tag_lines_sticky and tagmod.is_tag_only(parts)
        if not self.items:
            self.para_line = line
        line_start = True
        for part in parts:
            if isinstance(part, str):
                if not sticky:
                    self._add_text(strip_inline_markup(part), line, line_start)
                    line_start = False
            elif part.kind in ("emotion", "voice"):
                self.style = tagmod.apply(self.style, part)
                if sticky:
                    self.sticky = tagmod.apply(self.sticky, part)
            elif part.kind == "pause":
                self.items.append(Break(part.ms or 0, line))
            else:
                self.items.append(Boundary(line, seed=part.seed))

    def _add_text(self, text: str, line: int, line_start: bool) -> None:
        if line_start:
            text = text.lstrip()
            if self.last_text and text and not self.last_text[-1].isspace():
                text = join_sep(self.last_text, text) + text
        if not text:
            return
        self.items.append(Run(text, line, self.style))
        self.last_text = text


def front_matter(text: str, source: str) -> tuple[dict[object, object], int]:
    """(YAML mapping, lines it spans) for front matter opening the file, else ({}, 0)."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    body = [ln for ln in lines[1:end] if ln.strip() and not ln.lstrip().startswith("#")]
    if end is None or not body or not re.match(r"^[\w.-]+\s*:(\s|$)", body[0]):
        return {}, 0  # a --- opening prose is a thematic break, not front matter
    import yaml

    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ManuscriptError(
            f"bad YAML front matter: {getattr(exc, 'problem', exc)}",
            file=source,
            line=(mark.line + 2) if mark is not None else 2,
            fix="fix the YAML between the --- lines (key: value), or remove it",
        ) from None
    if not isinstance(meta, dict):
        raise ManuscriptError(
            "YAML front matter is not a mapping of key: value",
            file=source,
            line=2,
            fix="write key: value lines between the --- lines",
        )
    add_warning(
        "front-matter",
        f"YAML front matter ({', '.join(map(str, meta)) or 'empty'}) is not spoken",
        f"{source}:1",
    )
    return meta, end + 1


def read_markdown(path: Path, *, source: str, vocab: tagmod.Vocabulary) -> list[RawChapter]:
    """Read one ``.md``/``.txt`` file into chapters. Raises ManuscriptError / TagError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManuscriptError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=source, fix="save the file as UTF-8"
        ) from None
    text = unicodedata.normalize("NFC", text)
    meta, skip = front_matter(text, source)
    title = meta.get("title")
    reader = _Reader(source, vocab, str(title).strip() if title else title_from_stem(path.stem))
    in_comment = False
    for line_no, line in enumerate(text.splitlines(), 1):
        if line_no <= skip:
            continue
        if in_comment or line.lstrip().startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if m := _CHAPTER_RE.match(line):
            title_parts = tagmod.scan(m.group(1), file=source, line=line_no, vocab=vocab)
            title = strip_inline_markup("".join(p for p in title_parts if isinstance(p, str))).strip()
            reader.start_chapter(title, line_no)
            reader.add_line(m.group(1), line_no, tag_lines_sticky=False)
            reader.flush(heading=True)
        elif m := _HEADING_RE.match(line):
            reader.flush()
            reader.add_line(m.group(1), line_no, tag_lines_sticky=False)
            reader.flush(heading=True)
        elif _RULE_RE.match(line):
            reader.flush()  # a scene break: the planner makes it a pause
            reader.items, reader.para_line = [Run(line.strip(), line_no)], line_no
            reader.flush()
        elif not line.strip():
            reader.flush()
        else:
            text = line
            if _LIST_RE.match(text):
                reader.flush()
                text = _LIST_RE.sub("", text, count=1)
            reader.add_line(_QUOTE_RE.sub("", text, count=1), line_no)
    reader.end_chapter()
    return reader.chapters
