"""Token cache of the planner: planning an unchanged project again loads no g2p model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lector.core.planner import build_plan, plan_to_json
from lector.core.project import load_project
from lector.core.pronounce import CachedPronouncer, Pronouncer, frontend_version
from lector.core.text import g2p_en, g2p_zh

ROOT = Path(__file__).resolve().parents[1]


def _copy(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copytree(ROOT / "projects" / name, dst, ignore=shutil.ignore_patterns("build"))
    return dst


def _forbid_models(monkeypatch) -> None:
    def boom(*_a, **_k):
        raise AssertionError("a g2p model was loaded")

    for mod, name in (
        (g2p_zh, "_g2pm"),
        (g2p_zh, "_jieba"),
        (g2p_zh, "pinyin"),
        (g2p_en, "_espeak"),
        (g2p_en, "word_ipa"),
    ):
        monkeypatch.setattr(mod, name, boom)
    monkeypatch.setattr(Pronouncer, "tokens", boom)


@pytest.mark.parametrize("name", ["demo-zh", "demo-en"])
def test_second_plan_equal_and_touches_no_model(name, tmp_path, monkeypatch):
    root = _copy(name, tmp_path)
    first = build_plan(load_project(root))
    assert (root / "build" / "token-cache.json").is_file()
    _forbid_models(monkeypatch)
    second = build_plan(load_project(root))
    assert second == first
    assert plan_to_json(second) == plan_to_json(first)


def test_lexicon_change_invalidates_the_cache(tmp_path, monkeypatch):
    root = _copy("demo-zh", tmp_path)
    build_plan(load_project(root))
    before = frontend_version(Pronouncer.for_project(root).lexicon, False)
    with open(root / "lexicon.tsv", "a", encoding="utf-8") as fh:
        fh.write("行走\txing2 zou3\n")
    assert frontend_version(Pronouncer.for_project(root).lexicon, False) != before
    _forbid_models(monkeypatch)
    with pytest.raises(AssertionError, match="a g2p model was loaded"):
        build_plan(load_project(root))


def test_cached_tokens_equal_fresh_tokens(tmp_path):
    fresh = Pronouncer.for_project(None)
    cached = CachedPronouncer(fresh, tmp_path / "tokens.json")
    text = "我去银行。"
    assert cached.tokens(text, "zh") == fresh.tokens(text, "zh")
    cached.flush()
    again = CachedPronouncer(Pronouncer.for_project(None), tmp_path / "tokens.json")
    assert again.tokens(text, "zh") == fresh.tokens(text, "zh")
