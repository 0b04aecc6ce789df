"""One chapter planned alone (planner.plan_chapter) is the chapter build_plan gives, on a real EPUB;
plan.json read and rewritten one chapter entry at a time (build.plan_file) is what plan_to_json
writes for the whole plan."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from lector.core.build import BuildDir
from lector.core.build.plan_file import scan_plan
from lector.core.model import Chapter, Plan, PlanWarning, Sentence
from lector.core.planner import (
    build_plan,
    chapter_hash_part,
    hash_of_parts,
    plan_chapter,
    plan_hash,
    plan_to_json,
)
from lector.core.project import load_project
from tests.epub_kit import EN_TOML

BOOKS = Path(
    os.environ.get("LECTOR_BOOKS") or Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
)
POE = BOOKS / "edgar-allan-poe_poetry.epub"


@pytest.fixture(scope="module")
def poe(tmp_path_factory):
    if not POE.is_file():
        pytest.skip(f"no {POE}")
    root = tmp_path_factory.mktemp("poe")
    (root / "manuscript").mkdir()
    shutil.copy(POE, root / "manuscript" / POE.name)
    (root / "project.toml").write_text(EN_TOML, encoding="utf-8")
    project = load_project(root)
    return project, build_plan(project)


def test_a_chapter_planned_alone_is_the_chapter_of_the_whole_plan(poe):
    project, plan = poe
    n = len(plan.chapters)
    for index in (1, n // 2, n):
        chapter, _warnings = plan_chapter(project, index)
        assert chapter == plan.chapters[index - 1]


def test_the_plan_hash_from_chapter_parts_is_the_hash_of_the_whole_body(poe):
    _project, plan = poe
    body = [[c.index, c.title, [s.to_dict() for s in c.sentences]] for c in plan.chapters]
    whole = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    assert plan_hash(plan) == whole == plan.plan_hash
    assert hash_of_parts(chapter_hash_part(c) for c in plan.chapters) == whole


def test_one_chapter_entry_rewritten_gives_the_whole_plans_json(poe, tmp_path):
    _project, plan = poe
    bd = BuildDir(tmp_path / "build")
    bd.root.mkdir()
    bd.write_plan(plan)
    layout = bd.scan_plan()
    assert layout is not None
    assert [(c.index, c.title) for c in layout.chapters] == [(c.index, c.title) for c in plan.chapters]
    assert [c.sentences for c in layout.chapters] == [
        tuple((s.id, s.source) for s in c.sentences) for c in plan.chapters
    ]
    k = len(plan.chapters) // 2
    old = plan.chapters[k - 1]
    edited = replace(old, sentences=old.sentences[1:])
    new_plan = replace(plan, chapters=tuple(edited if c.index == k else c for c in plan.chapters))
    new_plan = replace(new_plan, plan_hash=plan_hash(new_plan), warnings=(PlanWarning("x", "y", "z"),))
    after = bd.write_plan_chapter(layout, edited, plan_hash=new_plan.plan_hash, warnings=new_plan.warnings)
    assert bd.plan_json.read_bytes() == (plan_to_json(new_plan) + "\n").encode("utf-8")
    assert after == bd.scan_plan()
    assert bd.read_plan_entry(after, k) == json.loads(json.dumps(edited.to_dict()))
    assert bd.read_plan_entry(layout, k) is None  # the file changed since that layout


def _sentence(sid: str, text: str, source: str) -> Sentence:
    return Sentence(
        id=sid, text=text, spans=(), lang="zh", voice="v", emotion="neutral", seed=1, source=source
    )


@pytest.mark.parametrize("ascii_only", [False, True])
def test_scan_reads_titles_and_sources_in_any_script(ascii_only):
    chapters = (
        Chapter(1, "第一章 “开始”", (_sentence("a1", "你好。", "manuscript/书.md:3"),), "manuscript/书.md"),
        Chapter(2, 'Two\\"', (_sentence("b2", "Hi.", "manuscript/x.md:1"),), "manuscript/x.md"),
    )
    plan = Plan("p", "书", "作者", "zh", chapters, "h")
    text = json.dumps(plan.to_dict(), ensure_ascii=ascii_only, indent=None if ascii_only else 2)
    layout = scan_plan(text.encode("utf-8"))
    assert [(c.index, c.title, c.sentences) for c in layout.chapters] == [
        (1, "第一章 “开始”", (("a1", "manuscript/书.md:3"),)),
        (2, 'Two\\"', (("b2", "manuscript/x.md:1"),)),
    ]
    assert list(layout.fields) == [
        "project",
        "title",
        "author",
        "language",
        "plan_hash",
        "chapters",
        "warnings",
    ]
    data = text.encode("utf-8")
    assert json.loads(data[slice(*layout.fields["title"])]) == "书"
