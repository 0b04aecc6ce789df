"""Plan-time checks of the cast against its engines, so nothing is left to a render-time fallback.

``check_cast`` refuses, with "did you mean", a cast entry whose engine id is unknown, whose engine
voice is not one the engine has, or whose ``lang`` the engine cannot speak. ``check_sentences``
refuses a sentence with text in a language its voice's engine cannot read, and records a plan
warning for an emotion the engine cannot realise (it is spoken neutrally). Engines that cannot be
loaded on this machine (a remote server with no URL, an optional package not installed) are not
checked here; the render then fails loudly with the engine's own error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import ConfigError, LectorError, TagError, did_you_mean
from .model import Plan, Sentence
from .planwarn import add_warning
from .project import Project, toml_line


def listing(choices: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(choices[:limit])
    return shown + (f" … (+{len(choices) - limit}, see `lector engines`)" if len(choices) > limit else "")


@dataclass(frozen=True)
class EngineFacts:
    """What the checks need from a loaded engine."""

    languages: tuple[str, ...]  # what a cast voice of it may be (capabilities.languages)
    reads: tuple[str, ...]  # span languages it accepts inside a sentence (``span_languages``)
    emotions: tuple[str, ...]
    voices: tuple[str, ...]  # empty: the engine accepts any voice name (a server's own ids)


def engine_facts(project: Project) -> dict[str, EngineFacts | None]:
    """Engine id -> its facts, for every engine the cast uses; None when it cannot be loaded here.
    Unknown engine ids raise ConfigError naming the cast entry."""
    from .casting import VoiceResolver
    from .engines.registry import known_engines

    known = known_engines()
    resolver = VoiceResolver.from_project(project)
    facts: dict[str, EngineFacts | None] = {}
    for name, spec in project.config.voices.items():
        if spec.engine not in known:
            raise _cast_error(
                project,
                name,
                "engine",
                f"engine {spec.engine!r} is not a Lector engine{did_you_mean(spec.engine, known)}",
                f"use one of: {', '.join(known)}",
            )
        if spec.engine in facts:
            continue
        try:
            engine = resolver.engine(spec.engine)
            open_voices = getattr(engine, "open_voices", False)
            voices = () if open_voices else tuple(v.voice_id for v in engine.voices())
            caps = engine.capabilities
            reads = tuple(getattr(engine, "span_languages", caps.languages))
            facts[spec.engine] = EngineFacts(tuple(caps.languages), reads, tuple(caps.emotions), voices)
        except (LectorError, OSError, ImportError):
            facts[spec.engine] = None  # not loadable here: the render reports it
    return facts


def check_cast(project: Project, facts: dict[str, EngineFacts | None]) -> None:
    """Each cast entry's engine voice and language exist on its engine (ConfigError otherwise)."""
    for name, spec in project.config.voices.items():
        f = facts.get(spec.engine)
        if f is None:
            continue
        if f.voices and spec.voice != "default" and spec.voice not in f.voices:
            raise _cast_error(
                project,
                name,
                "voice",
                f"engine {spec.engine} has no voice {spec.voice!r}{did_you_mean(spec.voice, f.voices)}",
                f"use one of: default, {listing(f.voices)}",
            )
        if f.languages and spec.lang not in f.languages:
            raise _cast_error(
                project,
                name,
                "lang",
                f"engine {spec.engine} cannot speak lang {spec.lang!r}"
                f" (it speaks {listing(f.languages)}){did_you_mean(spec.lang, f.languages)}",
                "set lang to one the engine speaks, or cast an engine for that language",
            )


def check_sentences(project: Project, plan: Plan, facts: dict[str, EngineFacts | None]) -> None:
    """Every sentence's text is in a language its voice's engine reads (TagError naming the
    sentence's source otherwise); emotions the engine cannot realise become plan warnings."""
    voices = project.config.voices
    cast_langs = {spec.lang.split("-")[0].lower() for spec in voices.values()}
    unrealised: dict[tuple[str, str, str], list[Sentence]] = {}
    for chapter in plan.chapters:
        for s in chapter.sentences:
            spec = voices.get(s.voice)
            f = facts.get(spec.engine) if spec is not None else None
            if spec is None or f is None:
                continue
            langs = {sp.lang for sp in s.spans if sp.spoken.strip()}
            bad = sorted(langs - set(f.reads))
            if langs & set(f.reads):  # a mixed sentence: runs in another cast voice's language go to it
                bad = [lang for lang in bad if lang.split("-")[0].lower() not in cast_langs]  # (mixed_render)
            if f.reads and bad:
                raise TagError(
                    f"sentence {s.id} has {bad[0]!r} text that voice {s.voice!r} ({spec.engine}, "
                    f"reads {listing(f.reads)}) cannot read: {s.text[:80]!r}",
                    file=s.source or chapter.source or None,
                    field=f"voices.{s.voice}",
                    fix=f"cast a voice for {bad[0]!r} on that text ([[voice:NAME]] with an engine that "
                    f"speaks it, e.g. espeak-draft for a draft), or correct its language tag",
                )
            if s.emotion not in f.emotions:
                unrealised.setdefault((s.voice, spec.engine, s.emotion), []).append(s)
    for (voice, engine, emotion), sentences in unrealised.items():
        add_warning(
            "emotion",
            f"{len(sentences)} sentence(s) of voice {voice!r} ask for emotion "
            f"{emotion!r}, which {engine} cannot realise: spoken neutral (first: {sentences[0].id})",
            sentences[0].source,
        )


def check_plan_voices(project: Project, plan: Plan) -> None:
    """check_cast + check_sentences (what build_plan runs)."""
    facts = engine_facts(project)
    check_cast(project, facts)
    check_sentences(project, plan, facts)


def _cast_error(project: Project, name: str, key: str, message: str, fix: str) -> ConfigError:
    toml_path = project.root / "project.toml"
    return ConfigError(
        message,
        file=toml_path,
        line=toml_line(toml_path, ("voices", name, key)),
        field=f"voices.{name}.{key}",
        fix=fix,
    )
