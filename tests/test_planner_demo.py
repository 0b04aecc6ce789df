"""The committed demo projects plan as documented (stub pronouncer; real one when present)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.test_project import StubPronouncer

ROOT = Path(__file__).resolve().parents[1]
ZH, EN = ROOT / "projects" / "demo-zh", ROOT / "projects" / "demo-en"
HAS_PRONOUNCER = importlib.util.find_spec("lector.core.pronounce") is not None


def test_demo_zh_plan_shape():
    project = load_project(ZH)
    plan = build_plan(project, pronouncer=StubPronouncer())
    assert [c.title for c in plan.chapters] == ["第一章 银行街", "第二章 长大", "第三章 重新出发"]
    assert [len(c.sentences) for c in plan.chapters] == [6, 5, 5]
    assert project.cover is not None and project.cover.read_bytes()[:2] == b"\xff\xd8"
    s = plan.chapters[0].sentences
    assert s[1].spoken == "二〇二〇年三月五日早上八点三十分，曾小明沿着银行街行走。"
    assert (s[4].voice, s[4].emotion) == ("xiaoming", "happy")
    sad = plan.chapters[1].sentences[3]
    assert (sad.emotion, sad.emotion_degree, plan.chapters[1].sentences[2].pause_after_ms) == (
        "sad",
        0.6,
        800,
    )
    assert plan.chapters[2].sentences[4].seed == 123


@pytest.mark.skipif(not HAS_PRONOUNCER, reason="lector.core.pronounce not built yet")
def test_demo_zh_lexicon_context_entries_with_real_pronouncer():
    plan = build_plan(load_project(ZH))
    first = plan.chapters[0].sentences[1]
    assert "zeng1 xiao3 ming2" in first.pronunciation
    assert "yin2 hang2 jie1 xing2 zou3" in first.pronunciation


def test_demo_en_plan_shape():
    plan = build_plan(load_project(EN), pronouncer=StubPronouncer())
    assert [c.title for c in plan.chapters] == [
        "Chapter One: The Storm",
        "Chapter Two: The Ledger",
        "Chapter Three: Morning",
    ]
    assert [len(c.sentences) for c in plan.chapters] == [7, 6, 5]
    voices = [(s.text, s.voice) for c in plan.chapters for s in c.sentences if s.voice != "narrator"]
    assert voices == [
        ('"Is the light still burning?"', "alice"),
        ('"We saved enough for a new lens!"', "alice"),
        ('"You counted every drop."', "alice"),
    ]
    assert (
        plan.chapters[0].sentences[1].spoken
        == "On March third, nineteen eighty-four, the storm reached Gull Island at ten thirty P M."
    )


@pytest.mark.skipif(not HAS_PRONOUNCER, reason="lector.core.pronounce not built yet")
def test_demo_en_pls_lexicon_with_real_pronouncer():
    plan = build_plan(load_project(EN))
    storm = plan.chapters[0].sentences
    assert "Gull Eye-land" in storm[1].spoken
    assert storm[2].pronunciation.split()[1] == "oʊˈkɑːfɔːɹ"


def test_committed_epub_is_what_build_epub_writes(tmp_path):
    out = tmp_path / "demo-en.epub"
    subprocess.run([sys.executable, str(EN / "build_epub.py"), str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (EN / "manuscript" / "demo-en.epub").read_bytes()
