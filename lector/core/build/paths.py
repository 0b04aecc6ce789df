"""``BuildDir``: every path under a project's ``build/``, and its records loaded and saved in one place.

Nothing outside lector.core.build joins a name onto a build folder or parses one of its JSON
files: it asks a BuildDir (``BuildDir.of(project)``) for the path or the typed record."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import LocalStore, check_key, project_store
from ..errors import BuildRecordError
from ..hashing import FileFacts
from ..lock import lock_path
from . import layout, qc_file
from . import manifest as mf
from .master_doc import (
    MasterDoc,
    Stamp,
    load_master_doc,
    read_master_doc,
    read_stamp,
    write_master_doc,
    write_stamp,
)
from .plan_file import PlanFileError, PlanLayout, read_entry, replace_entry, scan_plan
from .records import JsonObject
from .timeline import Timeline, read_timeline, write_timeline

if TYPE_CHECKING:
    from ..model import Chapter, Plan, PlanWarning
    from ..project import Project


@dataclass(frozen=True)
class BuildDir:
    root: Path  # <project>/build

    @classmethod
    def of(cls, project: Project) -> BuildDir:
        return cls(Path(project.build_dir))

    def rel(self, path: Path) -> str:
        """``path`` relative to build/, POSIX style (the manifest's and the summary's form)."""
        return path.relative_to(self.root).as_posix()

    # -- files at the top ----------------------------------------------------------------------
    @property
    def plan_json(self) -> Path:
        return self.root / layout.PLAN

    @property
    def qc_json(self) -> Path:
        return self.root / layout.QC

    @property
    def qc_lock(self) -> Path:
        """Guards qc.json's read-merge-write across threads and processes."""
        return self.root / layout.QC_LOCK

    @property
    def manifest_json(self) -> Path:
        return self.root / layout.MANIFEST

    @property
    def render_lock(self) -> Path:
        return lock_path(self.root)

    @property
    def token_cache(self) -> Path:
        return self.root / layout.TOKEN_CACHE

    @property
    def proof_json(self) -> Path:
        return self.root / layout.PROOF_JSON

    @property
    def proof_html(self) -> Path:
        return self.root / layout.PROOF_HTML

    @property
    def review_state(self) -> Path:
        return self.root.joinpath(*layout.REVIEW_STATE)

    # -- content-addressed stores -------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        return self.store().root

    def store(self) -> LocalStore:
        """The project's local render cache (lector.core.cache owns its layout)."""
        return project_store(self.root)

    def take_path(self, key: str) -> Path:
        """A take's FLAC in the render cache (ValueError for a malformed key)."""
        check_key(key)
        return self.store().path_for(key)

    @property
    def blocks_dir(self) -> Path:
        return self.root / layout.BLOCKS

    @property
    def aac_dir(self) -> Path:
        return self.root / layout.AAC

    def aac_path(self, master_id: str, kbps: int) -> Path:
        return self.aac_dir / f"{master_id}-{kbps}k.aac"

    @property
    def qc_cache_dir(self) -> Path:
        return self.root / layout.QC_CACHE

    # -- chapters ------------------------------------------------------------------------------
    @property
    def chapters_dir(self) -> Path:
        return self.root / layout.CHAPTERS

    def chapter_dir(self, index: int) -> Path:
        return self.chapters_dir / layout.chapter_folder(index)

    def timeline_path(self, index: int) -> Path:
        return self.chapter_dir(index) / layout.TIMELINE

    def master_doc_path(self, index: int) -> Path:
        return self.chapter_dir(index) / layout.MASTER_DOC

    def chapter_flac(self, index: int) -> Path:
        return self.chapter_dir(index) / layout.CHAPTER_FLAC

    def stamp_path(self, index: int, step: str) -> Path:
        """chapters/NN/.<step>.stamp.json (step: master, flac, mp3, wav)."""
        return self.chapter_dir(index) / layout.stamp_name(step)

    def built_chapters(self) -> list[int]:
        """Indexes of the chapters with a timeline, in order."""
        if not self.chapters_dir.is_dir():
            return []
        return sorted(
            int(d.name)
            for d in self.chapters_dir.iterdir()
            if d.name.isdigit() and (d / layout.TIMELINE).is_file()
        )

    def timeline_paths(self) -> list[Path]:
        return [self.timeline_path(i) for i in self.built_chapters()]

    def master_doc_paths(self) -> list[Path]:
        return sorted(self.chapters_dir.glob(f"*/{layout.MASTER_DOC}"))

    def chapter_flacs(self) -> list[Path]:
        return sorted(self.chapters_dir.glob(f"*/{layout.CHAPTER_FLAC}"))

    # -- deliveries ----------------------------------------------------------------------------
    @property
    def masters_dir(self) -> Path:
        return self.root / layout.MASTERS

    def master_file(self, stem: str, fmt: str) -> Path:
        """masters/<stem>.<fmt> (a chapter's ``NN-slug`` or the book's slug)."""
        return self.masters_dir / f"{stem}.{fmt}"

    @property
    def review_bundle_dir(self) -> Path:
        return self.masters_dir / layout.REVIEW_BUNDLE

    # -- records -------------------------------------------------------------------------------
    def read_timeline(self, index: int) -> Timeline | None:
        return read_timeline(self.timeline_path(index))

    def write_timeline(self, timeline: Timeline) -> Path:
        return write_timeline(self.timeline_path(timeline.chapter), timeline)

    def read_master_doc(self, index: int) -> MasterDoc | None:
        return read_master_doc(self.master_doc_path(index))

    def write_master_doc(self, index: int, doc: MasterDoc) -> Path:
        return write_master_doc(self.master_doc_path(index), doc)

    def timelines(self) -> list[Timeline]:
        """Every chapter's timeline (a damaged one is left out; a newer Lector's is refused)."""
        found = []
        for path in self.timeline_paths():
            try:
                timeline = read_timeline(path)
            except BuildRecordError as exc:
                if exc.field == "schema":
                    raise
                continue
            if timeline is not None:
                found.append(timeline)
        return found

    def master_docs(self) -> list[MasterDoc]:
        """Every chapter's master.json that parses, replayable or not."""
        docs = (load_master_doc(p) for p in self.master_doc_paths())
        return [d for d in docs if d is not None]

    def read_stamp(self, index: int, step: str) -> Stamp | None:
        return read_stamp(self.stamp_path(index, step))

    def write_stamp(self, index: int, step: str, stamp: Stamp) -> Path:
        return write_stamp(self.stamp_path(index, step), stamp)

    def write_plan(self, plan: Plan) -> Path:
        """build/plan.json: the planner's JSON of ``plan`` (lector.core.planner.plan_to_json)."""
        from ..planner import save_plan

        return save_plan(plan, self.plan_json)

    def read_plan(self) -> JsonObject | None:
        """build/plan.json as the planner wrote it; None when absent or damaged (the plan is made
        again from the manuscript; readers use it for sentence sources and spoken text only)."""
        import json

        try:
            data = json.loads(self.plan_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def scan_plan(self) -> PlanLayout | None:
        """Where each chapter's entry lies in plan.json, with its sentences' ids and sources
        (plan_file.scan_plan: one chapter decoded at a time); None when absent or not a plan."""
        try:
            with open(self.plan_json, "rb") as f:
                ident = FileFacts.identity(os.fstat(f.fileno()))
                data = f.read()
            return replace(scan_plan(data), identity=ident)
        except (OSError, PlanFileError):
            return None

    def read_plan_entry(self, layout: PlanLayout, index: int) -> JsonObject | None:
        """Chapter ``index``'s entry of plan.json (Chapter.to_dict's form), read from its span alone;
        None when the file is not the one ``layout`` was scanned from (scan it again)."""
        entry = layout.entry(index)
        if entry is None:
            return None
        try:
            with open(self.plan_json, "rb") as f:
                if FileFacts.identity(os.fstat(f.fileno())) != layout.identity:
                    return None
                f.seek(entry.start)
                return read_entry(f.read(entry.end - entry.start), index)
        except (OSError, ValueError):
            return None

    def write_plan_chapter(
        self, layout: PlanLayout, chapter: Chapter, *, plan_hash: str, warnings: Sequence[PlanWarning]
    ) -> PlanLayout:
        """plan.json with ``chapter``'s entry, the plan hash and the warnings replaced, the other
        chapters' bytes kept (plan_file.replace_entry), written atomically; its new layout.
        Raises BuildRecordError when plan.json is no longer the file ``layout`` was made of."""
        from ..fsutil import atomic_write_bytes

        try:
            with open(self.plan_json, "rb") as f:
                same = FileFacts.identity(os.fstat(f.fileno())) == layout.identity
                data = f.read() if same else b""
            if not same:
                raise PlanFileError("it was written again since it was read")
            data, layout = replace_entry(data, layout, chapter, plan_hash=plan_hash, warnings=warnings)
        except (OSError, PlanFileError) as exc:
            raise BuildRecordError(
                f"plan.json cannot take chapter {chapter.index} alone: {exc}",
                file=self.plan_json,
                fix="plan the whole book (lector plan --json, or any render)",
            ) from None
        atomic_write_bytes(self.plan_json, data, fsync=False)
        return replace(layout, identity=FileFacts.identity(os.stat(self.plan_json)))

    def plan_sentences(self) -> dict[str, JsonObject]:
        """sentence id -> its plan.json entry, over every chapter."""
        plan = self.read_plan() or {}
        return {s["id"]: s for c in plan.get("chapters", []) for s in c.get("sentences", []) if "id" in s}

    def read_manifest(self) -> JsonObject | None:
        return mf.read_manifest(self.root)

    def load_manifest(self) -> mf.Manifest | None:
        return mf.load_manifest(self.root)

    def write_manifest(self, manifest: JsonObject | mf.Manifest) -> Path:
        return mf.write_manifest(self.root, manifest)

    def read_qc(self) -> qc_file.QCFile | None:
        """build/qc.json; None before QC ran or when it is damaged (a newer one is refused)."""
        return qc_file.read_qc_or_none(self.qc_json)

    def qc_summary(self) -> JsonObject | None:
        return qc_file.read_qc_summary(self.root)

    def merge_qc(
        self,
        project: str,
        chapters: Sequence[JsonObject],
        thresholds: JsonObject,
        summary: JsonObject,
    ) -> qc_file.QCFile:
        return qc_file.merge_qc(self.qc_json, project, chapters, thresholds, summary)

    def set_book_checks(self, project: str, checks: Sequence[Any]) -> qc_file.QCFile:
        return qc_file.set_book_checks(self.qc_json, project, checks)
