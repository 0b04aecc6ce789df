"""The review app's loudness data and pronunciation from the page (FastAPI TestClient).

lector/review/routes_waveform.py, lector/review/routes_pronounce.py, lector/core/text/lexicon_edit.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
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


def test_sentence_scope_goes_to_overrides_for_that_sentence_only(client, project):
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːm", scope="sentence"
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == (
        "overrides.json (this sentence only): storm → stˈɔːm; "
        "1 sentence(s) marked changed: press Preview edit to hear it"
    )
    assert (body["scope"], body["affected"]) == (
        "sentence",
        [{"chapter": 1, "id": IDS[0], "text": "The storm came in from the west."}],
    )
    assert json.loads((project / "overrides.json").read_text(encoding="utf-8")) == {
        "seeds": {},
        "emotions": {},
        "voices": {},
        "pronunciations": {IDS[0]: {"storm": "stˈɔːm"}},
    }
    assert not (project / "lexicon.tsv").exists()
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːɹm", scope="sentence"
    )
    assert r.json()["message"] == (
        "overrides.json (this sentence only): storm → stˈɔːɹm — replaces the earlier entry; "
        "1 sentence(s) marked changed: press Preview edit to hear it"
    )
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːm", scope="page"
    )
    assert (r.status_code, r.json()["message"]) == (
        422,
        "unknown scope 'page' — use one of: sentence, book, shared",
    )


def test_sentence_reading_is_what_the_next_plan_reads(tmp_path):
    from lector.core.overrides import Overrides, save_overrides
    from lector.core.planner import build_plan
    from lector.core.project import load_project
    from tests.conftest import write_tiny_project

    root = write_tiny_project(tmp_path / "tiny", lang="zh", cover=False)
    first = build_plan(load_project(root)).chapters[0].sentences
    ids = [s.id for s in first]
    save_overrides(
        root,
        Overrides()
        .with_pronunciation(ids[2], "银行", "yin2 hang4")
        .with_pronunciation(ids[1], "天", "tian5"),
    )
    again = build_plan(load_project(root)).chapters[0].sentences
    assert [s.id for s in again] == ids
    assert [(t.text, t.pron, t.origin) for span in again[2].spans for t in span.tokens][3:5] == [
        ("银", "yin2", "sentence"),
        ("行", "hang4", "sentence"),
    ]
    assert [t.pron for t in again[1].spans[0].tokens][:4] == ["jin1", "tian5", "tian5", "qi4"]
    assert again[0] == first[0]  # the title reads no overridden word: untouched


def test_shared_scope_needs_lector_lexicons(client, project, tmp_path, monkeypatch):
    monkeypatch.delenv("LECTOR_LEXICONS", raising=False)
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːm", scope="shared"
    )
    assert (r.status_code, r.json()) == (
        422,
        {
            "ok": False,
            "message": "the shared lexicon is the installed package's own folder, which the app does not "
            "edit — set LECTOR_LEXICONS to a shared lexicons folder (copy lector/core/lexicons there) and "
            "restart `lector review`, or save it for this book",
            "affected": [],
        },
    )
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "names.tsv").write_text("# names\nstorm\tstˈɔːɹm\n", encoding="utf-8")
    monkeypatch.setenv("LECTOR_LEXICONS", str(shared))
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːm", scope="shared"
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"] == (
        f"shared lexicon {shared / 'names.tsv'}: storm → stˈɔːm — replaces the earlier entry; "
        "1 sentence(s) marked changed: press Preview edit to hear it"
    )
    assert (shared / "names.tsv").read_text(encoding="utf-8") == "# names\nstorm\tstˈɔːm\n"
    (project / "lexicon.tsv").write_text("west\twˈɛst\n", encoding="utf-8")
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="west", pronunciation="wˈɛːst", scope="shared"
    )
    assert r.json()["message"] == (
        f"shared lexicon {shared / 'editors.tsv'}: west → wˈɛːst — but this book's own lexicon reads west "
        "as wˈɛst and wins: save it for this book too to hear the shared reading here; "
        "1 sentence(s) marked changed: press Preview edit to hear it"
    )
    assert (shared / "editors.tsv").read_text(encoding="utf-8") == "west\twˈɛːst\n"
    assert sorted(p.name for p in shared.iterdir()) == [".render.lock", "editors.tsv", "names.tsv"]


def test_pronunciation_changes_are_queued_until_re_rendered(client, project):
    store = ReviewStore.for_project(project)
    store.set_pending(IDS[2], 1, True, "edit", "By morning the river rose.")
    r = _post(
        client, f"/sentences/{IDS[0]}/pronunciation", word="storm", pronunciation="stˈɔːm", scope="sentence"
    )
    assert r.status_code == 200, r.text
    kinds = {i["id"]: i["kinds"] for i in client.get("/api/queue").json()["items"]}
    assert kinds == {
        IDS[0]: ["changed", "pronunciation changed"],
        IDS[1]: ["unreviewed"],
        IDS[2]: ["internal-silence", "changed"],  # its QC flag (test_review fixture) first
    }
    only = client.get("/api/queue", params={"kind": "pronunciation changed"}).json()["items"]
    assert [i["id"] for i in only] == [IDS[0]]
    assert (
        "<option selected>pronunciation changed</option>"
        in client.get("/queue", params={"kind": "pronunciation changed"}).text
    )
    store.set_pending(IDS[0], 1, False, "rerendered")
    store.set_pending(IDS[0], 1, True, "reroll", "seed 7")  # changed again, not by a pronunciation
    kinds = {i["id"]: i["kinds"] for i in client.get("/api/queue").json()["items"]}
    assert kinds[IDS[0]] == ["changed"]


def test_hear_a_word_alone_before_saving_writes_nothing_of_the_book(tmp_path, monkeypatch):
    from tests.conftest import write_tiny_project

    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    root = write_tiny_project(tmp_path / "tiny", engine="fake")
    app = create_app(root)
    with TestClient(app, base_url=BASE) as c:
        app.state.ctx.previews.render_chapter(1)
        rows = json.loads((root / "build/chapters/01/timeline.json").read_text(encoding="utf-8"))["sentences"]
        sid = rows[1]["id"]  # The first sentence is here.
        plan_before = (root / "build/plan.json").read_bytes()
        c.get("/")
        r = _post(c, f"/sentences/{sid}/pronunciation/hear", word="first", pronunciation="fˈɜːst")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["ok"], body["message"]) == (True, "first read fˈɜːst — not saved yet")
        key = body["url"].removeprefix("/audio/takes/")
        word_s = sf.info(str(root / "build/cache" / key[:2] / f"{key}.flac")).duration
        whole = rows[1]["cache_key"]
        assert word_s < sf.info(str(root / "build/cache" / whole[:2] / f"{whole}.flac")).duration / 2
        assert c.get(body["url"]).status_code == 200
        refused = _post(c, f"/sentences/{sid}/pronunciation/hear", word="second", pronunciation="sˈɛkənd")
        assert (refused.status_code, refused.json()["message"]) == (
            422,
            "'second' is not read in this sentence — pick a word of this sentence "
            "(click it, or select it in the text)",
        )
    assert (root / "build/plan.json").read_bytes() == plan_before
    assert not (root / "lexicon.tsv").exists() and not (root / "overrides.json").exists()
    assert ReviewStore.for_project(root).decisions(1) == {}
