"""The preview worker plans the edited chapter alone (review.chapter_plan.PlanKeeper) and writes its
entry into plan.json; anything changed outside that chapter makes it plan the whole book. The app
reads plan.json one chapter at a time (review.data.BuildView)."""

from __future__ import annotations

import json
import logging

import pytest

from lector.core.build import BuildDir
from lector.core.overrides import load_overrides, save_overrides
from lector.core.planner import build_plan, plan_to_json
from lector.core.project import load_project
from lector.review.chapter_plan import PlanKeeper
from lector.review.data import BuildView
from lector.review.store import ReviewStore
from tests.epub_kit import write_markdown_project

TEXTS = {
    "01.md": "# One\n\nThe keeper climbed the stairs. He lit the lamp.\n\nThe sea was calm.\n",
    "02.md": "# Two\n\nA ship came at dawn. The gulls cried.\n\nHe wrote a letter.\n",
    "03.md": "# Three\n\nThe storm passed. Morning came.\n",
}


@pytest.fixture
def project(tmp_path):
    return load_project(write_markdown_project(tmp_path, TEXTS))


def _edit(project, name: str, old: str, new: str) -> None:
    path = project.root / "manuscript" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _whole(project) -> bytes:
    return (plan_to_json(build_plan(project)) + "\n").encode("utf-8")


def test_an_edited_chapter_is_planned_alone_and_written_into_plan_json(project, caplog):
    keeper = PlanKeeper()
    keeper.book(project)
    _edit(project, "02.md", "A ship came at dawn.", "A grey ship came at dawn.")
    with caplog.at_level(logging.WARNING, logger="lector.review"):
        chapter, chapters = keeper.chapter(project, 2)
    assert caplog.records == []
    assert (chapter, chapters) == (build_plan(project).chapters[1], 3)
    assert [s.text for s in chapter.sentences] == [
        "Two",
        "A grey ship came at dawn.",
        "The gulls cried.",
        "He wrote a letter.",
    ]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)


def test_a_change_outside_the_edited_chapter_plans_the_whole_book(project, caplog):
    keeper = PlanKeeper()
    keeper.book(project)
    _edit(project, "01.md", "The sea was calm.", "The sea was grey.")
    _edit(project, "02.md", "He wrote a letter.", "He wrote two letters.")
    with caplog.at_level(logging.WARNING, logger="lector.review"):
        chapter, _n = keeper.chapter(project, 2)
    assert [r.getMessage() for r in caplog.records] == [
        "review preview: the manuscript or overrides of chapter 1 changed (the edit was in chapter 2) "
        "— planning the whole book again"
    ]
    assert chapter == build_plan(project).chapters[1]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)


def test_an_override_of_another_chapter_or_a_foreign_plan_json_plans_the_whole_book(project, caplog):
    keeper = PlanKeeper()
    plan = keeper.book(project)
    third = plan.chapters[2].sentences[1].id
    save_overrides(project.root, load_overrides(project.root).with_seed(third, 99))
    with caplog.at_level(logging.WARNING, logger="lector.review"):
        keeper.chapter(project, 2)
        BuildDir.of(project).write_plan(build_plan(project))  # as `lector render` does
        keeper.chapter(project, 2)
    assert [r.getMessage().split(" — ")[0] for r in caplog.records] == [
        "review preview: the manuscript or overrides of chapter 3 changed (the edit was in chapter 2)",
        "review preview: build/plan.json was written by another process",
    ]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)


def test_the_app_reads_plan_json_one_chapter_at_a_time(project, tmp_path):
    plan = build_plan(project)
    BuildDir.of(project).write_plan(plan)
    view = BuildView(project.root, ReviewStore(tmp_path / "state.sqlite"))
    two = plan.chapters[1]
    assert view.plan_chapter(2) == json.loads(json.dumps(two.to_dict()))
    assert view.plan_sources(2) == {s.id: s.source for s in two.sentences}
    assert view.plan_sources(2)[two.sentences[1].id] == "manuscript/02.md:3"
    assert view.plan_source(two.sentences[1].id) == "manuscript/02.md:3"
    assert view.plan_sentences().get(two.sentences[2].id) == json.loads(
        json.dumps(two.sentences[2].to_dict())
    )
    assert view.plan_sentences().get("nope") is None
    assert len(view.plan_sentences()) == sum(len(c.sentences) for c in plan.chapters)
    assert [c["index"] for c in view.plan()["chapters"]] == [1, 2, 3]
    assert view.chapter_indexes() == [(1, "One"), (2, "Two"), (3, "Three")]
    _edit(project, "03.md", "Morning came.", "Night fell.")
    BuildDir.of(project).write_plan(build_plan(project))  # a new plan.json: read anew
    assert [s["text"] for s in view.plan_chapter(3)["sentences"]] == [
        "Three",
        "The storm passed.",
        "Night fell.",
    ]
