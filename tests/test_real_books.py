"""Every real EPUB in shared/data/books plans with zero errors, and every sentence of every chapter
goes through the espeak-draft engine without a failure (synthesis only, no mastering).

About 2 minutes on 2 cores for the three shared books (planning ~25 s, synthesis ~10 ms a sentence).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lector.core.casting import VoiceResolver, build_request, invalid_audio
from lector.core.plan_text import speakable
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.epub_kit import EN_TOML

# the shared books next to the repository (LECTOR_BOOKS names another folder of real EPUBs)
BOOKS = Path(
    os.environ.get("LECTOR_BOOKS") or Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
)
EPUBS = sorted(BOOKS.glob("*.epub")) if BOOKS.is_dir() else []

PROJECT_TOML = EN_TOML.replace("The Test Book", "{title}")


def _project(tmp_path: Path, epub: Path):
    (tmp_path / "manuscript").mkdir()
    shutil.copy(epub, tmp_path / "manuscript" / epub.name)
    (tmp_path / "project.toml").write_text(PROJECT_TOML.format(title=epub.stem), encoding="utf-8")
    return load_project(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not EPUBS, reason=f"no real EPUBs in {BOOKS}")
@pytest.mark.parametrize("epub", EPUBS, ids=[p.stem.split("_")[-1] for p in EPUBS])
def test_real_book_plans_and_every_sentence_synthesizes(tmp_path, epub):
    project = _project(tmp_path, epub)
    plan = build_plan(project)
    sentences = [s for c in plan.chapters for s in c.sentences]
    assert sentences
    assert [s.source for s in sentences if not speakable(s.spoken)] == []
    resolve = VoiceResolver.from_project(project, draft=True)
    engine = resolve.engine("espeak-draft")
    failures = []
    for s in sentences:
        audio = engine.synthesize([build_request(s, resolve.voice(s.voice))])[0]
        if (why := invalid_audio(audio)) is not None:
            failures.append((s.source, s.text, why))
    assert failures == []
