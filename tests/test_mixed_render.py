"""English inside Chinese (and Chinese inside English): [manuscript] mixed_english wired through
the planner (rules: pinyin tokens) and the renderer (voice: one take, parts by two voices)."""

import numpy as np
import pytest

from lector.core.cache import LocalStore
from lector.core.casting import VoiceResolver
from lector.core.errors import ManuscriptError
from lector.core.mixed_render import (
    GAP_MS,
    active_rms,
    join_parts,
    mix_key,
    mixed_job,
    part_audio,
    part_seed,
    voice_groups,
)
from lector.core.model import PlanWarning
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.core.render import render_sentences

ZH = '[voices.narrator]\nengine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\n'
EN = '[voices.english]\nengine = "piper-en"\nvoice = "joe"\nlang = "en"\n'
SENTENCE = "我买了一部iPhone 15，GDP增长了3%。"


def _project(root, text: str, voices: str, mode: str = "auto", language: str = "zh"):
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "01.md").write_text(text + "\n", encoding="utf-8")
    (root / "project.toml").write_text(
        f'[book]\ntitle = "T"\nlanguage = "{language}"\nnarrator = "narrator"\n\n{voices}\n'
        f'[manuscript]\nmixed_english = "{mode}"\n',
        encoding="utf-8",
    )
    return load_project(root)


def _only_sentence(project):
    plan = build_plan(project)
    (sentence,) = plan.chapters[0].sentences
    return plan, sentence


def test_rules_read_english_inside_chinese_with_pinyin(tmp_path):
    plan, s = _only_sentence(_project(tmp_path, SENTENCE, ZH))  # auto, no English voice: rules
    assert [(sp.text, sp.spoken, sp.lang) for sp in s.spans] == [
        ("我买了一部", "我买了一部", "zh"),
        ("iPhone 15，GDP", "iPhone 15，GDP", "zh"),
        ("增长了3%。", "增长了百分之三。", "zh"),
    ]
    assert [(t.text, t.pron) for t in s.spans[1].tokens] == [
        ("iPhone", "ai4 feng1"),
        (" ", ""),
        ("15", "shi2 wu3"),
        ("，", ""),
        ("GDP", "ji4 di4 pi1"),
    ]
    assert s.pronunciation == (
        "wo3 mai3 le5 yi1 bu4 ai4 feng1 shi2 wu3 ji4 di4 pi1 zeng1 zhang3 le5 bai3 fen1 zhi1 san1"
    )
    assert (s.voice, s.lang, plan.warnings) == ("narrator", "zh", ())


def test_rules_warn_about_words_they_can_only_spell(tmp_path):
    plan, s = _only_sentence(_project(tmp_path, "我用Photoshop修图。", ZH + EN, mode="rules"))
    assert (s.spans[1].lang, s.spans[1].tokens[0].pron) == (
        "zh",
        "pi1 ei1 qu1 ou1 ti4 ou1 ei2 si5 ei1 qu1 ou1 pi1",
    )
    assert plan.warnings == (
        PlanWarning(
            "spelled",
            "'Photoshop' spelled letter by letter by the Chinese voice (mixed_english = \"rules\"): "
            'add a lexicon entry, or cast an English voice and set [manuscript] mixed_english = "voice"',
            "manuscript/01.md:1",
        ),
    )


def test_voice_keeps_english_spans_in_one_chinese_sentence(tmp_path):
    plan, s = _only_sentence(_project(tmp_path, SENTENCE, ZH + EN))  # auto with an English voice: voice
    assert [(sp.text, sp.lang) for sp in s.spans] == [
        ("我买了一部", "zh"),
        ("iPhone 15，GDP", "en"),
        ("增长了3%。", "zh"),
    ]
    assert (s.voice, s.lang, plan.warnings) == ("narrator", "zh", ())
    resolve = VoiceResolver.from_project(load_project(tmp_path))
    groups = voice_groups(s, resolve.voice(s.voice), resolve)
    assert [(cast, "".join(sp.text for sp in spans)) for cast, spans in groups] == [
        (None, "我买了一部"),
        ("english", "iPhone 15，GDP"),
        (None, "增长了3%。"),
    ]


def test_chinese_inside_english_goes_to_the_chinese_voice(tmp_path):
    voices = EN.replace("english", "narrator") + ZH.replace("narrator", "mandarin")
    project = _project(tmp_path, "The word 银行 means bank.", voices, language="en")
    _, s = _only_sentence(project)
    assert ([(sp.text, sp.lang) for sp in s.spans], s.voice) == (
        [("The word ", "en"), ("银行 ", "zh"), ("means bank.", "en")],
        "narrator",
    )
    resolve = VoiceResolver.from_project(project)
    groups = voice_groups(s, resolve.voice(s.voice), resolve)
    assert [(cast, "".join(sp.text for sp in spans)) for cast, spans in groups] == [
        (None, "The word "),
        ("mandarin", "银行 "),
        (None, "means bank."),
    ]


def test_text_no_voice_reads_is_still_a_plan_error(tmp_path):
    with pytest.raises(ManuscriptError, match="no cast voice reads hiragana script"):
        build_plan(
            _project(
                tmp_path,
                "I said ありがとう to him.",
                EN.replace("english", "narrator"),
                mode="voice",
                language="en",
            )
        )


def test_part_seeds_are_derived_from_the_sentence_seed():
    assert [part_seed(965185499, k) for k in range(3)] == [part_seed(965185499, k) for k in range(3)]
    assert len({part_seed(965185499, k) for k in range(3)} | {part_seed(965185500, 0)}) == 4
    assert all(0 <= part_seed(s, 1) < 2**31 for s in (0, 1, 2**31 - 1))


def test_join_matches_loudness_and_adds_only_the_gaps():
    rate = 24000
    t = np.arange(rate // 2) / rate
    loud = (0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    quiet = (0.1 * np.sin(2 * np.pi * 330 * t[: rate // 4])).astype(np.float32)
    out = join_parts([loud, quiet, loud], [True, False, True], rate)
    gap = rate * GAP_MS // 1000
    assert out.size == 2 * loud.size + quiet.size + 2 * gap
    middle = out[loud.size + gap + 500 : loud.size + gap + quiet.size - 500]
    assert active_rms(middle, rate) == pytest.approx(active_rms(loud, rate), rel=1e-3)
    assert not out[loud.size : loud.size + gap].any()


def test_voice_render_joins_two_engines_into_one_reproducible_cached_take(tmp_path):
    project = _project(tmp_path / "p", SENTENCE, ZH + EN, mode="voice")
    _, s = _only_sentence(project)
    resolve = VoiceResolver.from_project(project)
    first = render_sentences([s], resolve, LocalStore(tmp_path / "a"))
    again = render_sentences([s], resolve, LocalStore(tmp_path / "a"))
    # a fresh resolver and store make the same bytes
    render_sentences([s], VoiceResolver.from_project(project), LocalStore(tmp_path / "b"))
    (r,) = first.results
    assert (r.ok, r.engine_id, r.sample_rate, first.synthesized, first.fallbacks) == (
        True,
        "fastspeech2-zh+piper-en",
        24000,
        1,
        (),
    )
    assert (again.synthesized, again.cached, again.results[0].cache_key) == (0, 1, r.cache_key)
    a = (tmp_path / "a" / r.cache_key[:2] / f"{r.cache_key}.flac").read_bytes()
    assert (tmp_path / "b" / r.cache_key[:2] / f"{r.cache_key}.flac").read_bytes() == a
    mix = mixed_job(s, resolve.voice(s.voice), resolve, relax=True)
    parts = mix.engine.parts
    assert [(p.voice.engine_id, p.request.spoken, p.request.seed) for p in parts] == [
        ("fastspeech2-zh", "我买了一部", part_seed(s.seed, 0)),
        ("piper-en", "iPhone fifteen，GDP", part_seed(s.seed, 1)),
        ("fastspeech2-zh", "增长了百分之三。", part_seed(s.seed, 2)),
    ]
    assert mix.key == mix_key(parts, 24000) == r.cache_key
    lengths = [part_audio(p, 24000).size for p in parts]
    assert round(r.duration_s * 24000) == sum(lengths) + 2 * (24000 * GAP_MS // 1000)


def test_rules_render_uses_the_chinese_engine_only(tmp_path):
    project = _project(tmp_path / "p", SENTENCE, ZH + EN, mode="rules")
    _, s = _only_sentence(project)
    resolve = VoiceResolver.from_project(project)
    assert mixed_job(s, resolve.voice(s.voice), resolve, relax=True) is None
    report = render_sentences([s], resolve, LocalStore(tmp_path / "a"))
    assert (report.results[0].ok, report.engine_versions) == (True, (("fastspeech2-zh", "1"),))
