"""``build/manifest.json``: what a render produced, for publishing and audit.

Records the files (path relative to build/, size, sha256, duration), per-chapter loudness
measurements and profile violations ("flags"), the plan hash, the engines (id + version),
synthesized/cached counts, fallbacks and the QC summary when ``build/qc.json`` exists. Each
chapter names its master (``master_id``) and says whether an edit kept the previous render's
mastering recipe (``recipe_kept``): such a chapter can differ from a clean render of the same
text by a few hundredths of a dB (docs/ARCHITECTURE.md, "Incremental masters").
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from tts_engine.audio.io import atomic_write_bytes
from tts_engine.hashing import file_digest
from tts_engine.project import Project

MANIFEST_NAME = "manifest.json"
SCHEMA = "lector-manifest-v1"


@dataclass(frozen=True)
class ChapterOutput:
    """What one chapter's tasks produced (paths are relative to build/)."""

    index: int
    title: str
    duration_s: float
    profile: str
    gain_db: float
    measurements: tuple[tuple[str, float], ...]     # Measurements fields, in order
    violations: tuple[str, ...]
    files: tuple[str, ...]                          # masters/01-x.flac, .mp3, .vtt
    synthesized: int = 0
    cached: int = 0
    fallbacks: tuple[str, ...] = ()
    engines: tuple[tuple[str, str], ...] = ()       # (engine id, version)
    master_id: str = ""                             # names the master's exact samples (master.json)
    recipe_kept: bool = False                       # an edit replayed the last render's mastering recipe

    def to_dict(self) -> dict:
        d = asdict(self)
        d["measurements"] = dict(self.measurements)
        d["engines"] = dict(self.engines)
        d["violations"] = list(self.violations)
        d["files"] = list(self.files)
        d["fallbacks"] = list(self.fallbacks)
        return d


def file_entry(build_dir: Path, rel: str, duration_s: float | None) -> dict:
    path = build_dir / rel
    return {"path": rel, "size_bytes": path.stat().st_size, "sha256": file_digest(path),
            "duration_s": None if duration_s is None else round(duration_s, 3)}


def build_manifest(project: Project, *, plan_hash: str, chapters: list[ChapterOutput],
                   book_files: tuple[str, ...], counts: tuple[int, int],
                   publish_url: str | None = None) -> dict:
    """The manifest dict (``counts`` = (synthesized, cached) of this run)."""
    build = project.build_dir
    files = []
    for ch in chapters:
        files += [file_entry(build, rel, ch.duration_s if not rel.endswith(".vtt") else None)
                  for rel in ch.files]
    total_s = sum(ch.duration_s for ch in chapters)
    files += [file_entry(build, rel, total_s if rel.endswith(".m4b") else None) for rel in book_files]
    engines: dict[str, str] = {}
    for ch in chapters:
        engines.update(dict(ch.engines))
    flags = [{"chapter": ch.index, "title": ch.title, "profile": ch.profile, "issue": v}
             for ch in chapters for v in ch.violations]
    book = project.config.book
    return {
        "schema": SCHEMA,
        "project": project.name, "title": book.title, "author": book.author,
        "language": book.language, "version": book.version,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "plan_hash": plan_hash,
        "profile": project.config.output.profile,
        "engines": dict(sorted(engines.items())),
        "synthesized": counts[0], "cached": counts[1],
        "fallbacks": [f for ch in chapters for f in ch.fallbacks],
        "duration_s": round(total_s, 3),
        "chapters": [ch.to_dict() for ch in chapters],
        "files": files,
        "flags": flags,
        "qc": read_qc_summary(build),
        "publish_url": publish_url,
    }


def read_qc_summary(build_dir: Path) -> dict | None:
    """The ``summary`` of build/qc.json (written by `lector qc`), or None before QC ran."""
    path = build_dir / "qc.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("summary")
    except json.JSONDecodeError:
        return None


def write_manifest(build_dir: Path, manifest: dict) -> Path:
    path = build_dir / MANIFEST_NAME
    atomic_write_bytes(path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def read_manifest(build_dir: Path) -> dict | None:
    path = build_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
