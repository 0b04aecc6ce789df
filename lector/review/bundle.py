"""Static HTML review bundle for editors without the app: ``index.html`` plus one page per
chapter, linking the masters' audio with relative paths (the read-along and seek work offline;
CSS and JS are inlined, nothing is fetched from the network). Each chapter page carries its
loudness view (routes_waveform's levels JSON: curve, paragraph and sentence levels and waveforms,
measured once per chapter content) and draws it with the app's wave.js."""

from __future__ import annotations

import json
import os
import time
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from lector.core.build import BuildDir
from lector.core.errors import LectorError
from lector.core.project import Project

from .data import BuildView
from .routes_waveform import chapter_levels_json
from .store import ReviewStore

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
AUDIO_PREFERENCE = (".mp3", ".m4a", ".flac", ".wav")


@lru_cache(maxsize=1)
def _env() -> Environment:
    """One environment per process: it keeps the compiled templates (compiling them took most of
    an export after a one-sentence edit) and recompiles a template whose file changed."""
    return Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html"]))


def _masters(build: BuildDir, index: int) -> list[Path]:
    folder = build.masters_dir
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{index:02d}-*") if p.is_file()]
    return sorted(
        found,
        key=lambda p: (AUDIO_PREFERENCE.index(p.suffix) if p.suffix in AUDIO_PREFERENCE else 99, p.name),
    )


def _rel(target: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(target.resolve(), out_dir.resolve())).as_posix()


def export_bundle(project: Project | str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the bundle to ``out_dir`` (default ``build/masters/review``); returns index.html's path.
    Audio links prefer the chapter MP3 master, then FLAC; chapters without a master link
    ``build/chapters/NN/chapter.flac``."""
    root = Path(project.root if isinstance(project, Project) else project).resolve()
    view = BuildView(root, ReviewStore.for_project(root))
    build = view.dir
    out = Path(out_dir).resolve() if out_dir else build.review_bundle_dir
    out.mkdir(parents=True, exist_ok=True)
    env = _env()
    static = TEMPLATES_DIR / "static"
    common = {
        "project_title": _title(project, root),
        "css": (static / "review.css").read_text(encoding="utf-8"),
        "js": (static / "review.js").read_text(encoding="utf-8").replace("</", "<\\/"),
        "wave_js": (static / "wave.js").read_text(encoding="utf-8").replace("</", "<\\/"),
    }
    rows = []
    for info in view.chapters():
        entry: dict[str, object] = {"info": info, "page": None, "audio_links": []}
        if info.status != "not rendered":
            masters = _masters(build, info.index)
            audio_files = [p for p in masters if p.suffix in AUDIO_PREFERENCE]
            vtt = next((p for p in masters if p.suffix == ".vtt"), None)
            fallback = build.chapter_flac(info.index)
            audio = audio_files[0] if audio_files else (fallback if fallback.is_file() else None)
            page = f"chapter-{info.index:02d}.html"
            html = env.get_template("bundle_chapter.html").render(
                info=info,
                sentences=view.sentences(info.index),
                audio=_rel(audio, out) if audio else None,
                vtt=_rel(vtt, out) if vtt else None,
                **_levels(view, info.index),
                **common,
            )
            (out / page).write_text(html, encoding="utf-8")
            entry.update(page=page, audio_links=[_rel(p, out) for p in audio_files])
        rows.append(entry)
    index = out / "index.html"
    index.write_text(
        env.get_template("bundle_index.html").render(
            chapters=rows, exported=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **common
        ),
        encoding="utf-8",
    )
    return index


def _levels(view: BuildView, index: int) -> dict[str, str | None]:
    """The chapter's loudness view (routes_waveform's JSON, drawn by wave.js from the page itself),
    or why there is none: the bundle says so rather than leaving the view out."""
    try:
        data = chapter_levels_json(view, index, view.timeline(index) or {})
    except LectorError as exc:
        return {"levels": None, "levels_missing": exc.message + (f" — {exc.fix}" if exc.fix else "")}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return {"levels": text, "levels_missing": None}


def _title(project, root: Path) -> str:
    """[book] title, else the manuscript EPUB's (lector.core.ingest.metadata), else the folder's name."""
    from lector.core.ingest.metadata import book_metadata

    try:
        if not isinstance(project, Project):
            from lector.core.project import load_project

            project = load_project(root)
        return project.config.book.title or book_metadata(project).title
    except (OSError, ValueError):
        return root.name
