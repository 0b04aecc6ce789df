"""render_book() (lector.core.pipeline, no Prefect) renders the same masters as the Prefect flow."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lector.core.errors import ConfigError
from lector.core.pipeline import render_book
from lector.flows.produce import run_book
from tests.conftest import copy_project

pytestmark = pytest.mark.usefixtures("prefect_server")


def _masters(root: Path) -> dict[str, str]:
    """sha256 of every delivery file under build/masters/ (the review bundle is the flow's only)."""
    masters = root / "build" / "masters"
    return {
        p.relative_to(masters).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(masters.rglob("*"))
        if p.is_file() and p.relative_to(masters).parts[0] != "review"
    }


def _comparable(summary: dict, root: Path) -> dict:
    """A summary without what names the folder or only the flow makes (review bundle)."""
    out = {k: v for k, v in summary.items() if k not in ("masters", "manifest", "review_bundle")}
    assert summary["masters"] == str(root / "build" / "masters")
    assert summary["manifest"] == str(root / "build" / "manifest.json")
    return out


@pytest.mark.parametrize(("name", "files"), [("demo-en", 4), ("demo-zh", 4)])
def test_render_book_makes_the_flows_masters(tmp_path, name, files):
    by_flow = copy_project(name, tmp_path / "flow")
    by_pipeline = copy_project(name, tmp_path / "pipeline")
    flow_summary = run_book(str(by_flow), chapters=[1], publish=False, qc=False)
    summary = render_book(by_pipeline, chapters=[1], qc=False).to_dict()
    flow_masters = _masters(by_flow)
    assert len(flow_masters) == files  # chapter 1's flac, mp3, vtt and the book's m4b
    assert _masters(by_pipeline) == flow_masters
    assert _comparable(summary, by_pipeline) == _comparable(flow_summary, by_flow)
    assert summary["chapters"] == [1]
    assert summary["review_bundle"] is None
    assert flow_summary["review_bundle"] == str(by_flow / "build" / "masters" / "review" / "index.html")


def test_render_book_resumes_from_its_stamps_and_refuses_unknown_chapters(tiny_project):
    root = tiny_project()
    first = render_book(root)
    before = _masters(root)
    again = render_book(str(root), workers=2)
    assert (first.synthesized, first.cached) == (6, 0)
    assert (again.synthesized, again.cached, again.chapters) == (0, 6, [1, 2])
    assert _masters(root) == before
    with pytest.raises(ConfigError, match=r"no chapter\(s\) \[3\] in this book"):
        render_book(root, chapters=[3])
