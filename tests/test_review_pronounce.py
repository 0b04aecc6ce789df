"""The review app's loudness data and pronunciation from the page (FastAPI TestClient).

lector/review/routes_waveform.py, lector/review/routes_pronounce.py, lector/core/text/lexicon_edit.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lector.core.errors import LexiconError
from lector.core.text.lexicon_edit import check_entry, entry_matches, write_entry
from lector.review.app import create_app
from lector.review.routes_pronounce import affected_sentences, sentence_words
from lector.review.store import ReviewStore
from tests.test_review import BASE, make_review_project

FETCH = {"X-Requested-With": "fetch"}
IDS = [f"{n:012x}" for n in range(3)]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    return make_review_project(tmp_path)


@pytest.fixture()
def client(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        c.get("/")
        yield c


def _post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": client.cookies["lector_csrf"]}, headers=FETCH)


def test_chapter_levels_against_the_profile(client):
    r = client.get("/api/chapters/1/levels")
    assert r.status_code == 200
    data = r.json()
    assert (data["profile"], data["level_unit"], data["min_level"], data["max_level"]) == (
        "acx",
        "dBFS RMS",
        -23.0,
        -18.0,
    )
    assert (data["peak_max_dbfs"], data["sample_rate"], data["duration_s"]) == (-3.0, 22050, 5.6)
    # 0.5 s silence, then 1.2 s sines of amplitude 0.2 (mean square 0.02) and 0.5 s pauses:
    # second 0 holds 0.5 s of sine (-20.00 dB), second 1 holds 0.7 s (-18.54 dB)
    assert data["curve"][:2] == [-20.0, -18.54]
    assert len(data["curve"]) == len(data["peaks_dbfs"]) == 6
    rows = data["sentences"]
    assert [s["id"] for s in rows] == IDS
    assert [(s["level"], s["peak_dbfs"]) for s in rows] == [(-16.99, -13.98)] * 3
    assert rows[0]["problems"] == ["level -16.99 above -18"]
    assert [s["flags"] for s in rows] == [[], [], ["internal-silence"]]  # QC flags of qc.json
    assert len(rows[0]["bars"]) == 96 and set(rows[0]["bars"]) == {51}
    assert client.get("/api/chapters/2/levels").status_code == 404


def test_editor_flag_shows_on_the_curve(client):
    _post(client, f"/sentences/{IDS[0]}/flag", note="hiss")
    rows = client.get("/api/chapters/1/levels").json()["sentences"]
    assert rows[0]["flags"] == ["editor: flagged"]


def test_chapter_page_has_the_chart_rows_keys_and_pronunciation(client):
    page = client.get("/chapters/1").text
    assert '<section class="levels" id="levels" data-chapter="1">' in page
    assert '<script src="/static/wave.js"></script>' in page
    assert page.count('<div class="wave" data-id=') == 3
    assert page.count(f'data-action="/sentences/{IDS[0]}/pronunciation"') == 1
    assert "<dd>next / previous flag (QC, editor or loudness)</dd>" in page
    js = client.get("/static/wave.js")
    assert (js.status_code, js.headers["content-type"]) == (200, "text/javascript; charset=utf-8")


def test_pronunciation_written_validated_and_sentences_marked(client, project):
    r = _post(client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːɹm")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == (
        "lexicon.tsv: storm → stˈɔːɹm; 1 sentence(s) marked changed: press Preview edit to hear it"
    )
    assert body["affected"] == [{"chapter": 1, "id": IDS[0], "text": "The storm came in from the west."}]
    assert f'id="s-{IDS[0]}"' in body["html"] and "changed · re-render" in body["html"]
    assert (project / "lexicon.tsv").read_text(encoding="utf-8") == "storm\tstˈɔːɹm\n"
    decisions = ReviewStore.for_project(project).decisions(1)
    assert [sid for sid, d in decisions.items() if d.pending] == [IDS[0]]
    # the same word again: its line is replaced, not repeated; look-alikes are written as IPA
    r = _post(client, f"/sentences/{IDS[0]}/pronunciation", word="Storm", pronunciation="st'o:rm")
    assert r.json()["message"] == (
        "lexicon.tsv: Storm → stˈoːrm (written as 'stˈoːrm') — replaces the earlier entry; "
        "1 sentence(s) marked changed: press Preview edit to hear it"
    )
    assert (project / "lexicon.tsv").read_text(encoding="utf-8") == "Storm\tstˈoːrm\n"


def test_bad_pronunciations_are_refused_with_the_reason(client, project):
    cases = {
        ("storm", "st0rm"): "unknown IPA symbol(s) '0' in pronunciation 'st0rm' of 'storm' — use the IPA "
        "symbols espeak-ng emits (see `lector pronounce --lang en`), with ˈ ˌ for stress and ː for length",
        ("river", "ɹˈɪvɚ"): "'river' is not read in this sentence — pick a word of this sentence "
        "(click it, or select it in the text)",
        ("the storm", "ðə"): "'the storm' is more than one word: an IPA entry is read for a single word — "
        "fix each word on its own, or write an <alias> for the phrase in lexicon.pls",
        ("storm", ""): "a word and its pronunciation are both needed — pick a word, then type how it is read",
    }
    for (word, pron), message in cases.items():
        r = _post(client, f"/sentences/{IDS[0]}/pronunciation", word=word, pronunciation=pron)
        assert (r.status_code, r.json()) == (422, {"ok": False, "message": message, "affected": []})
    assert not (project / "lexicon.tsv").exists()
    assert ReviewStore.for_project(project).decisions(1) == {}
    refused = client.post(
        f"/sentences/{IDS[0]}/pronunciation", data={"word": "storm", "pronunciation": "stɔːm"}
    )
    assert refused.status_code == 403  # no CSRF token: as every state-changing route
    assert not (project / "lexicon.tsv").exists()


def test_words_of_a_sentence_from_the_plan(client, project):
    plan_path = project / "build" / "plan.json"
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    plan["chapters"][0]["sentences"][0]["spans"] = [
        {
            "text": "The storm",
            "spoken": "The storm",
            "lang": "en",
            "tokens": [
                {"text": "The", "pron": "ðə", "origin": "g2p"},
                {"text": "storm", "pron": "stˈɔːɹm", "origin": "lexicon:lexicon.tsv:1"},
                {"text": ".", "pron": "", "origin": "g2p"},
            ],
        }
    ]
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    assert client.get(f"/api/sentences/{IDS[0]}/words").json() == {
        "id": IDS[0],
        "chapter": 1,
        "words": [
            {"text": "The", "pron": "ðə", "origin": "g2p", "lang": "en"},
            {"text": "storm", "pron": "stˈɔːɹm", "origin": "lexicon:lexicon.tsv:1", "lang": "en"},
        ],
    }
    assert client.get("/api/sentences/nope/words").status_code == 404


def _zh_plan() -> dict:
    def sentence(sid: str, text: str) -> dict:
        return {
            "id": sid,
            "text": text,
            "spans": [{"text": text, "spoken": text, "lang": "zh", "tokens": []}],
        }

    return {
        "chapters": [
            {"index": 1, "sentences": [sentence("a", "我们去银行。"), sentence("b", "他行走。")]},
            {"index": 2, "sentences": [sentence("c", "银行关门了。"), sentence("d", "Bank day.")]},
        ]
    }


def test_affected_sentences_follow_the_entry_rules():
    plan = _zh_plan()
    assert [a.id for a in affected_sentences(plan, check_entry("行", "hang2", "银行"))] == ["a", "c"]
    assert [a.id for a in affected_sentences(plan, check_entry("行", "xing2"))] == ["a", "b", "c"]
    assert [(a.chapter, a.id) for a in affected_sentences(plan, check_entry("银行", "yín háng"))] == [
        (1, "a"),
        (2, "c"),
    ]
    entry = check_entry("storm", "stˈɔːɹm")
    assert entry_matches(entry, "en", "The STORM's end.")  # whole word, any case
    assert not entry_matches(entry, "en", "Stormy weather.")
    assert not entry_matches(entry, "zh", "storm")
    assert sentence_words({"spans": []}) == []


def test_check_entry_refusals_name_the_fix():
    with pytest.raises(LexiconError) as exc:
        check_entry("银行", "yin2")
    assert exc.value.message == "'银行' has 2 Han characters but 1 pinyin syllables ('yin2')"
    assert exc.value.fix == "give exactly one syllable with tone number per Han character"
    with pytest.raises(LexiconError) as exc:
        check_entry("行", "hang2", "学校")
    assert exc.value.message == "context '学校' does not contain '行'"
    with pytest.raises(LexiconError) as exc:
        check_entry("storm", "stɔːm", "the storm")
    assert exc.value.message == "a context word applies to Chinese entries only"


def test_written_entry_is_what_the_next_plan_reads(tmp_path):
    from lector.core.planner import build_plan
    from lector.core.project import load_project
    from tests.conftest import write_tiny_project

    root = write_tiny_project(tmp_path / "tiny", lang="zh", cover=False)

    def reading(plan) -> list[tuple[str, str]]:
        s = plan.chapters[0].sentences[-1]  # 我们去银行。
        return [(t.pron, t.origin) for span in s.spans for t in span.tokens if t.text in "银行"]

    base = "lexicon:lexicons/zh.tsv:6"  # the shared base lexicon reads 银行 already
    assert reading(build_plan(load_project(root))) == [("yin2", base), ("hang2", base)]
    (root / "lexicon.tsv").write_text("# editors' fixes\n银行\tyin2 hang2\n", encoding="utf-8")
    assert write_entry(root, check_entry("银行", "yín hàng")) == "银行\tyin2 hang2"
    assert (root / "lexicon.tsv").read_text(encoding="utf-8") == "# editors' fixes\n银行\tyin2 hang4\n"
    assert reading(build_plan(load_project(root))) == [
        ("yin2", "lexicon:lexicon.tsv:2"),
        ("hang4", "lexicon:lexicon.tsv:2"),
    ]


def test_levels_route_reports_an_unreadable_chapter(client, project):
    (project / "build" / "chapters" / "01" / "chapter.flac").write_bytes(b"not audio")
    r = client.get("/api/chapters/1/levels")
    assert r.status_code == 422
    assert r.json()["message"].endswith("— render the chapter again")
    assert "Traceback" not in r.text and isinstance(Path, type)
