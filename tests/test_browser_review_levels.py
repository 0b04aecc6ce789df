"""In Chromium: paragraph waveforms and levels on the chapter page, the loudness view of the offline
bundle, and "Hear word" playing the word alone (static/wave.js; routes_waveform.py, bundle.py,
routes_pronounce.py with the espeak-draft engine)."""

from __future__ import annotations

import json

import pytest
import soundfile as sf

from tests.test_browser import _Server, _wait
from tests.test_browser_review_keys import _toast
from tests.test_review import make_review_project
from tests.test_review_levels_paragraphs import IDS, with_paragraphs

pytestmark = pytest.mark.browser


def _js(browser, script: str, *args):
    return browser.execute_script(script, *args)


def test_paragraph_waveforms_and_levels_in_chromium(browser, tmp_path, monkeypatch):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from lector.review.app import create_app

    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    project = with_paragraphs(make_review_project(tmp_path))
    with _Server(create_app(project)) as base:
        browser.get(f"{base}/chapters/1")
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#levels.ready"), what="the levels")
        paras = browser.find_elements(By.CSS_SELECTOR, ".para-wave")
        # each paragraph's strip sits above its first sentence
        assert [p.find_element(By.XPATH, "..").get_attribute("id") for p in paras] == [
            f"s-{IDS[0]}",
            f"s-{IDS[2]}",
        ]
        assert [p.find_element(By.CSS_SELECTOR, ".para-label").text for p in paras] == [
            "¶ 1 · 2 sentences",
            "¶ 2 · 1 sentence",
        ]
        assert [p.find_element(By.CSS_SELECTOR, ".level").text for p in paras] == [
            "-17.8 dBFS RMS · peak -14.0 dBFS",
            "-17.0 dBFS RMS · peak -14.0 dBFS",
        ]
        assert ["level-bad" in p.get_attribute("class") for p in paras] == [True, True]
        assert len(paras[0].find_elements(By.CSS_SELECTOR, "svg path.bars")) == 1
        assert len(browser.find_elements(By.CSS_SELECTOR, "#levels-chart svg path.para-tick")) == 1
        assert "· 2 paragraph(s), 2 outside" in browser.find_element(By.ID, "levels-legend").text
        # a click on the paragraph's waveform plays from that moment of the paragraph (0.5 .. 3.4 s)
        _js(browser, "document.getElementById('chapter-audio').muted = true;")
        ActionChains(browser).move_to_element(paras[0].find_element(By.CSS_SELECTOR, "svg")).click().perform()
        at = _wait(
            lambda: _js(
                browser,
                "var a = document.getElementById('chapter-audio'); return a.paused ? 0 : a.currentTime;",
            ),
            what="playing from the paragraph",
        )
        assert 1.5 <= at <= 2.9
        _js(browser, "document.getElementById('chapter-audio').pause();")


def test_bundle_shows_the_loudness_view_offline(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from lector.review.bundle import export_bundle

    project = with_paragraphs(make_review_project(tmp_path))
    page = export_bundle(project).parent / "chapter-01.html"
    browser.get(page.as_uri())
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#levels.ready"), what="the bundle's levels")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#levels-chart svg polyline.curve")) == 1
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".wave > .level")] == [
        "-17.0 dBFS RMS · peak -14.0 dBFS"
    ] * 3
    assert len(browser.find_elements(By.CSS_SELECTOR, ".para-wave svg path.bars")) == 2
    assert "against ACX" in browser.find_element(By.ID, "levels-legend").text
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_hear_word_plays_the_word_alone_in_chromium(browser, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    from lector.review.app import create_app
    from tests.conftest import write_tiny_project

    monkeypatch.setenv("LECTOR_REVIEW_WARM", "0")
    root = write_tiny_project(tmp_path / "tiny", engine="espeak-draft", cover=False)
    app = create_app(root)
    with _Server(app) as base:
        app.state.ctx.previews.render_chapter(1)
        rows = json.loads((root / "build/chapters/01/timeline.json").read_text(encoding="utf-8"))["sentences"]
        sid = rows[1]["id"]  # The first sentence is here.
        browser.get(f"{base}/chapters/1")
        row = browser.find_element(By.ID, f"s-{sid}")
        row.find_element(By.CSS_SELECTOR, "details.pron-fix summary").click()
        word = _wait(
            lambda: row.find_elements(By.CSS_SELECTOR, '.words .word[data-word="first"]'), what="the words"
        )[0]
        word.click()
        assert row.find_element(By.CSS_SELECTOR, ".pf-word").get_attribute("value") == "first"
        pron = row.find_element(By.CSS_SELECTOR, ".pf-pron")
        pron.clear()
        pron.send_keys("f0rst")
        row.find_element(By.CSS_SELECTOR, ".pf-word-hear").click()
        assert _toast(browser).startswith("unknown IPA symbol(s) '0' in pronunciation 'f0rst' of 'first'")
        assert row.find_elements(By.CSS_SELECTOR, "audio.pf-word-audio") == []

        _js(browser, "document.getElementById('toast').hidden = true;")
        pron.clear()
        pron.send_keys("fˈɜːst")
        row.find_element(By.CSS_SELECTOR, ".pf-word-hear").click()
        assert _toast(browser) == "first read fˈɜːst — not saved yet"
        player = _wait(lambda: row.find_elements(By.CSS_SELECTOR, "audio.pf-word-audio"), what="the player")[
            0
        ]
        key = player.get_attribute("src").rsplit("/", 1)[1]
        take = sf.info(str(root / "build/cache" / key[:2] / f"{key}.flac"))
        whole = sf.info(str(root / "build/cache" / rows[1]["cache_key"][:2] / f"{rows[1]['cache_key']}.flac"))
        assert take.duration < whole.duration / 2  # the word alone, not its sentence
        duration = _wait(lambda: _js(browser, "return arguments[0].duration || 0;", player), what="decoded")
        assert abs(duration - take.duration) < 0.05
        _wait(
            lambda: _js(browser, "return arguments[0].ended || arguments[0].currentTime > 0;", player),
            what="the word playing",
        )
    assert not (root / "lexicon.tsv").exists()
