"""In Chromium: edit a sentence -> hear the preview -> accept it into the master -> restore the
earlier take (real piper-en book produced by the flow; lector/review/preview.py, templates/_preview.html)."""

from __future__ import annotations

import json

import pytest

from tests.test_browser import _Server, _wait
from tests.test_review_preview import book, built_book  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _rows(book):  # noqa: F811
    path = book / "build" / "chapters" / "01" / "timeline.json"
    return json.loads(path.read_text(encoding="utf-8"))["sentences"]


def _take_seconds(book, key: str) -> float:  # noqa: F811
    import soundfile

    info = soundfile.info(str(book / "build" / "cache" / key[:2] / f"{key}.flac"))
    return info.frames / info.samplerate


def test_edit_preview_accept_restore_in_chromium(browser, book):  # noqa: F811
    from selenium.webdriver.common.by import By

    from lector.review.app import create_app

    rows = _rows(book)
    sid, old_key = rows[1]["id"], rows[1]["cache_key"]
    master = book / "build" / "chapters" / "01" / "master.json"
    master_before = master.read_bytes()
    with _Server(create_app(book)) as base:
        browser.get(f"{base}/chapters/1")
        row = browser.find_element(By.ID, f"s-{sid}")
        field = row.find_element(By.CSS_SELECTOR, ".pv-text")
        field.clear()
        field.send_keys("The first sentence is right here.")
        row.find_element(By.CSS_SELECTOR, "button.pv-edit").click()
        player = _wait(
            lambda: [
                a
                for a in browser.find_elements(By.CSS_SELECTOR, f"#s-{sid} .pv-audio")
                if (a.get_attribute("src") or "").startswith(f"{base}/audio/takes/")
            ],
            timeout=60,
            what="the preview take",
        )[0]
        new_key = player.get_attribute("src").rsplit("/", 1)[1]
        assert new_key != old_key
        # the page shows the new text without a reload; the book is unchanged until accepted
        assert (
            browser.find_element(By.CSS_SELECTOR, f"#s-{sid} .text").text
            == "The first sentence is right here."
        )
        assert _rows(book)[1]["cache_key"] == old_key
        duration = _wait(
            lambda: browser.execute_script("return arguments[0].duration || 0;", player),
            timeout=15,
            what="the preview take decoded by the browser",
        )
        assert abs(duration - _take_seconds(book, new_key)) < 0.05

        browser.find_element(By.CSS_SELECTOR, f"#s-{sid} button.pv-accept-btn").click()
        new_row = _wait(
            lambda: list(browser.find_elements(By.CSS_SELECTOR, "li.sentence.accepted")),
            timeout=60,
            what="the accepted row",
        )[0]
        new_id = new_row.get_attribute("data-id")
        assert (new_id != sid, _rows(book)[1]["cache_key"], _rows(book)[1]["id"]) == (True, new_key, new_id)
        assert master.read_bytes() != master_before
        assert new_row.find_element(By.CSS_SELECTOR, ".text").text == "The first sentence is right here."

        new_row.find_element(By.CSS_SELECTOR, ".take-history summary").click()
        items = _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{new_id} .take-item"),
            timeout=15,
            what="the take list",
        )
        assert [i.get_attribute("class") for i in items] == ["take-item chosen", "take-item"]
        # A/B: the two takes in the compare player
        items[0].find_element(By.CSS_SELECTOR, "button.set-a").click()
        items[1].find_element(By.CSS_SELECTOR, "button.set-b").click()
        browser.find_element(By.CSS_SELECTOR, f"#s-{new_id} button.ab-b").click()
        ab = browser.find_element(By.CSS_SELECTOR, f"#s-{new_id} .ab-audio")
        assert ab.get_attribute("src") == f"{base}/audio/takes/{old_key}"
        browser.find_element(By.CSS_SELECTOR, f"#s-{new_id} button.ab-a").click()
        assert ab.get_attribute("src") == f"{base}/audio/takes/{new_key}"

        items[1].find_element(By.CSS_SELECTOR, "button.restore").click()
        _wait(lambda: browser.find_elements(By.ID, f"s-{sid}"), timeout=60, what="the restored row")
        assert (_rows(book)[1]["id"], _rows(book)[1]["cache_key"]) == (sid, old_key)
        assert browser.find_element(By.CSS_SELECTOR, f"#s-{sid} .text").text == "The first sentence is here."
        assert (book / "manuscript" / "01.md").read_text(
            "utf-8"
        ) == "# One\n\nThe first sentence is here. The second one follows.\n"


def test_queue_filters_and_chapter_approval_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from lector.review.app import create_app
    from tests.test_review import make_review_project

    project = make_review_project(tmp_path)
    with _Server(create_app(project)) as base:
        browser.get(f"{base}/")
        browser.find_element(By.ID, "queue-link").click()
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".queue-item"), what="the queue")
        assert len(browser.find_elements(By.CSS_SELECTOR, ".queue-item")) == 3
        Select(browser.find_element(By.NAME, "kind")).select_by_visible_text("internal-silence")
        browser.find_element(By.CSS_SELECTOR, ".filters button").click()
        _wait(lambda: "kind=internal-silence" in browser.current_url, what="the filtered queue")
        items = browser.find_elements(By.CSS_SELECTOR, ".queue-item")
        assert [i.get_attribute("data-id") for i in items] == ["000000000002"]
        assert browser.find_element(By.CSS_SELECTOR, ".queue-count").text == "1 sentence(s) to look at"
        browser.find_element(By.CSS_SELECTOR, "#progress-1 input[name=editor]").send_keys("Ada")
        browser.find_element(By.CSS_SELECTOR, "#progress-1 .chapter-approve button").click()
        badge = _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, "#progress-1 .approval"), what="approval"
        )[0]
        assert badge.text.startswith("approved by Ada · ")
