"""Sentence drafts -> the plan's :class:`~lector.core.model.Sentence` records: stable ids, seeds,
voices and emotions, with the overrides applied.

This is where a sentence gets its identity, so every rule about ids and seeds lives here
(docs/ARCHITECTURE.md): ``id = sha1(chapter key \\x1f text \\x1f n)[:12]`` with chapter key = source
file name + title; seed precedence is derived < ``[[seed:N]]`` < ``[seeds]`` in project.toml <
``overrides.json``. A sentence's language and default voice are decided here too, since the drafts'
language routing (plan_drafts) must pick the same voice the finished sentence gets.
"""

from __future__ import annotations

import hashlib

from .ingest import RawChapter
from .model import Sentence, Span
from .overrides import Overrides
from .plan_text import Draft, Readability
from .planwarn import add_warning
from .project import Project, ProjectConfig
from .text.lexicon_edit import apply_sentence_readings
from .text.segment import HAN_WEIGHT, is_han


def sentence_id(chapter_key: str, text: str, occurrence: int) -> str:
    """First 12 hex of sha1(chapter key \\x1f whitespace-normalised text \\x1f n)."""
    norm = " ".join(text.split())
    return hashlib.sha1(f"{chapter_key}\x1f{norm}\x1f{occurrence}".encode()).hexdigest()[:12]


def derived_seed(project_seed: int, sid: str) -> int:
    return int(hashlib.sha256(f"{project_seed}:{sid}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def chapter_key(raw: RawChapter) -> str:
    return f"{raw.file_name}\x1f{raw.title}"


def sentence_lang(spans: tuple[Span, ...], default: str) -> str:
    weight: dict[str, int] = {}
    for span in spans:
        weight[span.lang] = weight.get(span.lang, 0) + sum(
            HAN_WEIGHT if is_han(c) else 1 for c in span.text.strip()
        )
    if not weight:
        return default
    best = max(weight.values())
    winners = [lang for lang, w in weight.items() if w == best]
    return default if default in winners else winners[0]


def finish_chapter(
    project: Project, raw: RawChapter, drafts: list[Draft], ov: Overrides, read: Readability | None = None
) -> tuple[Sentence, ...]:
    cfg = project.config
    key = chapter_key(raw)
    seen: dict[str, int] = {}
    out: list[Sentence] = []
    routed: dict[tuple[str, str], int] = {}
    for draft in drafts:
        norm = " ".join(draft.text.split())
        n = seen.get(norm, 0)
        seen[norm] = n + 1
        sid = sentence_id(key, draft.text, n)
        seed = derived_seed(cfg.book.seed, sid)
        seed = cfg.seeds.get(sid, draft.seed if draft.seed is not None else seed)
        seed = ov.seeds.get(sid, seed)
        lang = sentence_lang(draft.spans, cfg.book.language)
        voice = ov.voices.get(sid, draft.style.voice or lang_voice(cfg, read, lang))
        if voice != cfg.book.narrator and not draft.style.voice and sid not in ov.voices:
            routed[(lang, voice)] = routed.get((lang, voice), 0) + 1
        emotion = draft.style.emotion or cfg.voices[voice].emotion
        degree = draft.style.emotion_degree if draft.style.emotion_degree is not None else 1.0
        if sid in ov.emotions:
            name, _, deg = ov.emotions[sid].partition(":")
            emotion, degree = name, float(deg) if deg else degree
        out.append(
            Sentence(
                id=sid,
                text=draft.text,
                spans=apply_sentence_readings(draft.spans, ov.pronunciations.get(sid, {})),
                lang=lang,
                voice=voice,
                emotion=emotion,
                emotion_degree=degree,
                seed=seed,
                pause_after_ms=draft.pause_ms if draft.pause_ms is not None else cfg.pauses.sentence_ms,
                prosody=draft.style.prosody,
                paragraph=draft.paragraph,
                source=f"{raw.source}:{draft.line}",
            )
        )
    for (lang, voice), n in routed.items():
        add_warning(
            "voices",
            f"{n} sentence(s) in {lang!r} read by {voice!r}, the cast voice of that language",
            raw.source,
        )
    return tuple(out)


def lang_voice(cfg: ProjectConfig, read: Readability | None, lang: str) -> str:
    """The narrator, or the cast voice of the sentence's language when the narrator speaks another."""
    narrator = cfg.book.narrator
    if read is None or cfg.voices[narrator].lang == lang:
        return narrator
    return read.lang_voices.get(lang, narrator)
