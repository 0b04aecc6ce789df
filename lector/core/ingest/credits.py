"""Spoken opening and closing credits (``[credits]`` in project.toml), each its own chapter.

Audiobook retailers (ACX) ask for opening credits (title, author, narrator) and closing
credits. The names come from ``lector.core.ingest.metadata.book_metadata`` ([book] over the EPUB's
own metadata); a narrator credit nobody set is spoken as "a synthetic voice".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .raw import RawChapter, RawParagraph, Run

if TYPE_CHECKING:
    from ..project import Project

TEMPLATES = {
    "en": {
        "opening": "{title}. Written by {author}. Read by {narrator}.",
        "opening_no_author": "{title}. Read by {narrator}.",
        "closing": "The end. You have been listening to {title}, written by {author}, read by {narrator}.",
        "closing_no_author": "The end. You have been listening to {title}, read by {narrator}.",
        "synthetic": "a synthetic voice",
        "opening_title": "Opening Credits",
        "closing_title": "Closing Credits",
    },
    "zh": {
        "opening": "{title}。作者：{author}。演播：{narrator}。",
        "opening_no_author": "{title}。演播：{narrator}。",
        "closing": "全书完。您收听的是{title}，作者：{author}，演播：{narrator}。",
        "closing_no_author": "全书完。您收听的是{title}，演播：{narrator}。",
        "synthetic": "合成语音",
        "opening_title": "片头",
        "closing_title": "片尾",
    },
}
SOURCE = "manuscript/credits"


def with_credits(project: Project, chapters: list[RawChapter]) -> list[RawChapter]:
    """``chapters`` with the opening / closing credits chapters the project asks for."""
    cfg = project.config.credits
    is_epub = any(
        c.source.split("/")[1].lower().endswith(".epub") for c in chapters if c.source.count("/") > 1
    )
    opening = cfg.opening if cfg.opening is not None else is_epub
    if not (opening or cfg.closing) or not chapters:
        return chapters
    words = TEMPLATES.get(project.config.book.language, TEMPLATES["en"])
    names = _names(project, words)
    out = list(chapters)
    if opening:
        text = _fill(
            cfg.opening_text or words["opening" if names["author"] else "opening_no_author"],
            names,
            "credits.opening_text",
            project,
        )
        out.insert(0, RawChapter(words["opening_title"], SOURCE, (RawParagraph((Run(text, 1),), 1),)))
    if cfg.closing:
        text = _fill(
            cfg.closing_text or words["closing" if names["author"] else "closing_no_author"],
            names,
            "credits.closing_text",
            project,
        )
        out.append(RawChapter(words["closing_title"], SOURCE, (RawParagraph((Run(text, 1),), 1),)))
    return out


def _names(project: Project, words: dict[str, str]) -> dict[str, str]:
    from .metadata import UNKNOWN_AUTHOR, book_metadata

    meta = book_metadata(project)
    joiner = "、" if project.config.book.language == "zh" else " and "
    author = "" if meta.authors == (UNKNOWN_AUTHOR,) else joiner.join(meta.authors)
    synthetic = any(n.startswith("narrators:") for n in meta.notes)
    narrator = words["synthetic"] if synthetic else joiner.join(meta.narrators)
    return {"title": meta.title, "author": author, "narrator": narrator}


def _fill(template: str, names: dict[str, str], field: str, project: Project) -> str:
    try:
        return template.format(**names)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"bad placeholder in {template!r}: {exc}",
            file=project.root / "project.toml",
            field=field,
            fix="use only {title}, {author} and {narrator} (write {{ }} for braces)",
        ) from None
