"""End to end in Chromium: a real chapter produced by the flow (piper-en), re-rolled in the
review app and re-rendered through flows.produce.rerender_sentences; the new take appears
beside the old one and QC ran on the build."""

from __future__ import annotations

import json

import pytest

from tests.test_browser import _Server, _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _produce_first_chapter(project):
    try:
        from lector.flows.produce import produce_book
    except ImportError as exc:
        pytest.skip(f"production flow not available: {exc}")
    produce_book(str(project), chapters=[1], draft=False, publish=False)
    return json.loads((project / "build" / "chapters" / "01" / "timeline.json").read_text(encoding="utf-8"))


def test_reroll_and_rerender_shows_new_take(browser, make_project, prefect_server):
    from selenium.webdriver.common.by import By

    from lector.core.overrides import load_overrides
    from lector.core.qc import QCOptions, run_qc
    from lector.review.app import create_app

    project = make_project("demo-en", chapters=None)
    timeline = _produce_first_chapter(project)
    report = run_qc(project, options=QCOptions(asr=False, voice=False))
    assert report.summary()["sentences"] == len(timeline["sentences"])
    target = timeline["sentences"][1]
    sid, old_key = target["id"], target["cache_key"]
    with _Server(create_app(project)) as base:
        browser.get(f"{base}/chapters/1")
        browser.find_element(By.CSS_SELECTOR, f"#s-{sid} button.reroll").click()
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{sid}.pending"), what="pending re-render")
        assert sid in load_overrides(project).seeds
        button = browser.find_element(By.ID, "rerender-btn")
        _wait(button.is_enabled, what="re-render button enabled")
        button.click()
        # the page polls the job and reloads when it is done
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{sid} .takes .prev audio"),
            timeout=240,
            what="the previous take beside the new one",
        )
        new = json.loads(
            (project / "build" / "chapters" / "01" / "timeline.json").read_text(encoding="utf-8")
        )
        new_key = next(s["cache_key"] for s in new["sentences"] if s["id"] == sid)
        assert new_key != old_key
        srcs = [
            a.get_attribute("src") for a in browser.find_elements(By.CSS_SELECTOR, f"#s-{sid} .takes audio")
        ]
        assert srcs == [f"{base}/audio/takes/{new_key}", f"{base}/audio/takes/{old_key}"]
        ok = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "Promise.all(arguments[0].map(u => fetch(u).then(r => r.status))).then(done);",
            srcs,
        )
        assert ok == [200, 200]
