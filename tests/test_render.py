"""render_sentences: cache hits/misses, batching, fallback, draft routing (fake engines only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from lector.core.cache import LocalStore
from lector.core.casting import ResolvedVoice, VoiceResolver, invalid_audio
from lector.core.engines.base import Capabilities, SynthRequest, VoiceInfo
from lector.core.engines.fake import FakeEngine
from lector.core.errors import EngineError, EngineUnavailable
from lector.core.model import Sentence, Span
from lector.core.project import load_project
from lector.core.render import cached_report, render_sentences


class ToneEngine:
    """Tiny engine: a tone whose length follows the text; records its batches; can misbehave."""

    def __init__(self, engine_id: str, *, batchable: bool = True, mode: str = "ok") -> None:
        self.capabilities = Capabilities(
            engine_id=engine_id,
            version="3",
            languages=("zh", "en"),
            sample_rate=16000,
            max_chars=500,
            emotions=("neutral",),
            emotion_method="none",
            accepts_phonemes=False,
            seedable=True,
            batchable=batchable,
        )
        self.mode = mode
        self.batches: list[list[str]] = []

    def voices(self) -> tuple[VoiceInfo, ...]:
        return (VoiceInfo("any", "zh"),)

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[np.ndarray]:
        self.batches.append([r.sentence_id for r in requests])
        if self.mode == "raise":
            raise EngineError(f"{self.capabilities.engine_id} exploded", fix="none")
        if self.mode == "down":
            raise EngineUnavailable("server down", fix="start it")
        if self.mode == "die-after-2" and len(self.batches) > 2:
            raise KeyboardInterrupt
        bad = {"nan": np.float32("nan"), "silent": np.float32(0.0)}
        out = []
        for r in requests:
            x = (0.3 * np.sin(np.arange(800 + 100 * len(r.spoken)) * 0.1)).astype(np.float32)
            if self.mode in bad:
                x[:] = bad[self.mode]
            out.append(x.astype(np.float64) if self.mode == "float64" else x)
        return out


def _sentence(
    n: int, text: str | None = None, voice: str = "narrator", lang: str = "en", emotion: str = "neutral"
) -> Sentence:
    text = text or f"Sentence number {n}."
    return Sentence(
        id=f"s{n:03d}",
        text=text,
        spans=(Span(text, text, lang),),
        lang=lang,
        voice=voice,
        emotion=emotion,
        seed=100 + n,
    )


class Factory:
    def __init__(self, **engines: ToneEngine) -> None:
        self.engines = engines
        self.calls: list[str] = []

    def __call__(self, engine_id: str):
        self.calls.append(engine_id)
        if engine_id == "fake":
            return FakeEngine()
        if engine_id not in self.engines:
            self.engines[engine_id] = ToneEngine(engine_id)
        return self.engines[engine_id]


def _resolver(factory: Factory, **extra: ResolvedVoice) -> VoiceResolver:
    voices = {"narrator": ResolvedVoice("narrator", "main", "any", "en"), **extra}
    return VoiceResolver(voices, factory)


def test_render_twice_then_edit_one(tmp_path):
    store = LocalStore(tmp_path / "cache")
    sentences = [_sentence(i) for i in range(5)]
    first = render_sentences(sentences, _resolver(Factory()), store)
    assert (first.synthesized, first.cached) == (5, 0)
    assert [r.sentence_id for r in first.results] == [s.id for s in sentences]
    assert all(r.synthesized and r.error is None and r.fallback_from is None for r in first.results)
    assert first.results[0].engine_id == "main"
    assert first.results[0].engine_version == "3"
    assert first.results[0].sample_rate == 16000
    assert first.results[0].duration_s == (800 + 100 * len("Sentence number 0.")) / 16000
    second = render_sentences(sentences, _resolver(Factory()), store)
    assert (second.synthesized, second.cached) == (0, 5)
    assert [r.cache_key for r in second.results] == [r.cache_key for r in first.results]
    edited = list(sentences)
    edited[2] = _sentence(2, "An edited sentence.")
    third = render_sentences(edited, _resolver(Factory()), store)
    assert (third.synthesized, third.cached) == (1, 4)
    assert [r.synthesized for r in third.results] == [False, False, True, False, False]
    assert second.engine_versions == (("main", "3"),)


def test_misses_batched_per_engine_voice(tmp_path):
    factory = Factory(main=ToneEngine("main"), solo=ToneEngine("solo", batchable=False))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "solo", "any", "en"))
    sentences = [_sentence(i, voice="hero" if i in (1, 3) else "narrator") for i in range(6)]
    store = LocalStore(tmp_path)
    render_sentences(sentences[:1], resolver, store)
    factory.engines["main"].batches.clear()
    report = render_sentences(sentences, resolver, store, batch_size=2)
    assert (report.synthesized, report.cached) == (5, 1)
    assert factory.engines["main"].batches == [["s002", "s004"], ["s005"]]
    assert factory.engines["solo"].batches == [["s001"], ["s003"]]


@pytest.mark.parametrize("mode", ["raise", "down", "nan", "silent", "float64"])
def test_fallback_voice_when_engine_fails(tmp_path, mode):
    factory = Factory(bad=ToneEngine("bad", mode=mode))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "bad", "any", "en", fallback="narrator"))
    sentences = [_sentence(0, voice="hero"), _sentence(1), _sentence(2, voice="hero")]
    report = render_sentences(sentences, resolver, LocalStore(tmp_path))
    hero = report.results[0]
    assert hero.fallback_from == "hero"
    assert hero.engine_id == "main"
    assert hero.error.startswith("bad: ")
    assert hero.synthesized is True
    assert report.fallbacks == ("s000", "s002")
    assert report.failed == ()
    assert report.results[1].fallback_from is None
    assert (report.synthesized, report.cached) == (3, 0)


def test_failed_batch_retried_one_by_one_unless_unreachable(tmp_path):
    factory = Factory(bad=ToneEngine("bad", mode="raise"))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "bad", "any", "en"))
    render_sentences([_sentence(i, voice="hero") for i in range(3)], resolver, LocalStore(tmp_path))
    assert factory.engines["bad"].batches == [["s000", "s001", "s002"], ["s000"], ["s001"], ["s002"]]
    factory = Factory(bad=ToneEngine("bad", mode="down"))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "bad", "any", "en"))
    render_sentences([_sentence(i, voice="hero") for i in range(3)], resolver, LocalStore(tmp_path / "b"))
    assert factory.engines["bad"].batches == [["s000", "s001", "s002"]]


def test_no_implicit_fallback_without_a_declared_one(tmp_path):
    """A voice without ``fallback`` is never spoken by another engine (no embedded voice, no espeak):
    the sentence has no audio and carries the engine's error."""
    factory = Factory(bad=ToneEngine("bad", mode="raise"))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "bad", "any", "zh"))
    report = render_sentences([_sentence(0, voice="hero", lang="zh")], resolver, LocalStore(tmp_path))
    r = report.results[0]
    assert (r.cache_key, r.engine_id, r.sample_rate, r.duration_s, r.synthesized) == ("", "", 0, 0.0, False)
    assert r.error == "bad: bad exploded — fix: none"
    assert report.failed == ("s000",)
    assert report.fallbacks == ()
    assert factory.calls == ["bad"]


def test_declared_chain_then_total_failure(tmp_path):
    factory = Factory(**{k: ToneEngine(k, mode="raise") for k in ("bad", "worse")})
    resolver = _resolver(
        factory,
        hero=ResolvedVoice("hero", "bad", "any", "en", fallback="backup"),
        backup=ResolvedVoice("backup", "worse", "any", "en"),
    )
    report = render_sentences([_sentence(0, voice="hero")], resolver, LocalStore(tmp_path / "x"))
    r = report.results[0]
    assert (r.cache_key, r.sample_rate, r.duration_s, r.synthesized) == ("", 0, 0.0, False)
    assert r.error == "bad: bad exploded — fix: none; worse: worse exploded — fix: none"
    assert report.failed == ("s000",)
    assert sorted(factory.calls) == ["bad", "worse"]


def test_unknown_cast_voice_has_no_fallback(tmp_path):
    report = render_sentences([_sentence(0, voice="ghost")], _resolver(Factory()), LocalStore(tmp_path))
    r = report.results[0]
    assert (r.cache_key, r.engine_id) == ("", "")
    assert r.error == "[voices.ghost]: unknown cast voice 'ghost' — fix: use one of: narrator"
    assert report.failed == ("s000",)


def test_draft_render_has_no_fallback_chain():
    resolver = _resolver(Factory(), hero=ResolvedVoice("hero", "bad", "any", "en", fallback="narrator"))
    assert resolver.fallbacks("hero", "en") == (ResolvedVoice("narrator", "main", "any", "en"),)
    assert resolver.as_draft().fallbacks("hero", "en") == ()
    assert resolver.fallbacks("narrator", "en") == ()


def test_killed_render_keeps_finished_sentences(tmp_path):
    store = LocalStore(tmp_path)
    factory = Factory(main=ToneEngine("main", batchable=False, mode="die-after-2"))
    sentences = [_sentence(i) for i in range(4)]
    with pytest.raises(KeyboardInterrupt):
        render_sentences(sentences, _resolver(factory), store)
    report = render_sentences(sentences, _resolver(Factory()), store)
    assert (report.synthesized, report.cached) == (2, 2)
    assert [r.synthesized for r in report.results] == [False, False, True, True]


def test_corrupt_cache_entry_is_rerendered(tmp_path):
    store = LocalStore(tmp_path)
    sentences = [_sentence(i) for i in range(3)]
    first = render_sentences(sentences, _resolver(Factory()), store)
    store.path_for(first.results[1].cache_key).write_bytes(b"fLaC\x00\x00broken")
    report = render_sentences(sentences, _resolver(Factory()), store)
    assert (report.synthesized, report.cached) == (1, 2)
    assert report.results[1].synthesized is True


def test_draft_routes_to_espeak_with_voice_language(tmp_path):
    factory = Factory()
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "main", "any", "zh", speed=1.2))
    sentences = [_sentence(0), _sentence(1, voice="hero", lang="zh", emotion="sad")]
    report = render_sentences(sentences, resolver, LocalStore(tmp_path), draft=True)
    assert [(r.engine_id, r.voice) for r in report.results] == [
        ("espeak-draft", "en"),
        ("espeak-draft", "zh"),
    ]
    assert "main" not in factory.calls
    normal = render_sentences(sentences[:1], resolver, LocalStore(tmp_path))
    assert normal.results[0].cache_key != report.results[0].cache_key


def test_with_registry_fake_engine_and_project(tmp_path):
    (tmp_path / "project.toml").write_text(
        '[book]\ntitle = "T"\nlanguage = "en"\n\n[voices.narrator]\nengine = "fake"\nvoice = "tone-en"\n'
        'lang = "en"\nspeed = 1.1\n',
        encoding="utf-8",
    )
    project = load_project(tmp_path)
    resolver = VoiceResolver.from_project(project)
    assert resolver.voice("narrator") == ResolvedVoice("narrator", "fake", "tone-en", "en", 1.1, 1.0, None)
    store = LocalStore(project.build_dir / "cache")
    sentences = [_sentence(i) for i in range(3)]
    report = render_sentences(sentences, resolver, store)
    assert (report.synthesized, report.cached) == (3, 0)
    assert report.results[0].sample_rate == 24000
    assert render_sentences(sentences, VoiceResolver.from_project(project), store).cached == 3
    assert VoiceResolver.from_project(project, draft=True).voice("narrator").engine_id == "espeak-draft"


def test_invalid_audio_reasons():
    assert invalid_audio(np.zeros(10, np.float32)) == "returned silence (peak below -80 dBFS)"
    assert invalid_audio(np.zeros(0, np.float32)) == "returned shape (0,), not non-empty mono"
    assert invalid_audio(np.ones(4, np.float64)) == "returned dtype float64, not float32"
    assert invalid_audio(np.array([0.5, np.inf], np.float32)) == "returned NaN or infinite samples"
    assert invalid_audio([0.5]) == "returned list, not a numpy array"
    assert invalid_audio(np.full(4, 0.5, np.float32)) is None


def test_unreachable_engine_is_not_called_again_in_the_same_render(tmp_path):
    factory = Factory(bad=ToneEngine("bad", batchable=False, mode="down"))
    resolver = _resolver(factory, hero=ResolvedVoice("hero", "bad", "any", "en", fallback="narrator"))
    report = render_sentences([_sentence(i, voice="hero") for i in range(4)], resolver, LocalStore(tmp_path))
    assert factory.engines["bad"].batches == [["s000"]]
    assert [r.engine_id for r in report.results] == ["main"] * 4
    assert all(r.error == "bad: server down — fix: start it" for r in report.results)


def test_fifo_turns_are_granted_in_arrival_order():
    import threading
    import time

    from lector.core.render import _FifoTurn

    turn, order, started = _FifoTurn(), [], []
    turn.__enter__()  # held: the others queue behind it

    def worker(n: int) -> None:
        started.append(n)
        with turn:
            order.append(n)

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=worker, args=(n,)))
        threads[-1].start()
        while len(started) <= n:  # arrive one after the other
            time.sleep(0.001)
        time.sleep(0.02)
    turn.__exit__(None, None, None)
    for th in threads:
        th.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_cached_report_only_when_every_take_is_cached(tmp_path):
    store = LocalStore(tmp_path / "cache")
    sentences = [_sentence(i) for i in range(3)]
    factory = Factory()
    assert cached_report(sentences, _resolver(factory), store) is None
    rendered = render_sentences(sentences, _resolver(factory), store)
    assert cached_report(sentences, _resolver(factory), store) == render_sentences(
        sentences, _resolver(factory), store
    )  # what a render of it reports
    assert (
        cached_report(sentences, _resolver(factory), store).results[1].cache_key
        == rendered.results[1].cache_key
    )
    assert cached_report([*sentences[:2], _sentence(9)], _resolver(factory), store) is None
    assert cached_report([_sentence(1, voice="nobody")], _resolver(factory), store) is None
    assert factory.engines["main"].batches == [["s000", "s001", "s002"]]  # a probe never synthesizes
