"""The review app in a real headless Chromium (Selenium + /usr/bin/chromedriver)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_review import make_review_project

pytestmark = pytest.mark.browser


class _Server:
    """uvicorn in a background thread, stopped on exit."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("review server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _wait(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_review_chapter_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from lector.core.overrides import load_overrides
    from lector.review.app import create_app

    project = make_review_project(tmp_path)
    ids = [f"{n:012x}" for n in range(3)]
    with _Server(create_app(project)) as base:
        browser.get(f"{base}/chapters/1")
        assert "One" in browser.title
        # play: time advances and the sentence under the play head is highlighted
        browser.execute_script("document.getElementById('chapter-audio').play();")
        _wait(
            lambda: (
                browser.execute_script("return document.getElementById('chapter-audio').currentTime") > 0.7
            ),
            what="audio currentTime to advance",
        )
        assert browser.execute_script("return document.getElementById('chapter-audio').paused") is False
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{ids[0]}.current"),
            what="highlight of sentence 1",
        )
        # click a sentence: seek to its start
        browser.find_element(By.CSS_SELECTOR, f"#s-{ids[2]} .text").click()
        start = float(browser.find_element(By.ID, f"s-{ids[2]}").get_attribute("data-start"))
        _wait(
            lambda: (
                browser.execute_script("return document.getElementById('chapter-audio').currentTime") >= start
            ),
            what="seek to sentence 3",
        )
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{ids[2]}.current"),
            what="highlight of sentence 3",
        )
        browser.execute_script("document.getElementById('chapter-audio').pause();")
        browser.find_element(By.TAG_NAME, "body").send_keys("k")  # keyboard: previous sentence
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{ids[1]}.current"), what="k to sentence 2")
        browser.execute_script("document.getElementById('chapter-audio').pause();")
        browser.save_screenshot(str(Path(os.environ.get("LECTOR_SCREENSHOT_DIR", tmp_path)) / "chapter.png"))

        # flag sentence 2 with a note, then reload: the note is kept
        row = browser.find_element(By.ID, f"s-{ids[1]}")
        row.find_element(By.CSS_SELECTOR, "form.flag input[name=note]").send_keys("breath noise at the end")
        row.find_element(By.CSS_SELECTOR, "form.flag button").click()
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{ids[1]}.st-flagged"), what="flagged state")
        browser.refresh()
        row = browser.find_element(By.ID, f"s-{ids[1]}")
        assert "st-flagged" in row.get_attribute("class")
        assert row.find_element(By.CSS_SELECTOR, ".note").text == "✎ breath noise at the end"
        assert "(1)" in browser.find_element(By.ID, "rerender-btn").text

        # re-roll sentence 1: a new seed override is written and the row shows it changed
        assert ids[0] not in load_overrides(project).seeds
        browser.execute_script("window.scrollTo(0, 0);")  # the reload kept the scroll: row 1 under the player
        browser.find_element(By.CSS_SELECTOR, f"#s-{ids[0]} button.reroll").click()
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{ids[0]}.pending"), what="pending re-render"
        )
        first = load_overrides(project).seeds[ids[0]]
        browser.find_element(By.CSS_SELECTOR, f"#s-{ids[0]} button.reroll").click()
        _wait(lambda: load_overrides(project).seeds[ids[0]] != first, what="a second new seed")
        assert "(2)" in browser.find_element(By.ID, "rerender-btn").text
        assert browser.get_log("browser") == [] or all(
            "favicon" in e["message"] for e in browser.get_log("browser")
        )


def test_static_bundle_plays_offline(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from lector.review.bundle import export_bundle

    project = make_review_project(tmp_path)
    index = export_bundle(project)
    browser.get(index.as_uri())
    browser.find_element(By.LINK_TEXT, "One").click()
    assert browser.execute_script("return document.getElementById('chapter-audio').src").endswith(
        "/masters/01-one.flac"
    )
    third = browser.find_element(By.ID, f"s-{2:012x}")
    third.find_element(By.CSS_SELECTOR, ".text").click()
    start = float(third.get_attribute("data-start"))
    _wait(
        lambda: (
            browser.execute_script("return document.getElementById('chapter-audio').currentTime") >= start
        ),
        what="seek in the static bundle",
    )
    _wait(lambda: "current" in third.get_attribute("class"), what="highlight in the static bundle")
    assert browser.find_elements(By.CSS_SELECTOR, "form") == []  # read-only: no actions
