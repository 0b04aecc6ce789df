"""``chapters/<NN>/master.json`` (the chapter master's record) and the output stamps
``chapters/<NN>/.<step>.stamp.json`` ("this output was made from exactly this identity")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audio.assemble import AssembledChapter
from ..audio.block_store import MasteredBlock
from ..audio.measure import Measurements
from ..audio.recipe import Recipe
from ..errors import BuildRecordError
from .manifest import ChapterOutput
from .records import JsonObject, read_object, schema_of, write_object

MASTER_KIND = "master"
STAMP_KIND = "stamp"


@dataclass(frozen=True)
class MasterDoc:
    """The master: ``master_id`` names its exact samples; the mastering recipe (replayed on an
    edited block), the blocks [key, recipe key, start sample, length], the measurements and
    violations (what QC's profile check reads), and the chapter's ChapterOutput."""

    master_id: str
    recipe: Recipe | None
    notes: tuple[str, ...]
    sample_rate: int
    gain_db: float
    measurements: tuple[tuple[str, float], ...]  # Measurements fields, in order
    violations: tuple[str, ...]
    blocks: tuple[MasteredBlock, ...]  # empty: the chapter is not block-encoded
    output: ChapterOutput | None = None

    @classmethod
    def of(cls, built: AssembledChapter, master_id: str, output: ChapterOutput | None = None) -> MasterDoc:
        measured = vars(built.measurements) if built.measurements is not None else {}
        return cls(
            master_id=master_id,
            recipe=built.recipe,
            notes=tuple(built.notes),
            sample_rate=built.sample_rate,
            gain_db=built.gain_db,
            measurements=tuple((k, float(v)) for k, v in measured.items()),
            violations=tuple(built.violations),
            blocks=built.blocks,
            output=output,
        )

    def measured(self) -> Measurements:
        return Measurements(**dict(self.measurements))

    def to_dict(self) -> JsonObject:
        doc: JsonObject = {
            "schema": schema_of(MASTER_KIND),
            "master_id": self.master_id,
            "recipe": self.recipe.to_dict() if self.recipe else None,
            "notes": list(self.notes),
            "sample_rate": self.sample_rate,
            "gain_db": self.gain_db,
            "measurements": dict(self.measurements),
            "violations": list(self.violations),
            "blocks": [[b.key, b.recipe, b.start_sample, b.length] for b in self.blocks],
        }
        if self.output is not None:
            doc["output"] = self.output.to_dict()
        return doc

    @classmethod
    def from_dict(cls, d: JsonObject) -> MasterDoc:
        out = d.get("output")
        return cls(
            master_id=str(d["master_id"]),
            recipe=None if d["recipe"] is None else Recipe.from_dict(d["recipe"]),
            notes=tuple(d.get("notes") or ()),
            sample_rate=int(d["sample_rate"]),
            gain_db=float(d["gain_db"]),
            measurements=tuple((str(k), float(v)) for k, v in d["measurements"].items()),
            violations=tuple(d.get("violations") or ()),
            blocks=tuple(
                MasteredBlock(str(k), str(r), int(a), int(n)) for k, r, a, n in d.get("blocks") or []
            ),
            output=ChapterOutput.from_dict(out) if out is not None else None,
        )


def load_master_doc(path: Path) -> MasterDoc | None:
    """master.json as it is, or None when absent or damaged; BuildRecordError when a newer Lector
    wrote it."""
    try:
        data = read_object(path, MASTER_KIND)
        return None if data is None else MasterDoc.from_dict(data)
    except BuildRecordError as exc:
        if exc.field == "schema":
            raise
        return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def read_master_doc(path: Path) -> MasterDoc | None:
    """master.json of the last render when it can be built on (its recipe replayed, its
    measurements read), else None: absent, damaged or of an older layout (the chapter is then
    mastered afresh); BuildRecordError when a newer Lector wrote it."""
    doc = load_master_doc(path)
    if doc is None or doc.recipe is None:
        return None
    try:
        doc.measured()
    except TypeError:
        return None
    return doc


def write_master_doc(path: Path, doc: MasterDoc) -> Path:
    return write_object(path, doc.to_dict(), indent=1, ensure_ascii=True, newline=False)


@dataclass(frozen=True)
class Stamp:
    """What an output was made from (``identity``) and the output's size and sha256 then."""

    identity: dict[str, Any]
    size: int
    sha256: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> JsonObject:
        return {"schema": schema_of(STAMP_KIND), "identity": self.identity, "size": self.size,
                "sha256": self.sha256, **self.extra}  # fmt: skip

    @classmethod
    def from_dict(cls, d: JsonObject) -> Stamp:
        known = {"schema", "identity", "size", "sha256"}
        return cls(
            identity=dict(d["identity"]),
            size=int(d["size"]),
            sha256=str(d["sha256"]),
            extra={k: v for k, v in d.items() if k not in known},
        )


def read_stamp(path: Path) -> Stamp | None:
    """A stamp, or None when absent or damaged (the output is then made again); BuildRecordError
    when a newer Lector wrote it."""
    try:
        data = read_object(path, STAMP_KIND)
        return None if data is None else Stamp.from_dict(data)
    except BuildRecordError as exc:
        if exc.field == "schema":
            raise
        return None
    except (KeyError, TypeError, ValueError):
        return None


def write_stamp(path: Path, stamp: Stamp) -> Path:
    return write_object(path, stamp.to_dict(), indent=None, sort_keys=True, newline=False)
