"""After the preview worker re-plans one edited chapter (review.chapter_plan.PlanKeeper), plan.json's
warnings are those a full plan of the book as it now reads gives: the edited chapter's replaced, the
other chapters' and the book's kept, each once, in build_plan's order."""

from __future__ import annotations

import pytest

from lector.core.build import BuildDir
from lector.core.planner import ChapterPlanner, build_plan, plan_to_json
from lector.core.planwarn import collecting, recording
from lector.core.project import load_project
from lector.review.chapter_plan import PlanKeeper
from tests.epub_kit import write_markdown_project

TEXTS = {
    "01.md": "# One\n\nThe keeper climbed the stairs.\n\n* * *\n\nThe sea was calm.\n",
    "02.md": "# Two\n\nA ship came at dawn. The gulls cried. ***\n\nHe wrote a letter.\n",
}
PAUSE_1 = {
    "kind": "pause",
    "message": "'* * *' has nothing to speak: a 2000 ms pause",
    "source": "manuscript/01.md:5",
}
JOINED_2 = {
    "kind": "joined",
    "message": "'*' has nothing to speak: joined to the sentence before",
    "source": "manuscript/02.md:3",
}
PAUSE_2 = {
    "kind": "pause",
    "message": "'~ ~ ~' has nothing to speak: a 2000 ms pause",
    "source": "manuscript/02.md:5",
}


@pytest.fixture
def project(tmp_path):
    return load_project(write_markdown_project(tmp_path, TEXTS))


def _edit(project, old: str, new: str) -> None:
    path = project.root / "manuscript" / "02.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _warnings(project) -> list[dict]:
    plan = BuildDir.of(project).read_plan()
    assert plan is not None
    return plan["warnings"]


def _whole(project) -> bytes:
    return (plan_to_json(build_plan(project)) + "\n").encode("utf-8")


def test_a_fixed_warning_leaves_plan_json_and_a_new_one_appears_once(project):
    keeper = PlanKeeper()
    keeper.book(project)
    assert _warnings(project) == [PAUSE_1, JOINED_2]

    _edit(project, "The gulls cried. ***", "The gulls cried.")
    keeper.chapter(project, 2)
    assert _warnings(project) == [PAUSE_1]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)

    _edit(project, "The gulls cried.\n", "The gulls cried.\n\n~ ~ ~\n")
    keeper.chapter(project, 2)
    assert _warnings(project) == [PAUSE_1, PAUSE_2]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)

    keeper.chapter(project, 2)  # planned again unchanged: still once
    assert _warnings(project) == [PAUSE_1, PAUSE_2]


def test_an_edit_of_chapter_1_keeps_chapter_2s_warning(project):
    keeper = PlanKeeper()
    keeper.book(project)
    path = project.root / "manuscript" / "01.md"
    path.write_text(TEXTS["01.md"].replace("\n\n* * *\n", ""), encoding="utf-8")
    keeper.chapter(project, 1)
    assert _warnings(project) == [JOINED_2]
    assert BuildDir.of(project).plan_json.read_bytes() == _whole(project)


def test_the_planner_records_each_chapters_warnings(project):
    with collecting() as bucket:
        planner = ChapterPlanner(project)
        planner.book()
    assert {n: [w.to_dict() for w in ws] for n, ws in planner.warned.items()} == {
        1: [PAUSE_1],
        2: [JOINED_2],
    }
    assert [w.to_dict() for w in bucket] == [PAUSE_1, JOINED_2]


def test_recording_outside_a_collection_still_logs(caplog):
    from lector.core.planwarn import add_warning

    with caplog.at_level("WARNING", logger="lector.plan"), recording() as seen:
        add_warning("pause", "a pause", "x.md:1")
    assert [w.to_dict() for w in seen] == [{"kind": "pause", "message": "a pause", "source": "x.md:1"}]
    assert [r.getMessage() for r in caplog.records] == ["pause: a pause (x.md:1)"]
