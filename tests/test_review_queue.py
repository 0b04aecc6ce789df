"""The book-wide review queue and chapter approval (FastAPI TestClient; lector/review/queue.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.test_review import BASE, _post, make_review_project


def _ids(c, **params) -> list[tuple[str, list[str]]]:
    r = c.get("/api/queue", params=params)
    assert r.status_code == 200
    return [(i["id"], i["kinds"]) for i in r.json()["items"]]


def test_queue_lists_open_flags_and_unreviewed_sentences_with_filters(tmp_path):
    from lector.review.app import create_app

    project = make_review_project(tmp_path)
    with TestClient(create_app(project), base_url=BASE) as c:
        assert _ids(c) == [
            ("000000000000", ["unreviewed"]),
            ("000000000001", ["unreviewed"]),
            ("000000000002", ["internal-silence"]),
        ]
        assert _post(c, "/sentences/000000000000/approve").status_code == 200
        assert _post(c, "/sentences/000000000001/flag", {"note": "mumbled"}).status_code == 200
        assert _ids(c) == [("000000000001", ["flagged"]), ("000000000002", ["internal-silence"])]
        assert _ids(c, kind="internal-silence") == [("000000000002", ["internal-silence"])]
        assert _ids(c, kind="flagged") == [("000000000001", ["flagged"])]
        assert _ids(c, chapter="2") == []
        assert _ids(c, voice="narrator", chapter="1") == [
            ("000000000001", ["flagged"]),
            ("000000000002", ["internal-silence"]),
        ]
        assert _ids(c, voice="alice") == []
        progress = c.get("/api/queue").json()["progress"]
        assert progress == [
            {
                "chapter": 1,
                "title": "One",
                "sentences": 3,
                "approved": 1,
                "flagged": 2,
                "untouched": 0,
                "approved_by": "",
                "approved_at": "",
            }
        ]
        page = c.get("/queue", params={"kind": "flagged"})
        assert page.status_code == 200
        assert page.text.count('class="queue-item"') == 1
        assert "1 sentence(s) to look at" in page.text
        assert c.get("/queue", params={"chapter": "x"}).status_code == 400


def test_chapter_approval_records_editor_and_time(tmp_path):
    from lector.review.app import create_app

    project = make_review_project(tmp_path)
    with TestClient(create_app(project), base_url=BASE) as c:
        r = _post(c, "/chapters/1/approve", {"editor": "  "})
        assert (r.status_code, r.json()) == (
            422,
            {"ok": False, "message": "type your name to approve the chapter"},
        )
        r = _post(c, "/chapters/1/approve", {"editor": "Ada  Lovelace"})
        assert r.status_code == 200
        body = r.json()
        assert (body["ok"], body["message"], body["editor"]) == (
            True,
            "chapter 1 approved by Ada Lovelace",
            "Ada Lovelace",
        )
        progress = c.get("/api/queue").json()["progress"][0]
        assert progress["approved_by"] == "Ada Lovelace"
        import time

        assert progress["approved_at"] == time.strftime("%Y-%m-%d %H:%M", time.gmtime(body["at"]))
        assert "approved by Ada Lovelace" in c.get("/queue").text
        assert _post(c, "/chapters/9/approve", {"editor": "Ada"}).status_code == 404
