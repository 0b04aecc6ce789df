"""The project facts every review page shows: title, emotions and cast names."""

from __future__ import annotations

from pathlib import Path

from lector.core.project import DEFAULT_EMOTIONS


def project_meta(root: Path) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(title, emotions, cast names) from project.toml, with fallbacks when absent."""
    try:
        from lector.core.ingest.metadata import book_metadata
        from lector.core.project import load_project

        project = load_project(root)
        cfg = project.config
        return cfg.book.title or book_metadata(project).title, tuple(cfg.emotions), tuple(cfg.voices)
    except (OSError, ValueError):
        return root.name, DEFAULT_EMOTIONS, ()
