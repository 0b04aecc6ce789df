"""lector gc / prune_build: what the plan and masters no longer use goes, nothing current does."""

from __future__ import annotations

import json
import os
import time

import pytest

from lector.cli import main as cli
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.core.prune import prune_build
from lector.flows.produce import produce_book

pytestmark = pytest.mark.usefixtures("prefect_server")


def _files(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _chapter_two(root) -> tuple[set[str], set[str]]:
    """Chapter 2's take keys (timeline) and block keys (master.json)."""
    folder = root / "build" / "chapters" / "02"
    takes = {r["cache_key"] for r in json.loads((folder / "timeline.json").read_text("utf-8"))["sentences"]}
    blocks = {b[0] for b in json.loads((folder / "master.json").read_text("utf-8"))["blocks"]}
    return takes, blocks


def _rendered_edited(tiny_project):
    """A tiny book rendered, one sentence edited, rendered again; returns (root, old takes, old blocks)
    where "old" are chapter 2's takes and blocks the edit superseded."""
    root = tiny_project()
    produce_book(str(root), publish=False)
    takes, blocks = _chapter_two(root)
    md = root / "manuscript" / "02.md"
    md.write_text(
        md.read_text(encoding="utf-8").replace("It ends soon.", "It ends very soon."), encoding="utf-8"
    )
    produce_book(str(root), publish=False)
    new_takes, new_blocks = _chapter_two(root)
    return root, takes - new_takes, blocks - new_blocks


def test_prune_removes_the_superseded_take_and_block_only(tiny_project):
    root, old_takes, old_blocks = _rendered_edited(tiny_project)
    project = load_project(root)
    build = project.build_dir
    assert (len(old_takes), len(old_blocks)) == (1, 1)
    kept_aac = _files(build / "aac")
    (build / "cache" / ".01.flac.partial").write_bytes(b"left by a killed write")
    report = prune_build(project, build_plan(project), min_age_s=0)
    # the paragraph block: frame table, stats, AAC frames and its sentence timeline (its FLAC and
    # MP3 frames were only ever kept inside chapter.flac and the chapter MP3)
    assert {a.name: (a.removed, a.skipped) for a in report.areas} == {
        "cache": (2, ""),
        "blocks": (4, ""),
        "aac": (0, ""),
        "qc-cache": (0, ""),
    }
    gone = {p.relative_to(build).as_posix() for p in report.removed}
    (take,), (block,) = old_takes, old_blocks
    assert {g for g in gone if g.startswith("cache/")} == {
        f"cache/{take[:2]}/{take}.flac",
        "cache/.01.flac.partial",
    }
    assert {g.split("/")[-1].split(".")[0] for g in gone if g.startswith("blocks/")} == {block}
    assert not any(p.exists() for p in report.removed)
    assert _files(build / "aac") == kept_aac
    again = produce_book(str(root), publish=False)
    assert (again["synthesized"], again["cached"]) == (0, 6)  # everything current was kept


def test_prune_keeps_history_young_files_and_removes_nothing_on_a_dry_run(tiny_project):
    root, old_takes, _ = _rendered_edited(tiny_project)
    project = load_project(root)
    plan = build_plan(project)
    before = _files(project.build_dir)
    assert prune_build(project, plan).removed == ()  # all written within 10 minutes
    dry = prune_build(project, plan, min_age_s=0, dry_run=True)
    assert len(dry.removed) == 5 and _files(project.build_dir) == before
    kept = prune_build(project, plan, keep_keys=old_takes, min_age_s=0)
    assert {a.name: a.removed for a in kept.areas}["cache"] == 0  # the review app's take history
    later = time.time() + 3600
    assert prune_build(project, plan, min_age_s=600, now=later).areas[0].removed == 1


def test_prune_leaves_the_cache_whole_when_a_voice_does_not_resolve(tiny_project, monkeypatch):
    root, _, _ = _rendered_edited(tiny_project)
    monkeypatch.delenv("LECTOR_GPT_SOVITS_URL", raising=False)
    toml = root / "project.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('engine = "fake"', 'engine = "gpt-sovits"'), encoding="utf-8"
    )
    project = load_project(root)
    report = prune_build(project, build_plan(project), min_age_s=0)
    cache = report.areas[0]
    assert (cache.name, cache.removed) == ("cache", 0)
    assert cache.skipped.startswith("a voice's engine cannot be loaded here ([engines.gpt-sovits.url]")
    assert {a.name: a.removed for a in report.areas}["blocks"] == 4


def test_cli_gc_dry_run_then_for_real(tiny_project, capsys):
    root, (take,), _ = _rendered_edited(tiny_project)
    for path in (root / "build").rglob("*"):
        os.utime(path, (time.time() - 3600,) * 2)  # written an hour ago
    assert cli(["gc", str(root), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "cache: would remove 1 files" in out and f"  cache/{take[:2]}/{take}.flac" in out
    assert (root / "build" / "cache" / take[:2] / f"{take}.flac").is_file()
    assert cli(["gc", str(root)]) == 0
    assert "blocks: removed 4 files" in capsys.readouterr().out
    assert not (root / "build" / "cache" / take[:2] / f"{take}.flac").exists()
    assert cli(["gc", str(root), "--min-age-minutes", "-1"]) == 2


def test_prune_removes_a_block_flac_that_chapter_flac_holds(tiny_project):
    # a build rendered before blocks were kept once still has each block's own FLAC beside
    # chapter.flac; gc removes those, and the next render splices from chapter.flac alone
    root = tiny_project()
    produce_book(str(root), publish=False)
    project = load_project(root)
    build = project.build_dir
    doc = json.loads((build / "chapters" / "01" / "master.json").read_text("utf-8"))
    key, recipe = doc["blocks"][0][:2]
    old = build / "blocks" / key[:2] / f"{key}.{recipe}.flac"
    assert not old.exists()  # the render kept its frames in chapter.flac only
    old.write_bytes(b"an old build's block FLAC")
    report = prune_build(project, build_plan(project), min_age_s=0)
    assert [p.relative_to(build).as_posix() for p in report.removed] == [
        f"blocks/{key[:2]}/{key}.{recipe}.flac"
    ]
    again = produce_book(str(root), publish=False)
    assert (again["synthesized"], again["cached"]) == (0, 6)
