"""The names under ``<project>/build/`` (docs/ARCHITECTURE.md, "Build folder layout").

Only lector.core.build uses them: everything else asks a :class:`~lector.core.build.BuildDir`."""

from __future__ import annotations

PLAN = "plan.json"
QC = "qc.json"
QC_LOCK = ".qc.lock"
MANIFEST = "manifest.json"
RENDER_LOCK = ".render.lock"
TOKEN_CACHE = "token-cache.json"
PROOF_JSON = "proof.json"
PROOF_HTML = "proof.html"
CHAPTERS = "chapters"
TIMELINE = "timeline.json"
MASTER_DOC = "master.json"
CHAPTER_FLAC = "chapter.flac"
BLOCKS = "blocks"
AAC = "aac"
QC_CACHE = "qc-cache"
MASTERS = "masters"
REVIEW_BUNDLE = "review"  # under masters/
REVIEW_STATE = ("review", "state.sqlite")


def chapter_folder(index: int) -> str:
    """``NN``: the 2-digit chapter index."""
    return f"{index:02d}"


def stamp_name(step: str) -> str:
    return f".{step}.stamp.json"
