"""``build/manifest.json``: what a render produced, for publishing and audit.

Records the files (path relative to build/, size, sha256, duration), per-chapter loudness
measurements and profile violations ("flags"), the plan hash, the engines (id + version),
synthesized/cached counts, the engine that spoke how many sentences of each chapter
(``engine_sentences``), every sentence spoken by a declared fallback voice (``fallback_details``:
id, cast voice, engine used, the error that made it fall back; top-level ``fallback``: count,
whether fallbacks were allowed, whether publishing was withheld) and the QC summary when ``build/qc.json`` exists. Each
chapter names its master (``master_id``) and says whether an edit kept the previous render's
mastering recipe (``recipe_kept``): such a chapter can differ from a clean render of the same
text by a few hundredths of a dB (docs/ARCHITECTURE.md, "Incremental masters").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from lector.core.audio.io import atomic_write_bytes
from lector.core.errors import FallbackUsed
from lector.core.hashing import file_digest
from lector.core.project import Project
from lector.core.render import RenderReport

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
    measurements: tuple[tuple[str, float], ...]  # Measurements fields, in order
    violations: tuple[str, ...]
    files: tuple[str, ...]  # masters/01-x.flac, .mp3, .vtt
    synthesized: int = 0
    cached: int = 0
    fallbacks: tuple[str, ...] = ()
    engines: tuple[tuple[str, str], ...] = ()  # (engine id, version)
    master_id: str = ""  # names the master's exact samples (master.json)
    recipe_kept: bool = False  # an edit replayed the last render's mastering recipe
    engine_sentences: tuple[tuple[str, int], ...] = ()  # (engine id, sentences it spoke)
    fallback_details: tuple[tuple[str, str, str, str], ...] = ()  # (sentence id, cast voice, engine, error)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["measurements"] = dict(self.measurements)
        d["engines"] = dict(self.engines)
        d["violations"] = list(self.violations)
        d["files"] = list(self.files)
        d["fallbacks"] = list(self.fallbacks)
        d["engine_sentences"] = dict(self.engine_sentences)
        d["fallback_details"] = [dict(zip(FALLBACK_KEYS, f)) for f in self.fallback_details]
        return d


FALLBACK_KEYS = ("sentence_id", "voice", "engine", "error")


def render_fields(reports: list[RenderReport]) -> dict:
    """A chapter's synthesis facts from its batches' reports: the ChapterOutput fields synthesized,
    cached, fallbacks, engines, engine_sentences and fallback_details."""
    results = [r for rep in reports for r in rep.results if r.ok]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.engine_id] = counts.get(r.engine_id, 0) + 1
    return {
        "synthesized": sum(r.synthesized for r in reports),
        "cached": sum(r.cached for r in reports),
        "fallbacks": tuple(f for r in reports for f in r.fallbacks),
        "engines": tuple(sorted({ev for rep in reports for ev in rep.engine_versions})),
        "engine_sentences": tuple(sorted(counts.items())),
        "fallback_details": tuple(
            (r.sentence_id, r.fallback_from or "", r.engine_id, r.error or "")
            for r in results
            if r.fallback_from
        ),
    }


def chapter_from_dict(entry: dict) -> ChapterOutput:
    """A previous manifest's chapter entry back as a ChapterOutput (this run did not render it)."""
    return ChapterOutput(
        index=entry["index"],
        title=entry["title"],
        duration_s=entry["duration_s"],
        profile=entry["profile"],
        gain_db=entry["gain_db"],
        measurements=tuple(entry["measurements"].items()),
        violations=tuple(entry["violations"]),
        files=tuple(entry["files"]),
        synthesized=0,
        cached=0,
        fallbacks=tuple(entry["fallbacks"]),
        engines=tuple(entry["engines"].items()),
        master_id=entry.get("master_id", ""),
        recipe_kept=bool(entry.get("recipe_kept", False)),
        engine_sentences=tuple(entry.get("engine_sentences", {}).items()),
        fallback_details=tuple(tuple(f[k] for k in FALLBACK_KEYS) for f in entry.get("fallback_details", [])),
    )


def file_entry(build_dir: Path, rel: str, duration_s: float | None) -> dict:
    path = build_dir / rel
    return {
        "path": rel,
        "size_bytes": path.stat().st_size,
        "sha256": file_digest(path),
        "duration_s": None if duration_s is None else round(duration_s, 3),
    }


def build_manifest(
    project: Project,
    *,
    plan_hash: str,
    chapters: list[ChapterOutput],
    book_files: tuple[str, ...],
    counts: tuple[int, int],
    publish_url: str | None = None,
    allow_fallback: bool = False,
) -> dict:
    """The manifest dict (``counts`` = (synthesized, cached) of this run; ``allow_fallback``: whether
    this run may publish a book with sentences spoken by a fallback voice)."""
    build = project.build_dir
    files = []
    for ch in chapters:
        files += [
            file_entry(build, rel, ch.duration_s if not rel.endswith(".vtt") else None) for rel in ch.files
        ]
    total_s = sum(ch.duration_s for ch in chapters)
    files += [file_entry(build, rel, total_s if rel.endswith(".m4b") else None) for rel in book_files]
    engines: dict[str, str] = {}
    for ch in chapters:
        engines.update(dict(ch.engines))
    flags = [
        {"chapter": ch.index, "title": ch.title, "profile": ch.profile, "issue": v}
        for ch in chapters
        for v in ch.violations
    ]
    book = project.config.book
    return {
        "schema": SCHEMA,
        "project": project.name,
        "title": book.title,
        "author": book.author,
        "language": book.language,
        "version": book.version,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan_hash": plan_hash,
        "profile": project.config.output.profile,
        "engines": dict(sorted(engines.items())),
        "synthesized": counts[0],
        "cached": counts[1],
        "fallbacks": [f for ch in chapters for f in ch.fallbacks],
        "fallback": fallback_summary(chapters, allow_fallback),
        "engine_sentences": _sum_counts(ch.engine_sentences for ch in chapters),
        "duration_s": round(total_s, 3),
        "chapters": [ch.to_dict() for ch in chapters],
        "files": files,
        "flags": flags,
        "qc": read_qc_summary(build),
        "publish_url": publish_url,
    }


def fallback_summary(chapters: list[ChapterOutput], allowed: bool) -> dict:
    """{"sentences": how many a fallback voice spoke, "chapters": {"index": how many}, "allowed",
    "publish_withheld"} (string keys: the same in memory and in manifest.json)."""
    used = {str(ch.index): len(ch.fallbacks) for ch in chapters if ch.fallbacks}
    n = sum(used.values())
    return {"sentences": n, "chapters": used, "allowed": allowed, "publish_withheld": bool(n) and not allowed}


def fallback_error(chapters: list[ChapterOutput], summary: dict, publish: bool) -> FallbackUsed:
    """The error that fails a run whose sentences a fallback voice spoke (fallbacks not allowed);
    ``.summary`` keeps the run's summary for the CLI."""
    rows = [(ch.index, f) for ch in chapters for f in ch.fallback_details]
    ch_index, (sid, voice, engine, error) = rows[0]
    where = ", ".join(f"chapter {ch.index}: {len(ch.fallbacks)}" for ch in chapters if ch.fallbacks)
    exc = FallbackUsed(
        f"{len(rows)} sentence(s) were spoken by a fallback voice ({where}); first: {sid} in chapter "
        f"{ch_index}, voice {voice!r} fell back to {engine} after: {error}. The masters are written "
        f"(build/manifest.json lists every one under fallback_details)"
        + (", nothing was published" if publish else ""),
        field=f"voices.{voice}",
        fix="fix the voice's engine and render again, or accept the fallback takes with "
        "`lector render --allow-fallback`",
    )
    exc.summary = summary
    return exc


def _sum_counts(rows) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in rows:
        for engine, n in row:
            total[engine] = total.get(engine, 0) + n
    return dict(sorted(total.items()))


def add_urls(manifest: dict, target) -> dict:
    """``publish_url`` / ``publish_https_url`` (the version's folder) and each file's ``url`` and
    ``https_url`` where ``target`` (a flows.publish.PublishTarget) stores it: ``s3://bucket/key``
    (or a ``file://`` URL for the local store) and, when the S3 endpoint is known, its http(s) URL
    (path style). Objects are content-addressed, so the URLs are known before publishing."""
    manifest["publish_target"] = target.kind
    manifest["publish_url"] = target.url_of(target.base_key) + "/"
    base_https = target.https_url(target.base_key)
    manifest["publish_https_url"] = base_https + "/" if base_https else None
    for entry in manifest["files"]:
        key = target.object_key(entry["sha256"], entry["path"])
        entry["url"], entry["https_url"] = target.url_of(key), target.https_url(key)
    return manifest


def warning_counts(warnings) -> dict[str, int]:
    """How many plan warnings of each kind, by kind name."""
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w.kind] = counts.get(w.kind, 0) + 1
    return dict(sorted(counts.items()))


def plan_warnings(warnings) -> dict:
    """The manifest's ``plan_warnings``: a count per kind and every warning (kind, message, source),
    so what the plan dropped, joined, skipped or changed is on record with the delivery."""
    return {"counts": warning_counts(warnings), "items": [w.to_dict() for w in warnings]}


def book_sections(meta, cover, retail: tuple, profile: str) -> dict:
    """The manifest's book fields: title and author as tagged, the whole ``metadata`` record
    (lector.core.metadata.BookMetadata), the ``cover`` (source, format, size, warnings) and the
    ``retail`` rules of the profile, pass or fail (lector.core.qc.retail.book_checks)."""
    from dataclasses import asdict as _asdict

    return {
        "title": meta.title,
        "author": meta.author,
        "metadata": meta.to_dict(),
        "cover": cover.summary() if cover is not None else None,
        "retail": {
            "profile": profile,
            "ok": all(c.ok for c in retail),
            "failures": [c.detail for c in retail if not c.ok],
            "checks": [_asdict(c) for c in retail],
        },
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
