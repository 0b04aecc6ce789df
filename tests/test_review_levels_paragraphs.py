"""Paragraph loudness in the review app, the loudness view of the static bundle, and the voice that
reads a word alone (routes_waveform.py, bundle.py, preview_worker.word_voice)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from lector.core.casting import ResolvedVoice, VoiceResolver
from lector.review.app import create_app
from lector.review.bundle import export_bundle
from lector.review.preview_worker import word_voice
from lector.review.worker_records import PreviewError
from tests.test_review import BASE, make_review_project

IDS = [f"{n:012x}" for n in range(3)]


def with_paragraphs(project, paragraphs=(0, 0, 1)):
    """The plan's sentences in paragraphs (make_review_project writes none)."""
    path = project / "build" / "plan.json"
    plan = json.loads(path.read_text(encoding="utf-8"))
    for s, p in zip(plan["chapters"][0]["sentences"], paragraphs, strict=True):
        s["paragraph"] = p
    path.write_text(json.dumps(plan), encoding="utf-8")
    return project


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    return with_paragraphs(make_review_project(tmp_path))


def test_paragraph_levels_from_the_plan(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        data = c.get("/api/chapters/1/levels").json()
    first, second = data["paragraphs"]
    # sentences 1 and 2 (1.2 s sines, mean square 0.02) and the 0.5 s pause between: 0.5 .. 3.4 s,
    # 2.4 s of sine in 2.9 s: 10 log10(0.02 * 2.4 / 2.9) = -17.81 dBFS
    assert (first["index"], first["sentence_ids"], first["start_s"], first["end_s"]) == (0, IDS[:2], 0.5, 3.4)
    assert (first["level"], first["peak_dbfs"], first["problems"]) == (
        -17.81,
        -13.98,
        ["level -17.81 above -18"],
    )
    assert len(first["bars"]) == 240 and max(first["bars"]) == 51 and min(first["bars"]) == 0  # the pause
    assert (second["sentence_ids"], second["start_s"], second["end_s"], second["level"]) == (
        IDS[2:],
        3.9,
        5.1,
        -16.99,
    )
    assert [s["level"] for s in data["sentences"]] == [-16.99] * 3


def test_rows_without_a_paragraph_have_no_paragraph_levels(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    with TestClient(create_app(make_review_project(tmp_path)), base_url=BASE) as c:
        assert c.get("/api/chapters/1/levels").json()["paragraphs"] == []


def _embedded(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="levels-data">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_bundle_pages_carry_the_loudness_view(project):
    index = export_bundle(project)
    page = (index.parent / "chapter-01.html").read_text(encoding="utf-8")
    data = _embedded(page)
    assert (data["profile"], data["level_unit"], data["duration_s"]) == ("acx", "dBFS RMS", 5.6)
    assert data["curve"][:2] == [-20.0, -18.54]
    assert [(s["id"], s["level"], s["flags"]) for s in data["sentences"]] == [
        (IDS[0], -16.99, []),
        (IDS[1], -16.99, []),
        (IDS[2], -16.99, ["internal-silence"]),
    ]
    assert [p["level"] for p in data["paragraphs"]] == [-17.81, -16.99]
    assert '<section class="levels" id="levels" data-chapter="1">' in page
    assert page.count('<div class="wave" data-id="') == 3
    assert "function drawChart()" in page  # wave.js inlined: nothing is fetched


def test_bundle_says_why_a_chapter_has_no_loudness_view(project):
    (project / "build" / "chapters" / "01" / "chapter.flac").write_bytes(b"not audio")
    page = (export_bundle(project).parent / "chapter-01.html").read_text(encoding="utf-8")
    assert 'id="levels-data"' not in page
    found = re.search(r'<p class="meta levels-missing">loudness not available: (.*?)</p>', page)
    assert found is not None and found.group(1).endswith("— render the chapter again")


CAST = {
    "narrator": ResolvedVoice("narrator", "fastspeech2-zh", lang="zh"),
    "reader": ResolvedVoice("reader", "piper-en", lang="en-US"),
}


def test_a_word_is_read_by_the_voice_of_its_language():
    both = VoiceResolver(CAST, lambda engine_id: None)  # type: ignore[arg-type,return-value]
    assert word_voice(both, "narrator", "en") == "reader"  # English in a Chinese sentence
    assert word_voice(both, "narrator", "zh") == "narrator"
    assert word_voice(both, "reader", "en") == "reader"
    assert word_voice(both.as_draft(), "reader", "zh") == "narrator"  # draft mode: same cast languages
    alone = VoiceResolver({"narrator": CAST["narrator"]}, lambda engine_id: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(PreviewError) as exc:
        word_voice(alone, "narrator", "en")
    assert str(exc.value) == (
        "no voice of the cast speaks 'en', so the word cannot be heard alone in its language "
        '— add a voice with lang = "en" to [voices] in project.toml'
    )


MIXED_TOML = (
    '[book]\ntitle = "M"\nauthor = "A"\nlanguage = "zh"\n\n'
    '[voices.narrator]\nengine = "espeak-draft"\nlang = "zh"\n\n{reader}'
    '[manuscript]\nmixed_english = "voice"\n\n[render]\nqc = false\n'
)


def _hear_in_mixed_sentence(root, reader: bool):
    (root / "manuscript").mkdir(parents=True)
    cast = '[voices.reader]\nengine = "espeak-draft"\nlang = "en"\n\n' if reader else ""
    (root / "project.toml").write_text(MIXED_TOML.format(reader=cast), encoding="utf-8")
    (root / "manuscript" / "01.md").write_text("# 第一章\n\n我们用Python写程序。\n", encoding="utf-8")
    app = create_app(root)
    with TestClient(app, base_url=BASE) as c:
        app.state.ctx.previews.render_chapter(1)
        rows = json.loads((root / "build/chapters/01/timeline.json").read_text(encoding="utf-8"))["sentences"]
        assert (rows[1]["text"], rows[1]["voice"]) == ("我们用Python写程序。", "narrator")
        c.get("/")
        return c.post(
            f"/sentences/{rows[1]['id']}/pronunciation/hear",
            data={"word": "Python", "pronunciation": "pˈaɪθɑːn", "csrf_token": c.cookies["lector_csrf"]},
            headers={"X-Requested-With": "fetch"},
        )


def test_an_english_word_in_a_chinese_sentence_is_heard_in_the_english_voice(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    r = _hear_in_mixed_sentence(tmp_path / "both", reader=True)
    assert r.status_code == 200, r.text
    assert (r.json()["voice"], r.json()["message"]) == (
        "reader",
        "Python read pˈaɪθɑːn by the reader voice — not saved yet",
    )
    refused = _hear_in_mixed_sentence(tmp_path / "zh-only", reader=False)
    assert (refused.status_code, refused.json()["message"]) == (
        422,
        "no voice of the cast speaks 'en', so the word cannot be heard alone in its language "
        '— add a voice with lang = "en" to [voices] in project.toml',
    )
