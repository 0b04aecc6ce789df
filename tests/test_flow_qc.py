"""produce_book runs QC after each chapter and exports the static review bundle beside the masters."""

from __future__ import annotations

import json

import pytest

from lector.cli import main as lector
from lector.flows.produce import produce_book

pytestmark = pytest.mark.usefixtures("prefect_server")

ONE_CHAPTER = "# One\n\nThe old lighthouse keeper climbed the stairs. He watched the ships come home.\n"


def test_produce_book_writes_qc_json_manifest_summary_and_review_bundle(tiny_project):
    root = tiny_project(engine="piper-en", lang="en", cover=False)
    (root / "manuscript" / "02.md").unlink()
    (root / "manuscript" / "01.md").write_text(ONE_CHAPTER, encoding="utf-8")
    summary = produce_book(str(root), publish=False)
    assert summary["chapters"] == [1]
    qc = json.loads((root / "build" / "qc.json").read_text(encoding="utf-8"))
    assert [c["chapter"] for c in qc["chapters"]] == [1]
    assert [len(c["sentences"]) for c in qc["chapters"]] == [3]  # title + 2 sentences
    assert qc["thresholds"]["asr"] is True and qc["thresholds"]["voice"] is True
    checked = qc["chapters"][0]["sentences"]
    assert [s["wer"] is not None for s in checked] == [False, True, True]  # ASR on the 2 long ones
    manifest = json.loads((root / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["qc"] == qc["summary"]
    assert manifest["qc"]["chapters"] == 1 and manifest["qc"]["sentences"] == 3
    assert manifest["qc"]["profile_failures"] == 0
    assert summary["qc"]["checked"][0]["chapter"] == 1
    assert summary["qc"]["sentences"] == 3
    index = root / "build" / "masters" / "review" / "index.html"
    assert summary["review_bundle"] == str(index)
    assert index.is_file() and (index.parent / "chapter-01.html").is_file()
    assert "01-one.mp3" in (index.parent / "chapter-01.html").read_text(encoding="utf-8")
    assert not [f for f in manifest["files"] if "review" in f["path"]]  # not a delivery file


def test_no_qc_option_skips_qc_but_still_exports_the_bundle(tiny_project, capsys):
    root = tiny_project(qc=True)
    assert "qc = true" in (root / "project.toml").read_text(encoding="utf-8")
    assert lector(["render", str(root), "--chapters", "1", "--no-publish", "--no-qc"]) == 0
    out = capsys.readouterr().out
    assert "qc: " not in out
    assert f"review bundle: {root / 'build' / 'masters' / 'review' / 'index.html'}" in out.splitlines()
    assert not (root / "build" / "qc.json").exists()
    manifest = json.loads((root / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["qc"] is None
    off = tiny_project("off", qc=False)  # [render] qc = false in project.toml
    assert produce_book(str(off), chapters=[2], publish=False)["qc"] is None
    assert not (off / "build" / "qc.json").exists()
