"""Manuscript readers: project folder -> raw chapters (nothing is written).

``read_manuscript(project)`` reads every supported file in ``manuscript/`` in
file-name order: ``.md``/``.markdown``/``.txt`` (inline ``[[tags]]``),
``.ssml`` (SSML 1.1 + mstts:express-as) and ``.epub`` (EPUB 2/3).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ManuscriptError
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawChapter, RawParagraph, Run, Style

if TYPE_CHECKING:
    from ..project import Project
    from .tags import Vocabulary

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
SUFFIXES = (*TEXT_SUFFIXES, ".ssml", ".epub")

__all__ = [
    "DEFAULT_STYLE",
    "SUFFIXES",
    "Boundary",
    "Break",
    "Item",
    "RawChapter",
    "RawParagraph",
    "Run",
    "Style",
    "manuscript_files",
    "read_manuscript",
    "vocabulary",
]


def manuscript_files(project: Project) -> list[Path]:
    """Supported files in ``manuscript/``, sorted by name (hidden files skipped)."""
    folder = project.manuscript_dir
    if not folder.is_dir():
        raise ManuscriptError(
            "no manuscript/ folder",
            file=folder,
            fix="create manuscript/ and put .md, .txt, .ssml or .epub files in it",
        )
    files = sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )
    if not files:
        raise ManuscriptError(
            "manuscript/ holds no .md, .txt, .ssml or .epub file",
            file=folder,
            fix="add a manuscript file, e.g. manuscript/01-chapter.md",
        )
    return files


def vocabulary(project: Project) -> Vocabulary:
    """The emotions and cast names tags may use."""
    from .tags import Vocabulary

    return Vocabulary(emotions=tuple(project.config.emotions), voices=tuple(project.config.voices))


def read_manuscript(project: Project) -> list[RawChapter]:
    """All chapters of the project's manuscript, in order. Raises ManuscriptError/TagError."""
    from .credits import with_credits
    from .epub import epub_settings, read_epub
    from .markdown import read_markdown
    from .ssml import read_ssml

    vocab = vocabulary(project)
    lang = project.config.book.language
    chapters: list[RawChapter] = []
    for path in manuscript_files(project):
        source = f"manuscript/{path.name}"
        suffix = path.suffix.lower()
        if suffix in TEXT_SUFFIXES:
            chapters.extend(read_markdown(path, source=source, vocab=vocab))
        elif suffix == ".ssml":
            chapters.extend(read_ssml(path, source=source, vocab=vocab, lang=lang))
        else:
            shape, options = epub_settings(project)
            chapters.extend(
                read_epub(
                    path,
                    source=source,
                    vocab=vocab,
                    front_matter=shape.front_matter,
                    shape=shape,
                    options=options,
                )
            )
    return with_credits(project, chapters)
