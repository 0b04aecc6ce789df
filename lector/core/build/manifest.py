"""``build/manifest.json``: what a render produced, for publishing and audit.

Records the files (path relative to build/, size, sha256, duration), per-chapter loudness
measurements and profile violations ("flags"), the plan hash, the engines (id + version),
synthesized/cached counts, the engine that spoke how many sentences of each chapter
(``engine_sentences``), every sentence spoken by a declared fallback voice (``fallback_details``:
id, cast voice, engine used, the error that made it fall back; top-level ``fallback``: count,
whether fallbacks were allowed, whether publishing was withheld) and the QC summary when
``build/qc.json`` exists. Each chapter names its master (``master_id``) and says whether an edit
kept the previous render's mastering recipe (``recipe_kept``): such a chapter can differ from a
clean render of the same text by a few hundredths of a dB (docs/ARCHITECTURE.md, "Incremental
masters"). Publishing it (boto3, the local object store) is lector.flows.publish's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import FallbackUsed
from ..hashing import file_digest
from ..project import Project
from ..render import RenderReport
from . import layout
from .records import JsonObject, field_error, read_object, schema_of, write_object

if TYPE_CHECKING:
    from ..audio.cover import Cover
    from ..ingest.metadata import BookMetadata
    from ..model import PlanWarning

KIND = "manifest"
SCHEMA = schema_of(KIND)  # "lector-manifest-v1"
FALLBACK_KEYS = ("sentence_id", "voice", "engine", "error")


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

    def to_dict(self) -> JsonObject:
        d = asdict(self)
        d["measurements"] = dict(self.measurements)
        d["engines"] = dict(self.engines)
        d["violations"] = list(self.violations)
        d["files"] = list(self.files)
        d["fallbacks"] = list(self.fallbacks)
        d["engine_sentences"] = dict(self.engine_sentences)
        d["fallback_details"] = [dict(zip(FALLBACK_KEYS, f, strict=True)) for f in self.fallback_details]
        return d

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> ChapterOutput:
        """A chapter entry (manifest.json, master.json) back as a ChapterOutput."""
        details = entry.get("fallback_details", [])
        return cls(
            index=int(entry["index"]),
            title=str(entry["title"]),
            duration_s=float(entry["duration_s"]),
            profile=str(entry["profile"]),
            gain_db=float(entry["gain_db"]),
            measurements=tuple(entry["measurements"].items()),
            violations=tuple(entry["violations"]),
            files=tuple(entry.get("files", ())),
            synthesized=int(entry.get("synthesized", 0)),
            cached=int(entry.get("cached", 0)),
            fallbacks=tuple(entry.get("fallbacks", ())),
            engines=tuple(entry.get("engines", {}).items()),
            master_id=str(entry.get("master_id", "")),
            recipe_kept=bool(entry.get("recipe_kept", False)),
            engine_sentences=tuple(entry.get("engine_sentences", {}).items()),
            fallback_details=tuple(
                (str(f["sentence_id"]), str(f["voice"]), str(f["engine"]), str(f["error"])) for f in details
            ),
        )


@dataclass(frozen=True)
class FileEntry:
    """One delivered file of the manifest."""

    path: str  # relative to build/
    size_bytes: int
    sha256: str
    duration_s: float | None


@dataclass(frozen=True)
class Manifest:
    """The manifest document (key order as written) with typed access to what readers use."""

    doc: JsonObject

    @property
    def files(self) -> tuple[FileEntry, ...]:
        return tuple(
            FileEntry(str(f["path"]), int(f["size_bytes"]), str(f["sha256"]), f.get("duration_s"))
            for f in self.doc.get("files", [])
        )

    @property
    def chapters(self) -> tuple[ChapterOutput, ...]:
        return tuple(ChapterOutput.from_dict(c) for c in self.doc.get("chapters", []))

    @property
    def fallback(self) -> JsonObject:
        return dict(self.doc.get("fallback") or {})

    def delivery_notes(self) -> list[str]:
        """Failing retail rules, cover warnings and metadata notes, in that order."""
        doc = self.doc
        return (
            list((doc.get("retail") or {}).get("failures", []))
            + list((doc.get("cover") or {}).get("warnings", []))
            + list((doc.get("metadata") or {}).get("notes", []))
        )

    def to_dict(self) -> JsonObject:
        return self.doc

    @classmethod
    def from_dict(cls, doc: JsonObject, path: Path = Path("manifest.json")) -> Manifest:
        manifest = cls(doc)
        try:
            manifest.files  # noqa: B018  (checks every file entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise field_error(path, exc) from None
        return manifest


def render_fields(reports: list[RenderReport]) -> dict[str, Any]:
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


def chapter_from_dict(entry: Mapping[str, Any]) -> ChapterOutput:
    """A previous manifest's chapter entry back as a ChapterOutput (this run did not render it)."""
    return ChapterOutput.from_dict({**entry, "synthesized": 0, "cached": 0})


def file_entry(build_dir: Path, rel: str, duration_s: float | None) -> JsonObject:
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
    qc_summary: JsonObject | None = None,
) -> JsonObject:
    """The manifest dict (``counts`` = (synthesized, cached) of this run; ``allow_fallback``: whether
    this run may publish a book with sentences spoken by a fallback voice; ``qc_summary``: the
    summary of build/qc.json, read here when not given)."""
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
    if qc_summary is None:
        from .qc_file import read_qc_summary

        qc_summary = read_qc_summary(build)
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
        "qc": qc_summary,
        "publish_url": publish_url,
    }


def fallback_summary(chapters: Sequence[ChapterOutput], allowed: bool) -> JsonObject:
    """{"sentences": how many a fallback voice spoke, "chapters": {"index": how many}, "allowed",
    "publish_withheld"} (string keys: the same in memory and in manifest.json)."""
    used = {str(ch.index): len(ch.fallbacks) for ch in chapters if ch.fallbacks}
    n = sum(used.values())
    return {"sentences": n, "chapters": used, "allowed": allowed, "publish_withheld": bool(n) and not allowed}


def fallback_error(chapters: Sequence[ChapterOutput], summary: JsonObject, publish: bool) -> FallbackUsed:
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
    exc.summary = summary  # read by the CLI's summary printer
    return exc


def _sum_counts(rows: Iterable[tuple[tuple[str, int], ...]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in rows:
        for engine, n in row:
            total[engine] = total.get(engine, 0) + n
    return dict(sorted(total.items()))


class UrlTarget(Protocol):
    """Where a manifest's files are published (lector.core.pipeline.target.PublishTarget)."""

    @property
    def kind(self) -> str: ...
    @property
    def base_key(self) -> str: ...

    def url_of(self, key: str) -> str: ...
    def https_url(self, key: str) -> str | None: ...
    def object_key(self, sha256: str, rel: str) -> str: ...


def add_urls(manifest: JsonObject, target: UrlTarget) -> JsonObject:
    """``publish_url`` / ``publish_https_url`` (the version's folder) and each file's ``url`` and
    ``https_url`` where ``target`` stores it: ``s3://bucket/key`` (or a ``file://`` URL for the
    local store) and, when the S3 endpoint is known, its http(s) URL (path style). Objects are
    content-addressed, so the URLs are known before publishing."""
    manifest["publish_target"] = target.kind
    manifest["publish_url"] = target.url_of(target.base_key) + "/"
    base_https = target.https_url(target.base_key)
    manifest["publish_https_url"] = base_https + "/" if base_https else None
    for entry in manifest["files"]:
        key = target.object_key(entry["sha256"], entry["path"])
        entry["url"], entry["https_url"] = target.url_of(key), target.https_url(key)
    return manifest


def warning_counts(warnings: Iterable[PlanWarning]) -> dict[str, int]:
    """How many plan warnings of each kind, by kind name."""
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w.kind] = counts.get(w.kind, 0) + 1
    return dict(sorted(counts.items()))


def plan_warnings(warnings: Sequence[PlanWarning]) -> JsonObject:
    """The manifest's ``plan_warnings``: a count per kind and every warning (kind, message, source),
    so what the plan dropped, joined, skipped or changed is on record with the delivery."""
    return {"counts": warning_counts(warnings), "items": [w.to_dict() for w in warnings]}


def book_sections(
    meta: BookMetadata, cover: Cover | None, retail: tuple[Any, ...], profile: str
) -> JsonObject:
    """The manifest's book fields: title and author as tagged, the whole ``metadata`` record
    (lector.core.ingest.metadata.BookMetadata), the ``cover`` (source, format, size, warnings) and the
    ``retail`` rules of the profile, pass or fail (lector.core.qc.retail.book_checks)."""
    return {
        "title": meta.title,
        "author": meta.author,
        "metadata": meta.to_dict(),
        "cover": cover.summary() if cover is not None else None,
        "retail": {
            "profile": profile,
            "ok": all(c.ok for c in retail),
            "failures": [c.detail for c in retail if not c.ok],
            "checks": [asdict(c) for c in retail],
        },
    }


def write_manifest(build_dir: Path, manifest: JsonObject | Manifest) -> Path:
    """build/manifest.json (checked: a known schema, well-formed file entries)."""
    path = Path(build_dir) / layout.MANIFEST
    doc = manifest.to_dict() if isinstance(manifest, Manifest) else manifest
    Manifest.from_dict(doc, path)
    return write_object(path, doc)


def load_manifest(build_dir: Path) -> Manifest | None:
    """build/manifest.json as a Manifest; None before the first render."""
    path = Path(build_dir) / layout.MANIFEST
    data = read_object(path, KIND)
    return None if data is None else Manifest.from_dict(data, path)


def read_manifest(build_dir: Path) -> JsonObject | None:
    """build/manifest.json as its (checked) dict; None before the first render."""
    manifest = load_manifest(build_dir)
    return None if manifest is None else manifest.to_dict()
