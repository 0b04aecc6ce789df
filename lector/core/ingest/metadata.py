"""The book's metadata for the delivery files: project.toml ``[book]`` over the EPUB's own metadata.

``book_metadata(project)`` merges, field by field, what ``[book]`` sets (a non-empty value) over
what the manuscript's EPUB says (lector.core.ingest.epub_meta), and records in ``notes`` every
field that fell back to a default (no title anywhere is an error; no author is "Unknown", said
loudly). The narrator credit defaults to the cast's synthetic voice, named as such: retailers
ask for AI narration to be disclosed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .epub_meta import EpubMeta, read_epub_meta

if TYPE_CHECKING:
    from ..project import Project

UNKNOWN_AUTHOR = "Unknown"


@dataclass(frozen=True)
class BookMetadata:
    """What the tags of every delivery file say about the book."""

    title: str
    authors: tuple[str, ...]
    narrators: tuple[str, ...]
    language: str  # BCP 47 as the book gives it (en-GB), else [book] language
    subtitle: str = ""
    publisher: str = ""
    year: str = ""
    description: str = ""
    genres: tuple[str, ...] = ()
    series: str = ""
    series_part: str = ""
    isbn: str = ""
    identifier: str = ""
    copyright: str = ""
    epub: str = ""  # the EPUB the metadata came from (manuscript/...), "" if none
    notes: tuple[str, ...] = ()  # fields that fell back to a default

    @property
    def author(self) -> str:
        return ", ".join(self.authors)

    @property
    def narrator(self) -> str:
        return ", ".join(self.narrators)

    @property
    def genre(self) -> str:
        return "; ".join(self.genres) if self.genres else "Audiobook"

    @property
    def album(self) -> str:
        """The album tag players group by: "Title: Subtitle"."""
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title

    def to_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def manuscript_epub(project: Project) -> Path | None:
    """The first EPUB of manuscript/ (file-name order), if any."""
    folder = project.manuscript_dir
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".epub" and not p.name.startswith("."))
    return found[0] if found else None


def book_metadata(project: Project) -> BookMetadata:
    """[book] over the EPUB's metadata (see the module doc). ConfigError when no title is known."""
    book = project.config.book
    epub = manuscript_epub(project)
    src = read_epub_meta(epub) if epub is not None else EpubMeta()
    notes = []
    title = book.title or src.title
    if not title:
        raise ConfigError(
            "the book has no title: [book] title is not set and the manuscript has no EPUB title",
            file=project.root / "project.toml",
            field="book.title",
            fix='add title = "..." under [book]',
        )
    authors = tuple(a.strip() for a in book.author.split(";") if a.strip()) or src.authors
    if not authors:
        authors = (UNKNOWN_AUTHOR,)
        notes.append(
            f"author: none in project.toml or the manuscript, {UNKNOWN_AUTHOR!r} written (set [book] author)"
        )
    narrators = book.narrators or src.narrators
    if not narrators:
        narrators = (_synthetic_credit(project),)
        notes.append(f"narrators: none given, credited to {narrators[0]!r} (set [book] narrators)")
    same = src.language.split("-")[0].lower() == book.language  # en-GB for [book] language "en"
    language = (
        src.language if src.language and (same or "language" not in book.model_fields_set) else book.language
    )
    return BookMetadata(
        title=title,
        authors=authors,
        narrators=narrators,
        language=language,
        subtitle=book.subtitle or src.subtitle,
        publisher=book.publisher or src.publisher,
        year=book.year or src.year,
        description=book.description or src.description,
        genres=book.genres or src.subjects,
        series=book.series or src.series,
        series_part=book.series_part or src.series_part,
        isbn=book.isbn or src.isbn,
        identifier=book.identifier or src.identifier,
        copyright=book.copyright or src.rights,
        epub=f"manuscript/{epub.name}" if epub is not None else "",
        notes=tuple(notes),
    )


def _synthetic_credit(project: Project) -> str:
    spec = project.config.voices.get(project.config.book.narrator)
    voice = f"{spec.engine} {spec.voice}" if spec is not None else project.config.book.narrator
    return f"{voice} (synthetic voice)"
