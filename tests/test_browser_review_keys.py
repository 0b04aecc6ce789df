"""In Chromium: the chapter's loudness curve and waveforms, the keyboard shortcuts and pronunciation
from the page (static/wave.js, static/review.js; routes_waveform.py, routes_pronounce.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.test_browser import _Server, _wait
from tests.test_review import RATE, make_review_project

pytestmark = pytest.mark.browser
IDS = [f"{n:012x}" for n in range(3)]


def _tone(amplitude: float) -> np.ndarray:
    t = np.arange(int(1.2 * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _js(browser, script: str):
    return browser.execute_script(script)


def _current(browser) -> str | None:
    return _js(
        browser, "var c = document.querySelector('.sentence.current'); return c ? c.dataset.id : null;"
    )


def _key(browser, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(key).perform()


def _toast(browser) -> str:
    return _wait(
        lambda: _js(
            browser, "var t = document.getElementById('toast'); return t.hidden ? '' : t.textContent;"
        ),
        what="a message",
    )


def test_levels_keys_and_pronunciation_in_chromium(browser, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    from lector.review.app import create_app

    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    # sentence 2 is too loud for ACX (RMS -16.99 dBFS); 1 and 3 sit at -20.0
    project = make_review_project(tmp_path, audio=[_tone(0.1414), _tone(0.2), _tone(0.1414)])
    with _Server(create_app(project)) as base:
        browser.get(f"{base}/chapters/1")
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#levels.ready"), what="the levels")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#levels-chart svg polyline.curve")) == 1
        assert len(browser.find_elements(By.CSS_SELECTOR, ".wave svg path.bars")) == 3
        badges = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".wave .level")]
        assert badges == [
            "-20.0 dBFS RMS · peak -17.0 dBFS",
            "-17.0 dBFS RMS · peak -14.0 dBFS",
            "-20.0 dBFS RMS · peak -17.0 dBFS",
        ]
        assert ["level-bad" in browser.find_element(By.ID, f"s-{i}").get_attribute("class") for i in IDS] == [
            False,
            True,
            False,
        ]
        assert "against ACX: level -23…-18 dBFS RMS" in browser.find_element(By.ID, "levels-legend").text
        shots = Path(os.environ.get("LECTOR_SCREENSHOT_DIR", tmp_path))
        browser.save_screenshot(str(shots / "chapter-levels.png"))

        # clicking the second waveform halfway plays from the middle of sentence 2
        wave = browser.find_element(By.CSS_SELECTOR, f"#s-{IDS[1]} .wave-svg")
        start = float(browser.find_element(By.ID, f"s-{IDS[1]}").get_attribute("data-start"))
        _js(browser, "document.getElementById('chapter-audio').muted = true;")
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(browser).move_to_element(wave).click().perform()  # the element's centre
        _wait(lambda: _current(browser) == IDS[1], what="playing sentence 2")
        at = _js(browser, "return document.getElementById('chapter-audio').currentTime")
        assert start + 0.5 <= at <= start + 1.2
        _js(browser, "document.getElementById('chapter-audio').pause();")

        # keys: k/j previous/next, space play/pause, n next flag (loudness), a approve
        browser.find_element(By.TAG_NAME, "h1").click()  # focus leaves the waveform
        _key(browser, "k")
        _wait(lambda: _current(browser) == IDS[0], what="k to sentence 1")
        _key(browser, " ")
        _wait(lambda: _js(browser, "return document.getElementById('chapter-audio').paused"), what="pause")
        _key(browser, " ")
        _wait(lambda: not _js(browser, "return document.getElementById('chapter-audio').paused"), what="play")
        _key(browser, " ")
        _key(browser, "n")
        _wait(lambda: _current(browser) == IDS[1], what="n to the too-loud sentence")
        _key(browser, "a")
        _wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{IDS[1]}.st-approved"), what="approved by key"
        )
        _js(browser, "document.getElementById('chapter-audio').pause();")
        # the replaced row is drawn again
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{IDS[1]} .wave svg"), what="redrawn row")
        _key(browser, "y")
        assert _toast(browser) == "no new take to accept here — re-roll (r) or preview an edit first"
        _key(browser, "?")
        assert browser.find_element(By.ID, "keys-help").get_attribute("open") is not None
        _key(browser, "?")
        assert browser.find_element(By.ID, "keys-help").get_attribute("open") is None

        # typing in a field is not a shortcut
        _key(browser, "j")
        _wait(lambda: _current(browser) == IDS[2], what="j to sentence 3")
        _js(browser, "document.getElementById('chapter-audio').pause();")
        note = browser.find_element(By.CSS_SELECTOR, f"#s-{IDS[2]} form.flag input[name=note]")
        note.send_keys("jkn a")
        assert note.get_attribute("value") == "jkn a"
        assert _current(browser) == IDS[2]
        assert "st-approved" not in browser.find_element(By.ID, f"s-{IDS[2]}").get_attribute("class")

        # pronunciation from the page: a bad IPA is refused with the reason, a good one is saved
        row = browser.find_element(By.ID, f"s-{IDS[0]}")
        row.find_element(By.CSS_SELECTOR, "details.pron-fix summary").click()
        # the panel is built by the details' toggle event, which fires after the click returns
        _wait(lambda: row.find_elements(By.CSS_SELECTOR, ".pf-word"), what="the pronunciation panel")
        row.find_element(By.CSS_SELECTOR, ".pf-word").send_keys("storm")
        row.find_element(By.CSS_SELECTOR, ".pf-pron").send_keys("st0rm")
        _js(browser, "document.getElementById('toast').hidden = true;")
        row.find_element(By.CSS_SELECTOR, ".pf-save").click()
        assert _toast(browser).startswith("unknown IPA symbol(s) '0' in pronunciation 'st0rm' of 'storm'")
        assert not (project / "lexicon.tsv").exists()
        pron = row.find_element(By.CSS_SELECTOR, ".pf-pron")
        pron.clear()
        pron.send_keys("stˈɔːɹm")
        row.find_element(By.CSS_SELECTOR, ".pf-save").click()
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, f"#s-{IDS[0]}.pending"), what="marked changed")
        assert (project / "lexicon.tsv").read_text(encoding="utf-8") == "storm\tstˈɔːɹm\n"
        listed = browser.find_elements(By.CSS_SELECTOR, f"#s-{IDS[0]} .affected a")
        assert [a.text for a in listed] == ["ch. 1: The storm came in from the west."]
        # the same word for this sentence only: overrides.json, lexicon.tsv untouched
        row = browser.find_element(By.ID, f"s-{IDS[0]}")
        _wait(lambda: row.find_elements(By.CSS_SELECTOR, "select.pf-scope"), what="the panel, opened again")
        row.find_element(By.CSS_SELECTOR, "select.pf-scope option[value=sentence]").click()
        row.find_element(By.CSS_SELECTOR, ".pf-word").send_keys("storm")
        row.find_element(By.CSS_SELECTOR, ".pf-pron").send_keys("stˈɔːm")
        _js(browser, "document.getElementById('toast').hidden = true;")
        row.find_element(By.CSS_SELECTOR, ".pf-save").click()
        assert _toast(browser).startswith("overrides.json (this sentence only): storm → stˈɔːm")
        overrides = json.loads((project / "overrides.json").read_text(encoding="utf-8"))
        assert overrides["pronunciations"] == {IDS[0]: {"storm": "stˈɔːm"}}
        assert (project / "lexicon.tsv").read_text(encoding="utf-8") == "storm\tstˈɔːɹm\n"

        # r: re-roll and hear (this fixture's manuscript does not match its timeline: refused, said so)
        _key(browser, "j")
        _wait(lambda: _current(browser) is not None, what="a current sentence")
        _js(browser, "document.getElementById('chapter-audio').pause();")
        _js(browser, "document.getElementById('toast').hidden = true;")
        _key(browser, "r")
        assert "different number of sentences" in _toast(browser)
        severe = [
            e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
        ]
        assert [
            e for e in severe if "/pronunciation" not in e["message"] and "/preview" not in e["message"]
        ] == []
