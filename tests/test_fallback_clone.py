"""End to end: a narrator cloned with gpt-sovits (local contract server) whose server is
stopped mid-render; the render completes, the remaining sentences come from the fallback
voice, marked ``fallback_from`` and flagged with the error."""

from __future__ import annotations

import soundfile as sf

from lector.core.cache import LocalStore
from lector.core.casting import VoiceResolver
from lector.core.model import Sentence, Span
from lector.core.project import load_project
from lector.core.render import render_sentences
from lector.core.voices.store import add_clip, voices_dir

from .servers import gpt_sovits_server
from .servers.harness import Faults, ServerThread
from .servers.speech import speak

CLIP_TEXT = "The old lighthouse keeper climbed the stairs every evening, counting every step."
LINES = (
    "The storm came in from the west.",
    "Nobody on the island slept that night.",
    "By morning the boats were gone.",
    "Only the keeper knew where they went.",
    "He never told a soul.",
)


class StopAfter(LocalStore):
    """The real cache store; after ``n`` writes it stops the server (synchronously)."""

    def __init__(self, root, n: int, server: ServerThread) -> None:
        super().__init__(root)
        self.n, self.server, self.writes = n, server, 0

    def write(self, key, audio, sample_rate) -> None:
        super().write(key, audio, sample_rate)
        self.writes += 1
        if self.writes == self.n:
            self.server.stop()


def make_project(root, url: str):
    (root / "manuscript").mkdir(parents=True)
    (root / "project.toml").write_text(
        f"""
[book]
title = "Storm"
language = "en"

[voices.narrator]
engine = "gpt-sovits"
voice = "ada"
lang = "en"
fallback = "backup"

[voices.backup]
engine = "piper-en"
voice = "default"
lang = "en"

[engines.gpt-sovits]
url = "{url}"
voices_dir = "{root / "voices"}"
retries = 1
timeout_s = 10
""",
        encoding="utf-8",
    )
    clip = root / "clip.wav"
    sf.write(clip, speak(CLIP_TEXT, "en", 22050), 22050)
    add_clip(voices_dir(root), "ada", clip, CLIP_TEXT, engine="gpt-sovits", lang="en", check_speaker=False)
    return load_project(root)


def sentences() -> list[Sentence]:
    return [
        Sentence(id=f"s{i:02d}", text=t, spans=(Span(t, t, "en"),), lang="en", voice="narrator", seed=100 + i)
        for i, t in enumerate(LINES)
    ]


def test_server_stopped_mid_render_falls_back_and_completes(tmp_path, monkeypatch):
    monkeypatch.delenv("LECTOR_GPT_SOVITS_URL", raising=False)
    faults = Faults()
    server = ServerThread(gpt_sovits_server.make_app(faults)).start()
    try:
        project = make_project(tmp_path / "storm", server.url)
        store = StopAfter(tmp_path / "cache", 2, server)
        report = render_sentences(sentences(), VoiceResolver.from_project(project), store)
    finally:
        server.stop()
    results = report.results
    assert [r.engine_id for r in results] == ["gpt-sovits"] * 2 + ["piper-en"] * 3
    assert [r.fallback_from for r in results] == [None, None, "narrator", "narrator", "narrator"]
    assert report.fallbacks == ("s02", "s03", "s04")
    assert report.failed == ()
    assert (report.synthesized, report.cached) == (5, 0)
    assert faults.calls == 2
    assert [req["seed"] for req in faults.requests] == [100, 101]
    for r in results[2:]:
        assert (
            f"gpt-sovits server at {server.url}/tts failed after 2 attempt(s): connection failed" in r.error
        )
    assert all(r.error is None for r in results[:2])
    assert [r.sample_rate for r in results] == [32000, 32000, 22050, 22050, 22050]
    for r in results:
        audio, rate = store.read(r.cache_key)
        assert rate == r.sample_rate
        assert audio.size / rate == r.duration_s
