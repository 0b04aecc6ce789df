"""The build records and paths the pipeline uses (lector.core.build owns them), and the delivery
files' names (``NN-slug``)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from lector.core.build import BuildDir
from lector.core.build.manifest import (
    ChapterOutput,
    add_urls,
    book_sections,
    build_manifest,
    chapter_from_dict,
    fallback_error,
    fallback_summary,
    plan_warnings,
    read_manifest,
    render_fields,
    warning_counts,
)
from lector.core.build.qc_file import read_qc_summary
from lector.core.model import Chapter
from lector.core.project import Project

__all__ = [
    "BuildDir",
    "ChapterOutput",
    "add_urls",
    "book_sections",
    "build_manifest",
    "chapter_dir",
    "chapter_from_dict",
    "chapter_stem",
    "fallback_error",
    "fallback_summary",
    "plan_warnings",
    "read_manifest",
    "read_qc_summary",
    "render_fields",
    "slugify",
    "warning_counts",
]


def chapter_dir(project: Project, index: int) -> Path:
    return BuildDir.of(project).chapter_dir(index)


def slugify(text: str, fallback: str = "chapter") -> str:
    """ASCII file-name slug; keeps CJK text readable by falling back to ``fallback``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:48].strip("-") or fallback


def chapter_stem(chapter: Chapter) -> str:
    return f"{chapter.index:02d}-{slugify(chapter.title, 'chapter')}"
