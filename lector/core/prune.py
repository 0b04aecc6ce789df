"""Pruning a project's build folder: the files the current plan and masters no longer use.

Edits, re-rolls and fresh masters leave every take and every mastered block's tables and AAC frames
ever made in build/ (an edit that is undone reuses them, so a render deletes none of them; a block's
FLAC and MP3 frames are kept once, inside chapter.flac and the chapter MP3, see
docs/ARCHITECTURE.md). Over a long review that grows without bound. :func:`prune_build` removes what
nothing refers to any more:

- ``cache/``: takes that are not the current plan's (its cast voices, and its draft voices), not
  in a chapter's timeline (the takes its master was made from, fallbacks included) and not in
  ``keep_keys`` (the review app's take history, which the caller passes);
- ``blocks/``: files of mastered blocks that no chapter's master.json lists, and the FLAC of a block
  that its chapter.flac holds (a build rendered before blocks were kept once);
- ``aac/``: chapter AACs of masters that are gone (the M4B step removes the rest);
- ``qc-cache/``: records of takes that are not kept, of chapter masters that are gone, or of
  another QC version;
- temporary files left behind by killed writes, in those folders.

Only files last written more than ``min_age_s`` ago are removed: a render running beside the
prune is still writing files that no master lists yet. masters/, chapters/, the manifest, the plan,
the review state and the object store are never touched. When a voice's engine cannot be loaded
here, no take's owner can be told for sure, so the cache is left whole (the report says why).
A render cache elsewhere ($LECTOR_CACHE_URL) is shared and is not pruned from one project.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .audio.spliced import Spliced
from .build import BuildDir
from .casting import VoiceResolver
from .errors import LectorError
from .hashing import file_digest
from .model import Plan
from .project import Project
from .qc.cache import QC_VERSION, profile_key
from .render import sentence_keys

AREAS = ("cache", "blocks", "aac", "qc-cache")
DEFAULT_MIN_AGE_S = 600.0


@dataclass(frozen=True)
class PruneArea:
    name: str  # one of AREAS
    removed: int  # files (removed, or that would be with dry_run)
    freed_bytes: int
    kept: int
    skipped: str = ""  # why the area was left whole ("" = pruned)


@dataclass(frozen=True)
class PruneReport:
    areas: tuple[PruneArea, ...]
    removed: tuple[Path, ...]
    dry_run: bool

    @property
    def freed_bytes(self) -> int:
        return sum(a.freed_bytes for a in self.areas)


@dataclass(frozen=True)
class _Live:
    takes: frozenset[str] | None  # None: unknown, keep the whole cache
    takes_why: str
    blocks: frozenset[tuple[str, str]]  # (block key, recipe key)
    spliced: frozenset[str]  # ids ("<key>.<recipe>") of blocks whose FLAC frames a chapter.flac holds
    master_ids: frozenset[str]
    qc_keys: frozenset[str]


def prune_build(
    project: Project,
    plan: Plan,
    *,
    keep_keys: Iterable[str] = (),
    min_age_s: float = DEFAULT_MIN_AGE_S,
    dry_run: bool = False,
    now: float | None = None,
) -> PruneReport:
    """Remove (or with ``dry_run`` list) what the build no longer uses; see the module doc."""
    build = BuildDir.of(project)
    live = _live(project, plan, frozenset(keep_keys))
    cutoff = (time.time() if now is None else now) - min_age_s
    block_docs = {f"{k}.json" for k, _ in live.blocks}  # their sentence timelines stay too
    keepers: dict[str, Callable[[Path], bool]] = {
        "cache": lambda p: live.takes is None or p.stem in live.takes,
        "blocks": lambda p: (
            (_block_of(p.name) in live.blocks and not _held(p.name, live.spliced)) or p.name in block_docs
        ),
        "aac": lambda p: p.name.split("-")[0] in live.master_ids,
        "qc-cache": lambda p: p.name.split(".")[0] in live.qc_keys,
    }
    folders = {"cache": build.cache_dir, "blocks": build.blocks_dir, "aac": build.aac_dir}
    folders["qc-cache"] = build.qc_cache_dir
    areas, removed = [], []
    for name in AREAS:
        if name == "cache" and live.takes is None:
            areas.append(PruneArea(name, 0, 0, _count(folders[name]), live.takes_why))
            continue
        gone, kept, freed = _sweep(folders[name], keepers[name], cutoff, dry_run)
        areas.append(PruneArea(name, len(gone), freed, kept))
        removed += gone
    return PruneReport(tuple(areas), tuple(sorted(removed)), dry_run)


def _live(project: Project, plan: Plan, keep_keys: frozenset[str]) -> _Live:
    build = BuildDir.of(project)
    masters = build.master_docs()
    rendered = {row.cache_key for t in build.timelines() for row in t.sentences}
    planned, why = _plan_takes(project, plan)
    takes = None if planned is None else frozenset(planned | rendered | keep_keys) - {""}
    blocks = frozenset((b.key, b.recipe) for m in masters for b in m.blocks)
    master_ids = frozenset(m.master_id for m in masters)
    return _Live(takes, why, blocks, _spliced(build), master_ids, _qc_keys(project, takes))


def _spliced(build: BuildDir) -> frozenset[str]:
    """Blocks whose frames lie in their chapter's chapter.flac, per its stamp (Spliced spans),
    while the file is the one that stamp describes."""
    held: set[str] = set()
    for index in build.built_chapters():
        flac, stamp = build.chapter_flac(index), build.read_stamp(index, "flac")
        if stamp is None or not flac.is_file() or flac.stat().st_size != stamp.size:
            continue
        spliced = Spliced.from_extra(flac, stamp.extra)
        if spliced is not None and file_digest(flac) == stamp.sha256:
            held |= set(spliced.spans)
    return frozenset(held)


def _held(name: str, spliced: frozenset[str]) -> bool:
    """``name`` is a block's own FLAC ("<key>.<recipe>.flac") whose frames chapter.flac holds."""
    key, recipe = _block_of(name)
    return name == f"{key}.{recipe}.flac" and f"{key}.{recipe}" in spliced


def _plan_takes(project: Project, plan: Plan) -> tuple[set[str] | None, str]:
    """Every cache key the plan renders to (cast and draft voices), or None and why not."""
    resolver = VoiceResolver.from_project(project)
    sentences = [s for ch in plan.chapters for s in ch.sentences]
    keys: set[str] = set()
    try:
        for draft in (False, True):
            found = sentence_keys(sentences, resolver, draft=draft)
            if len(found) < len(sentences):
                missing = next(s for s in sentences if s.id not in found)
                return None, f"the voice {missing.voice!r} of sentence {missing.id} does not resolve here"
            keys |= set(found.values())
    except LectorError as exc:
        return None, f"a voice's engine cannot be loaded here ({exc})"
    return keys, ""


def _qc_keys(project: Project, takes: frozenset[str] | None) -> frozenset[str]:
    """QC records worth keeping: each kept take's (keyed by its FLAC bytes) and each chapter
    master's profile check; "<key>-<QC_VERSION>" (the record names' first dotted part)."""
    build, found = BuildDir.of(project), set()
    # takes None: the cache is whole, so keep the QC record of every take in it
    paths = build.cache_dir.glob("*/*.flac") if takes is None else (build.take_path(k) for k in takes)
    for path in paths:
        if path.is_file():
            found.add(file_digest(path))
    profile = project.config.output.profile
    for flac in build.chapter_flacs():
        found.add(profile_key(profile, flac))
    return frozenset(f"{k}-{QC_VERSION}" for k in found)


def _block_of(name: str) -> tuple[str, str]:
    """(block key, recipe key) of a block file "<key>.<recipe>.<...>"; ("", "") for others."""
    parts = name.split(".")
    return (parts[0], parts[1]) if len(parts) >= 3 else ("", "")


def _sweep(
    folder: Path, keep: Callable[[Path], bool], cutoff: float, dry_run: bool
) -> tuple[list[Path], int, int]:
    """Files under ``folder`` that ``keep`` rejects (and temp files), older than ``cutoff``."""
    gone: list[Path] = []
    kept, freed = 0, 0
    if not folder.is_dir():
        return gone, kept, freed
    for path in folder.rglob("*"):
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        # temp files of killed writes: fsutil.atomic_path's ".<name>.*", the QC cache's "*.tmp"
        temp = path.name.startswith(".") or path.suffix == ".tmp"
        if (not temp and keep(path)) or st.st_mtime > cutoff:
            kept += 1
            continue
        gone.append(path)
        freed += st.st_size
        if not dry_run:
            path.unlink(missing_ok=True)
    if not dry_run:
        _drop_empty_dirs(folder)
    return gone, kept, freed


def _drop_empty_dirs(folder: Path) -> None:
    for sub in sorted((p for p in folder.iterdir() if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):  # not empty
            sub.rmdir()


def _count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
