"""Instant preview, accept and the take history in the review app (FastAPI TestClient, real piper-en).

A tiny Markdown book is produced once by the real flow; each test works on a copy of it.
After "accept" the next render (flows.produce.rerender_changed) must find nothing to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import write_tiny_project

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:8765"
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture(scope="module")
def built_book(tmp_path_factory, prefect_server):
    from lector.flows.produce import produce_book
    from lector.flows.runners import in_process_run

    root = write_tiny_project(tmp_path_factory.mktemp("book") / "tiny", engine="piper-en", qc=False)
    with in_process_run():
        produce_book(str(root), publish=False, qc=False)
    return root


@pytest.fixture()
def book(built_book, tmp_path, monkeypatch):
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    out = tmp_path / "tiny"
    shutil.copytree(built_book, out)
    return out


def _timeline(book: Path, n: int = 1) -> list[dict]:
    return json.loads((book / "build" / "chapters" / f"{n:02d}" / "timeline.json").read_text("utf-8"))[
        "sentences"
    ]


def _post(client, url: str, **data):
    client.get("/")
    return client.post(url, data={**data, "csrf_token": client.cookies["lector_csrf"]}, headers=FETCH)


def _render_changed(book: Path) -> dict:
    from lector.flows.produce import rerender_changed
    from lector.flows.runners import in_process_run

    with in_process_run():
        return rerender_changed(str(book), qc=False)


def test_edit_preview_accept_then_render_has_nothing_to_do(book):
    from lector.review.app import create_app

    rows = _timeline(book)
    assert [r["text"] for r in rows] == ["One", "The first sentence is here.", "The second one follows."]
    sid, old_key = rows[1]["id"], rows[1]["cache_key"]
    with TestClient(create_app(book), base_url=BASE) as c:
        r = _post(c, f"/sentences/{sid}/preview", text="The first sentence is right here.")
        assert r.status_code == 200
        made = r.json()
        assert (made["ok"], made["synthesized"]) == (True, True)
        assert made["take"]["text"] == "The first sentence is right here."
        assert made["take"]["engine"] == "piper-en"
        assert made["sentence_id"] != sid
        new_key = made["take"]["cache_key"]
        assert (book / "build" / "cache" / new_key[:2] / f"{new_key}.flac").is_file()
        assert (book / "manuscript" / "01.md").read_text(
            "utf-8"
        ) == "# One\n\nThe first sentence is right here. The second one follows.\n"
        assert c.get(made["take"]["url"]).status_code == 200
        assert _timeline(book)[1]["cache_key"] == old_key  # the book is unchanged until accepted
        again = _post(c, f"/sentences/{sid}/preview", text="The first sentence is right here.").json()
        assert (again["synthesized"], again["take"]["cache_key"]) == (False, new_key)

        before = (book / "build" / "chapters" / "01" / "master.json").read_bytes()
        r = _post(c, f"/sentences/{sid}/accept")
        assert r.status_code == 200
        assert r.json()["sentence_id"] == made["sentence_id"]
        assert "The first sentence is right here." in r.json()["html"]
        rows = _timeline(book)
        assert (rows[1]["id"], rows[1]["cache_key"], rows[1]["text"]) == (
            made["sentence_id"],
            new_key,
            "The first sentence is right here.",
        )
        assert (book / "build" / "chapters" / "01" / "master.json").read_bytes() != before
        state = c.get(f"/api/sentences/{made['sentence_id']}").json()
        assert [(t["origin"], t["cache_key"], t["chosen"]) for t in state["takes"]] == [
            ("render", old_key, False),
            ("preview", new_key, True),
        ]
        assert (state["text"], state["pending"], state["flags"], state["qc_state"]) == (
            "The first sentence is right here.",
            False,
            [],
            "unchecked",
        )
    summary = _render_changed(book)
    assert (summary["synthesized"], summary["cached"], summary["chapters"]) == (0, 6, [])


def test_restore_an_earlier_take(book):
    from lector.review.app import create_app

    rows = _timeline(book)
    sid, old_key, old_seed = rows[2]["id"], rows[2]["cache_key"], rows[2]["seed"]
    with TestClient(create_app(book), base_url=BASE) as c:
        first = _post(c, f"/sentences/{sid}/preview", reroll="1").json()
        second = _post(c, f"/sentences/{sid}/preview", reroll="1").json()
        assert first["sentence_id"] == second["sentence_id"] == sid  # a re-roll keeps the id
        assert len({old_key, first["take"]["cache_key"], second["take"]["cache_key"]}) == 3
        assert c.get(f"/api/sentences/{sid}").json()["pending"] is True  # heard, not in the book yet
        assert _post(c, f"/sentences/{sid}/accept").status_code == 200
        assert c.get(f"/api/sentences/{sid}").json()["pending"] is False
        assert _timeline(book)[2]["cache_key"] == second["take"]["cache_key"]
        takes = c.get(f"/api/sentences/{sid}").json()["takes"]
        assert [(t["origin"], t["chosen"]) for t in takes] == [
            ("render", False),
            ("preview", False),
            ("preview", True),
        ]
        r = _post(c, f"/sentences/{sid}/takes/{takes[0]['id']}/restore")
        assert r.status_code == 200
        assert r.json()["take"]["cache_key"] == old_key
        row = _timeline(book)[2]
        assert (row["id"], row["cache_key"], row["seed"]) == (sid, old_key, old_seed)
        takes = c.get(f"/api/sentences/{sid}").json()["takes"]
        assert [t["chosen"] for t in takes] == [True, False, False]
    summary = _render_changed(book)
    assert (summary["synthesized"], summary["chapters"]) == (0, [])


def test_flags_of_a_replaced_take_are_not_shown(book):
    from lector.review.app import create_app

    rows = _timeline(book)
    sid = rows[1]["id"]
    qc = {
        "chapters": [{"chapter": 1, "sentences": [{"sentence_id": sid, "flags": ["too-long"], "wer": 0.7}]}]
    }
    (book / "build" / "qc.json").write_text(json.dumps(qc), encoding="utf-8")
    with TestClient(create_app(book), base_url=BASE) as c:
        assert c.get(f"/api/sentences/{sid}").json()["flags"] == ["too-long"]
        assert _post(c, f"/sentences/{sid}/preview", reroll="1").status_code == 200
        assert c.get(f"/api/sentences/{sid}").json()["flags"] == ["too-long"]  # the book's take is unchanged
        assert _post(c, f"/sentences/{sid}/accept").status_code == 200
        state = c.get(f"/api/sentences/{sid}").json()
        assert (state["flags"], state["qc_state"]) == ([], "unchecked")
        page = c.get("/chapters/1").text
        assert "QC unchecked" in page


def test_refusals_are_short_and_say_what_to_do(book):
    from lector.review.app import create_app

    sid = _timeline(book)[1]["id"]
    with TestClient(create_app(book), base_url=BASE) as c:
        r = _post(c, f"/sentences/{sid}/preview", text="   ")
        assert (r.status_code, r.json()) == (
            422,
            {"ok": False, "message": "the new text must be one non-empty line"},
        )
        r = _post(c, f"/sentences/{sid}/takes/999/restore")
        assert (r.status_code, r.json()) == (
            422,
            {"ok": False, "message": "that take is not one of this sentence's — reload the page"},
        )
        r = _post(c, "/sentences/000000000000/preview", reroll="1")
        assert r.status_code == 404
        assert r.json() == {"detail": "no such sentence in the rendered book — reload the page"}
        (book / "manuscript" / "01.md").write_text("# One\n\nThe first sentence is here.\n", encoding="utf-8")
        r = _post(c, f"/sentences/{sid}/preview", reroll="1")
        assert r.status_code == 422
        assert r.json()["message"].startswith("the chapter now has a different number of sentences")
        assert "Traceback" not in r.text and "Error" not in r.text


def test_take_history_lineage_and_choice(tmp_path):
    from lector.review.takes import TakeHistory

    h = TakeHistory(tmp_path / "state.sqlite")
    settings = {
        "pronunciation": "",
        "seed": 7,
        "engine": "piper-en",
        "voice": "narrator",
        "emotion": "neutral",
    }
    a = h.add("aaa", "aaa", 1, "k1", text="one", origin="render", **settings)
    assert h.link("bbb", "aaa") == "aaa"
    assert h.link("ccc", "bbb") == "aaa"
    b = h.add(h.root_of("ccc"), "ccc", 1, "k2", text="one more", origin="preview", **settings)
    assert h.add("aaa", "ccc", 1, "k2", text="x", origin="preview", **settings).id == b.id  # kept once
    h.choose("aaa", "k2")
    assert [(t.id, t.sentence_id, t.text, t.chosen) for t in h.takes("aaa")] == [
        (a.id, "aaa", "one", False),
        (b.id, "ccc", "one more", True),
    ]
    h.set_qc("ccc", "k2", "checking")
    assert h.qc_states() == {"ccc": ("k2", "checking")}
    approval = h.approve_chapter(3, "Ada")
    assert h.chapter_approvals() == {3: approval}
