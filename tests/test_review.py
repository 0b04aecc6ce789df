"""Review app over HTTP (FastAPI TestClient): pages, actions, persistence, security."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from lector.core.errors import ConfigError
from lector.core.fsutil import atomic_write_text
from lector.review.app import create_app
from lector.review.bundle import export_bundle
from lector.review.security import check_bind
from lector.review.store import ReviewStore

BASE = "http://127.0.0.1:8765"  # the Host allow-list refuses TestClient's default 'testserver'

RATE = 22050
TEXTS = (
    "The storm came in from the west.",
    "Nobody <script>alert(1)</script> slept that night.",
    "By morning the river had risen.",
)
PROJECT_TOML = """[book]
title = "Storm Test"
language = "en"
narrator = "narrator"

[voices.narrator]
engine = "piper-en"
lang = "en"

[voices.guest]
engine = "piper-en"
lang = "en"
"""


def _key(n: int, salt: str = "a") -> str:
    return f"{n:02x}" + (salt * 62)[:62]


def make_review_project(tmp: Path, audio: list[np.ndarray] | None = None, rate: int = RATE) -> Path:
    """A project with one rendered chapter: manuscript, plan.json, timeline, cache, chapter.flac, qc.json."""
    root = tmp / "storm"
    (root / "manuscript").mkdir(parents=True)
    (root / "project.toml").write_text(PROJECT_TOML, encoding="utf-8")
    (root / "manuscript" / "01.md").write_text("# One\n\n" + " ".join(TEXTS) + "\n", encoding="utf-8")
    build = root / "build"
    chapter_dir = build / "chapters" / "01"
    chapter_dir.mkdir(parents=True)
    if audio is None:
        t = np.arange(int(1.2 * rate)) / rate
        audio = [(0.2 * np.sin(2 * np.pi * f * t)).astype(np.float32) for f in (220, 330, 440)]
    rows, pieces, start = [], [np.zeros(rate // 2, np.float32)], 0.5
    for n, (text, a) in enumerate(zip(TEXTS, audio, strict=True)):
        key = _key(n)
        path = build / "cache" / key[:2] / f"{key}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), a, rate, subtype="PCM_24")
        sid = f"{n:012x}"
        rows.append(
            {
                "id": sid,
                "start_s": round(start, 3),
                "end_s": round(start + len(a) / rate, 3),
                "cache_key": key,
                "text": text,
                "pronunciation": "ðə stˈɔːɹm",
                "voice": "narrator",
                "emotion": "neutral",
                "seed": 100 + n,
                "engine": "piper-en",
            }
        )
        pieces += [a, np.zeros(rate // 2, np.float32)]
        start += len(a) / rate + 0.5
    sf.write(str(chapter_dir / "chapter.flac"), np.concatenate(pieces), rate, subtype="PCM_24")
    (chapter_dir / "timeline.json").write_text(
        json.dumps(
            {"chapter": 1, "title": "One", "sample_rate": rate, "duration_s": start, "sentences": rows}
        )
    )
    (build / "plan.json").write_text(
        json.dumps(
            {
                "chapters": [
                    {
                        "index": 1,
                        "title": "One",
                        "sentences": [
                            {"id": r["id"], "text": r["text"], "source": "manuscript/01.md:3"} for r in rows
                        ],
                    },
                    {"index": 2, "title": "Two", "sentences": []},
                ]
            }
        )
    )
    (build / "qc.json").write_text(
        json.dumps(
            {
                "chapters": [
                    {
                        "chapter": 1,
                        "sentences": [
                            {"sentence_id": rows[2]["id"], "flags": ["internal-silence"], "notes": []}
                        ],
                    }
                ]
            }
        )
    )
    masters = build / "masters"
    masters.mkdir()
    sf.write(str(masters / "01-one.flac"), np.concatenate(pieces), rate, subtype="PCM_16")
    return root


@pytest.fixture()
def project(tmp_path):
    return make_review_project(tmp_path)


@pytest.fixture()
def client(project):
    with TestClient(create_app(project), base_url=BASE) as c:
        yield c


def _csrf(client) -> str:
    client.get("/")
    return client.cookies["lector_csrf"]


def _post(client, url, data=None, fetch=True):
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    return client.post(
        url, data={**(data or {}), "csrf_token": _csrf(client)}, headers=headers, follow_redirects=False
    )


def test_project_page_lists_status_and_qc(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "Storm Test" in r.text
    assert re.search(r'status-rendered">rendered<', r.text)
    assert re.search(r'status-not-rendered">not rendered<', r.text)
    assert '<span class="badge warn">1</span>' in r.text


def test_chapter_page_escapes_manuscript_text(client):
    r = client.get("/chapters/1")
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "Nobody &lt;script&gt;alert(1)&lt;/script&gt; slept that night." in r.text
    assert re.findall(r"<script[^>]*>", r.text) == [  # the app's own files only, never inline
        '<script src="/static/review.js">',
        '<script src="/static/wave.js">',
    ]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert 'data-start="0.500"' in r.text and "/audio/takes/" + _key(0) in r.text


def test_audio_served_and_traversal_refused(client, project):
    assert client.get("/audio/chapters/1").status_code == 200
    assert client.get("/audio/takes/" + _key(1)).headers["content-type"] == "audio/flac"
    assert client.get("/files/masters/01-one.flac").status_code == 200
    (project / "secret.flac").write_bytes(b"fLaC secret")
    (project / "build" / "masters" / "link.flac").symlink_to(
        project / "secret.flac"
    )  # resolve() sees through it
    for bad in (
        "/files/../secret.flac",
        "/files/%2e%2e/secret.flac",
        "/files/masters/%2e%2e/%2e%2e/secret.flac",
        "/files/..%2fsecret.flac",
        "/files/%2Fetc%2Fpasswd",
        "/files//etc/passwd",
        "/audio/takes/..%2f..%2fsecret",
        "/audio/takes/" + "g" * 64,
        "/files/C:/windows/win.ini",
        "/files/masters/link.flac",
        "/files/masters",
        "/files/%00.flac",
    ):
        r = client.get(bad)
        assert r.status_code in (400, 404), bad
        assert b"secret" not in r.content


def test_csrf_required_for_posts(client, project):
    sid = f"{0:012x}"
    assert client.post(f"/sentences/{sid}/approve").status_code == 403
    _csrf(client)
    assert client.post(f"/sentences/{sid}/approve", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post(f"/sentences/{sid}/approve", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    ok = client.post(
        f"/sentences/{sid}/approve",
        headers={"X-CSRF-Token": client.cookies["lector_csrf"], "X-Requested-With": "fetch"},
    )
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ReviewStore.for_project(project).decisions(1)[sid].status == "approved"


def test_token_required_for_non_local_bind(project):
    with pytest.raises(ConfigError):
        check_bind("0.0.0.0", None)
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "s3cret")
    with TestClient(create_app(project, token="s3cret"), base_url=BASE) as c:
        assert c.get("/").status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        login = c.get("/chapters/1?token=s3cret", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/chapters/1"
        assert c.get("/chapters/1").status_code == 200  # cookie set by the login
        assert c.get("/audio/chapters/1").status_code == 200
        # scripts with the Bearer header need no CSRF token (browsers never send it on their own)
        sid = f"{0:012x}"
        fresh = TestClient(c.app, base_url=BASE)
        assert (
            fresh.post(
                f"/sentences/{sid}/approve",
                headers={"Authorization": "Bearer s3cret"},
                follow_redirects=False,
            ).status_code
            == 303
        )
        assert fresh.post(f"/sentences/{sid}/approve", follow_redirects=False).status_code == 401


def test_flag_persists_across_restart(project):
    sid = f"{1:012x}"
    with TestClient(create_app(project), base_url=BASE) as c:
        r = _post(c, f"/sentences/{sid}/flag", {"note": "mumbled <b>word</b>"})
        assert r.status_code == 200 and r.json()["ok"] is True
        assert "mumbled &lt;b&gt;word&lt;/b&gt;" in r.json()["html"]
    with TestClient(create_app(project), base_url=BASE) as c:
        page = c.get("/chapters/1").text
        assert "✎ mumbled &lt;b&gt;word&lt;/b&gt;" in page
        assert c.get("/").text.count("in review") == 1


def test_reroll_emotion_voice_write_overrides(client, project):
    from lector.core.overrides import load_overrides

    sid = f"{0:012x}"
    assert _post(client, f"/sentences/{sid}/reroll").json()["ok"] is True
    first = load_overrides(project).seeds[sid]
    assert _post(client, f"/sentences/{sid}/reroll").json()["ok"] is True
    assert load_overrides(project).seeds[sid] != first
    assert _post(client, f"/sentences/{sid}/emotion", {"emotion": "sad"}).json()["ok"] is True
    assert _post(client, f"/sentences/{sid}/voice", {"voice": "guest"}).json()["ok"] is True
    assert _post(client, f"/sentences/{sid}/voice", {"voice": "nobody"}).status_code == 422
    ov = load_overrides(project)
    assert (ov.emotions[sid], ov.voices[sid]) == ("sad", "guest")
    assert "changed · re-render" in client.get("/chapters/1").text


def test_edit_text_rewrites_manuscript_line(client, project):
    sid = f"{0:012x}"
    r = _post(client, f"/sentences/{sid}/edit", {"text": "The gale came in from the west."})
    assert r.json() == {"ok": True, "message": "manuscript/01.md:3 updated", "html": r.json()["html"]}
    line = (project / "manuscript" / "01.md").read_text(encoding="utf-8").splitlines()[2]
    assert line.startswith("The gale came in from the west. Nobody <script>")
    # the old text is gone from the line now: refused, kept as a pending note
    r = _post(client, f"/sentences/{sid}/edit", {"text": "Another try."})
    assert r.status_code == 422 and "stored as a pending note" in r.json()["message"]
    assert ReviewStore.for_project(project).notes(sid)[0].text == "Another try."


def test_lexicon_entry_validated_and_appended(client, project):
    sid = f"{0:012x}"
    bad = _post(client, f"/sentences/{sid}/lexicon", {"word": "银行", "pronunciation": "yin hang"})
    assert bad.status_code == 422
    assert _post(client, f"/sentences/{sid}/lexicon", {"word": "银行", "pronunciation": "yin2 hang2"}).json()[
        "ok"
    ]
    assert (
        _post(client, f"/sentences/{sid}/lexicon", {"word": "tab\there", "pronunciation": "x"}).status_code
        == 422
    )
    assert (project / "lexicon.tsv").read_text(encoding="utf-8") == "银行\tyin2 hang2\n"


def test_upload_limits(client, project):
    token = _csrf(client)
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64
    r = client.post(
        "/voices/narrator/clips", files={"file": ("a.wav", wav, "audio/wav")}, data={"csrf_token": token}
    )
    assert r.status_code == 201
    assert (project / r.json()["message"]).read_bytes() == wav
    r = client.post(
        "/voices/narrator/clips",
        files={"file": ("a.wav", b"<html>not audio</html>", "audio/wav")},
        data={"csrf_token": token},
    )
    assert r.status_code == 415
    big = b"fLaC" + b"\x00" * (20 * 1024 * 1024)
    r = client.post(
        "/voices/narrator/clips", files={"file": ("big.flac", big, "audio/flac")}, data={"csrf_token": token}
    )
    assert r.status_code == 413
    r = client.post(
        "/voices/..%2f..%2fetc/clips", files={"file": ("a.wav", wav, "audio/wav")}, data={"csrf_token": token}
    )
    assert r.status_code in (400, 404)
    assert (
        client.post("/voices/narrator/clips", files={"file": ("a.wav", wav, "audio/wav")}).status_code == 403
    )


def test_upload_with_transcript_registers_the_clip_in_the_voice(client, project):
    import io

    from lector.core.voices.store import load_voice
    from tests.test_voice_clips import EN, RATE, synth

    buf = io.BytesIO()
    sf.write(buf, synth("piper-en", EN[0], "en"), RATE, format="WAV", subtype="PCM_16")
    token = _csrf(client)
    r = client.post(
        "/voices/reader/clips",
        files={"file": ("joe.wav", buf.getvalue(), "audio/wav")},
        data={"csrf_token": token, "transcript": EN[0]},
    )
    assert r.status_code == 201 and r.json()["message"].startswith("added voices/reader/clips/reader-01.wav")
    voice = load_voice(project / "voices", "reader")
    assert [(c.file, c.transcript, c.lang, c.emotion) for c in voice.config.clips] == [
        ("clips/reader-01.wav", EN[0], "en", "neutral")
    ]
    short = io.BytesIO()
    sf.write(short, np.zeros(RATE, np.float32), RATE, format="WAV", subtype="PCM_16")
    r = client.post(
        "/voices/reader/clips",
        files={"file": ("short.wav", short.getvalue(), "audio/wav")},
        data={"csrf_token": token, "transcript": "Nothing at all."},
    )
    assert r.status_code == 422 and "1.0 s" in r.json()["message"]
    r = client.post(
        "/voices/reader/clips",
        files={"file": ("joe.wav", buf.getvalue(), "audio/wav")},
        data={"csrf_token": token, "transcript": EN[0], "emotion": "furious"},
    )
    assert r.status_code == 422 and r.json()["message"].startswith(
        "emotion 'furious' is not one of the project's"
    )
    assert len(load_voice(project / "voices", "reader").config.clips) == 1


def test_export_bundle_links_masters(project, tmp_path):
    index = export_bundle(project, project / "build" / "masters" / "review")
    html = index.read_text(encoding="utf-8")
    assert '<a href="chapter-01.html">One</a>' in html
    assert '<a href="../01-one.flac">01-one.flac</a>' in html
    chapter = (index.parent / "chapter-01.html").read_text(encoding="utf-8")
    assert 'src="../01-one.flac"' in chapter
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chapter and "<script>alert" not in chapter
    assert "http://" not in chapter and "https://" not in chapter


def test_cli_export_and_refuses_public_bind(project, tmp_path, capsys, monkeypatch):
    from lector.cli import main

    monkeypatch.delenv("LECTOR_REVIEW_TOKEN", raising=False)
    assert main(["review", str(project), "--export", str(tmp_path / "bundle")]) == 0
    assert (tmp_path / "bundle" / "index.html").is_file()
    assert main(["review", str(project), "--host", "0.0.0.0"]) == 2
    assert "without an access token" in capsys.readouterr().err


def test_rerender_job_keeps_previous_take(client, project, monkeypatch):
    """Job mechanics with the flow call replaced: the new timeline gets a new cache key."""
    sid = f"{2:012x}"
    timeline_path = project / "build" / "chapters" / "01" / "timeline.json"
    new_key = _key(2, "b")

    def fake_flow(root, ids):
        assert ids == [sid]
        data = json.loads(timeline_path.read_text())
        old = data["sentences"][2]["cache_key"]
        (project / "build" / "cache" / new_key[:2]).mkdir(exist_ok=True)
        shutil.copyfile(
            project / "build" / "cache" / old[:2] / f"{old}.flac",
            project / "build" / "cache" / new_key[:2] / f"{new_key}.flac",
        )
        data["sentences"][2]["cache_key"] = new_key
        # atomic, like the real flow: the page polls the timeline while the job runs
        atomic_write_text(timeline_path, json.dumps(data))
        return "re-rendered 1 sentence(s)"

    # the app re-renders in process (review.preview.PreviewService.render_chapter): the fake there
    from lector.review.preview import PreviewService

    monkeypatch.setattr(PreviewService, "render_chapter", lambda self, chapter: fake_flow(self.root, [sid]))
    assert _post(client, "/chapters/1/rerender").status_code == 422  # nothing flagged yet
    _post(client, f"/sentences/{sid}/flag", {"note": "clipped"})
    r = _post(client, "/chapters/1/rerender")
    assert r.status_code == 200 and r.json()["ok"] is True
    deadline = time.monotonic() + 10
    while client.get("/api/chapters/1").json()["job"]["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    state = client.get("/api/chapters/1").json()
    assert state["job"]["status"] == "done"
    row = next(s for s in state["sentences"] if s["id"] == sid)
    assert row["cache_key"] == new_key and row["previous_takes"] == [_key(2)]
    from lector.core.overrides import load_overrides

    assert sid in load_overrides(project).seeds  # flagged take got a new seed
    page = client.get("/chapters/1").text
    assert f'previous <audio class="take" controls preload="none" src="/audio/takes/{_key(2)}">' in page
    assert client.get(f"/audio/takes/{_key(2)}").status_code == 200
    assert client.get(f"/audio/takes/{new_key}").status_code == 200


def test_rerender_job_without_the_app_renders_through_the_given_callable(project, monkeypatch):
    """No deployment and no preview service: the job calls the ``rerender`` it was given (what
    `lector review` passes: the production flow); the old take is kept."""
    from lector.review import jobs

    monkeypatch.delenv("LECTOR_RERENDER_DEPLOYMENT", raising=False)
    store = ReviewStore.for_project(project)
    sid = f"{2:012x}"
    calls = []

    def rerender(root, ids):
        calls.append((root, ids))
        return "re-rendered 1 sentence(s)"

    assert jobs.rerender_available(project, None) is False
    assert jobs.rerender_available(project, rerender) is True
    job_id = jobs.start_rerender(project, store, 1, [(sid, _key(2), 7)], rerender)
    deadline = time.monotonic() + 10
    while store.jobs(1, limit=1)[0].status == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    job = store.jobs(1, limit=1)[0]
    assert (job.id, job.status, job.message, job.sentence_ids) == (
        job_id,
        "done",
        "re-rendered 1 sentence(s)",
        (sid,),
    )
    assert calls == [(project, [sid])]
    assert [(t.cache_key, t.seed) for t in store.takes(sid)] == [(_key(2), 7)]


def test_review_command_hands_the_production_flow_to_the_app(project, monkeypatch):
    """The review package never imports lector.flows: `lector review` passes the flow's re-render in."""
    import uvicorn

    from lector.cli import main
    from lector.cli.commands.review import rerender_with_flow

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    assert main(["review", str(project)]) == 0
    assert served[0].state.ctx.rerender is rerender_with_flow
