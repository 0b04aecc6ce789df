"""Review app attacks (DNS rebinding, cross-origin POST, Bearer without a token, token guessing,
public binds) are refused; edits keep the producer's file modes and wait for a running render."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from lector.core.errors import ConfigError
from lector.core.lock import project_lock
from lector.review import actions
from lector.review.app import create_app
from lector.review.security import MAX_FAILURES, check_bind, masked
from tests.test_review import make_review_project

BASE = "http://127.0.0.1:8765"
SID = f"{0:012x}"


@pytest.fixture()
def project(tmp_path):
    return make_review_project(tmp_path)


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def csrf(client) -> str:
    client.get("/")
    return client.cookies["lector_csrf"]


def test_dns_rebinding_host_is_refused(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        token = csrf(c)
        assert c.get("/", headers={"Host": "evil.example"}).status_code == 400
        assert c.get("/", headers={"Host": "evil.example:8765"}).status_code == 400
        assert c.get("/audio/chapters/1", headers={"Host": "127.0.0.1.evil.example"}).status_code == 400
        r = c.post(f"/sentences/{SID}/approve", data={"csrf_token": token}, headers={"Host": "evil.example"})
        assert r.status_code == 400
        for ok in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "127.0.0.2"):
            assert c.get("/", headers={"Host": ok}).status_code == 200, ok
    with TestClient(
        create_app(project, token="t0ken-abcdef", host="0.0.0.0", allow_hosts=("review.lan",)),
        base_url="http://review.lan",
    ) as c:
        assert c.get("/", headers={"Authorization": "Bearer t0ken-abcdef"}).status_code == 200
        assert (
            c.get("/", headers={"Authorization": "Bearer t0ken-abcdef", "Host": "evil.example"}).status_code
            == 400
        )


def test_foreign_origin_or_referer_post_is_refused(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        token = csrf(c)
        url, data = f"/sentences/{SID}/approve", {"csrf_token": token}
        for headers in (
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://127.0.0.1:9999"},
            {"Referer": "http://evil.example/page"},
        ):
            r = c.post(url, data=data, headers=headers, follow_redirects=False)
            assert r.status_code == 403, headers
        assert c.post(url, data=data, headers={"Origin": BASE}, follow_redirects=False).status_code == 303
        assert (
            c.post(
                url, data=data, headers={"Referer": BASE + "/chapters/1"}, follow_redirects=False
            ).status_code
            == 303
        )


def test_bearer_without_a_configured_token_does_not_skip_csrf(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        csrf(c)
        r = c.post(
            f"/sentences/{SID}/approve", headers={"Authorization": "Bearer anything"}, follow_redirects=False
        )
        assert r.status_code == 403
        assert "CSRF" in r.text


def test_token_session_is_signed_and_guessing_is_rate_limited(project):
    secret = "s3cret-token-value"
    with TestClient(create_app(project, token=secret), base_url=BASE) as c:
        login = c.get("/chapters/1?token=" + secret, follow_redirects=False)
        assert login.status_code == 303
        cookie = c.cookies["lector_session"]
        assert secret not in cookie and "lector_token" not in c.cookies
        assert c.get("/chapters/1").status_code == 200
        forged = TestClient(c.app, base_url=BASE, cookies={"lector_session": "1700000000.deadbeef"})
        assert forged.get("/").status_code == 401
        # a cookie session still needs the CSRF token
        assert c.post(f"/sentences/{SID}/approve", follow_redirects=False).status_code == 403
        guesser = TestClient(c.app, base_url=BASE)
        codes = [
            guesser.get("/", headers={"Authorization": f"Bearer guess{n}"}).status_code
            for n in range(MAX_FAILURES + 1)
        ]
        assert codes == [401] * MAX_FAILURES + [429]
        # locked out for the window, even with the right token (else guessing would go on)
        assert guesser.get("/", headers={"Authorization": f"Bearer {secret}"}).status_code == 429


@pytest.mark.parametrize("host", ["", "0", "0.0.0.0", "::", "[::]", "review.example.org", "192.168.1.20"])
def test_every_non_loopback_bind_needs_a_token(host):
    with pytest.raises(ConfigError, match="without an access token"):
        check_bind(host, None)
    check_bind(host, "a-token")


def test_loopback_binds_need_no_token():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.5"):
        check_bind(host, None)


def test_startup_line_never_prints_the_token(project, monkeypatch, capsys):
    import uvicorn

    from lector.cli import main

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw))
    monkeypatch.delenv("LECTOR_REVIEW_TOKEN", raising=False)
    assert main(["review", str(project), "--host", "", "--port", "8765"]) == 2
    assert "refusing to serve the review app on '' without an access token" in capsys.readouterr().err
    secret = "s3cret-token-value"
    assert main(["review", str(project), "--host", "0.0.0.0", "--token", secret]) == 0
    out = capsys.readouterr().out
    assert secret not in out and masked(secret) in out
    assert served == [{"host": "0.0.0.0", "port": 8765, "log_level": "warning"}]


def test_edits_keep_the_producers_file_modes_under_umask_022(project):
    manuscript = project / "manuscript" / "01.md"
    lexicon = project / "lexicon.tsv"
    lexicon.write_text("storm\tstˈɔːɹm\n", encoding="utf-8")
    os.chmod(manuscript, 0o640)
    os.chmod(lexicon, 0o604)
    with umask(0o022), TestClient(create_app(project), base_url=BASE) as c:
        token = csrf(c)
        headers = {"X-Requested-With": "fetch", "X-CSRF-Token": token}
        r = c.post(
            f"/sentences/{SID}/edit", data={"text": "The storm came in from the east."}, headers=headers
        )
        assert r.status_code == 200 and r.json()["ok"] is True
        r = c.post(
            f"/sentences/{SID}/lexicon", data={"word": "river", "pronunciation": "ɹˈɪvɚ"}, headers=headers
        )
        assert r.json()["ok"] is True
        assert c.post(f"/sentences/{SID}/reroll", headers=headers).json()["ok"] is True
    assert "from the east." in manuscript.read_text(encoding="utf-8")
    assert (mode(manuscript), mode(lexicon)) == (0o640, 0o604)
    assert mode(project / "overrides.json") == 0o644  # a new file: the umask default
    assert [p.name for p in project.rglob(".*") if p.is_file()] == [".render.lock"]  # no temp file left
    assert mode(project / "build" / ".render.lock") == 0o644


def test_an_edit_while_a_render_holds_the_lock_answers_409(project, monkeypatch):
    monkeypatch.setattr(actions, "EDIT_LOCK_WAIT_S", 0.2)
    before = (project / "manuscript" / "01.md").read_bytes()
    with TestClient(create_app(project), base_url=BASE) as c:
        token = csrf(c)
        headers = {"X-Requested-With": "fetch", "X-CSRF-Token": token}
        with project_lock(project / "build", "render"):
            r = c.post(f"/sentences/{SID}/edit", data={"text": "Changed while rendering."}, headers=headers)
        assert r.status_code == 409
        body = r.json()
        assert body["ok"] is False
        assert body["message"].startswith(f"not saved: the project is busy: render (pid {os.getpid()} on ")
        assert (project / "manuscript" / "01.md").read_bytes() == before  # nothing written
        r = c.post(f"/sentences/{SID}/edit", data={"text": "Changed after the render."}, headers=headers)
        assert r.status_code == 200 and r.json()["ok"] is True
