"""Project folder -> structured render :class:`~lector.core.model.Plan`.

Pipeline: read the manuscript (``ingest``) -> cut paragraphs into sentences
(``text.segment``; voice/emotion changes, breaks and seed tags also end a
sentence) -> split over-long sentences at clause marks -> language spans ->
normalise (``normalize_zh``/``normalize_en``) -> lexicon aliases and tokens
(``Pronouncer``) -> stable ids and seeds -> overrides.

Ids and seeds follow docs/ARCHITECTURE.md: ``id = sha1(chapter key \\x1f text
\\x1f n)[:12]`` with chapter key = source file name + title; seed precedence is
derived < ``[[seed:N]]`` < ``[seeds]`` in project.toml < ``overrides.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import ConfigError, ManuscriptError
from .fsutil import atomic_write_text
from .ingest import RawChapter, read_manuscript
from .ingest.metadata import book_metadata
from .ingest.raw import Boundary, Break, RawParagraph, Run, Style
from .model import Chapter, Plan, PlanWarning, Sentence, Span, Token
from .overrides import Overrides, load_overrides, overrides_path
from .plan_limits import engine_max_chars, voice_max_chars  # noqa: F401 - engine_max_chars re-exported
from .plan_text import Draft, Readability, route_spans, settle_paragraph
from .planwarn import add_warning, collecting
from .project import Project, ProjectConfig
from .text.normalize_en import normalize_en
from .text.normalize_zh import normalize_zh, to_halfwidth
from .text.segment import (
    DEFAULT_MAX_CHARS,
    HAN_WEIGHT,
    dominant_lang,
    is_han,
    split_lang,
    split_long,
    split_sentences,
)
from .text.zh_mixed import read_english_span, resolve_mode, spelled_words

if TYPE_CHECKING:
    from .castcheck import EngineFacts


class PronouncerLike(Protocol):
    def substitute(self, text: str, lang: str) -> str: ...
    def tokens(self, text: str, lang: str) -> tuple[Token, ...]: ...


class NullPronouncer:
    """No lexicon, no tokens (used when the pronunciation module is unavailable)."""

    def substitute(self, text: str, lang: str) -> str:
        return text

    def tokens(self, text: str, lang: str) -> tuple[Token, ...]:
        return ()


def default_pronouncer(project: Project) -> PronouncerLike:
    try:
        from .pronounce import Pronouncer
    except ModuleNotFoundError as exc:
        if exc.name != "lector.core.pronounce":
            raise
        return NullPronouncer()
    from .pronounce import CachedPronouncer  # tokens cached in build/ (g2p models load on a miss)

    return CachedPronouncer(Pronouncer.for_project(project.root), project.build_dir / "token-cache.json")


def sentence_id(chapter_key: str, text: str, occurrence: int) -> str:
    """First 12 hex of sha1(chapter key \\x1f whitespace-normalised text \\x1f n)."""
    norm = " ".join(text.split())
    return hashlib.sha1(f"{chapter_key}\x1f{norm}\x1f{occurrence}".encode()).hexdigest()[:12]


def derived_seed(project_seed: int, sid: str) -> int:
    return int(hashlib.sha256(f"{project_seed}:{sid}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def chapter_key(raw: RawChapter) -> str:
    return f"{raw.file_name}\x1f{raw.title}"


def normalize(text: str, lang: str) -> str:
    if lang == "zh":
        return normalize_zh(text)
    if lang == "en":
        return normalize_en(text)
    return text


@dataclass
class _Ctx:
    project: Project
    pronouncer: PronouncerLike
    max_chars: int | None
    voice_limits: dict[str, int] = field(default_factory=dict)  # cast voice -> engine max_chars
    drafts: list[Draft] = field(default_factory=list)
    pending_seed: int | None = None
    source: str = ""  # the chapter's file, for warnings and errors
    read: Readability | None = None  # what the cast can read (None: no checks)
    _facts: dict[str, EngineFacts | None] | None = None  # castcheck.engine_facts, loaded on first need
    _mixed: str | None = None  # [manuscript] mixed_english, resolved (zh_mixed.resolve_mode)

    def mixed_english(self) -> str:
        """ "voice" or "rules": how English runs inside Chinese sentences are read."""
        if self._mixed is None:
            cfg = self.project.config
            self._mixed = resolve_mode(cfg.manuscript.mixed_english, (v.lang for v in cfg.voices.values()))
        return self._mixed

    def voice_reads(self, voice: str) -> frozenset[str] | None:
        """Span languages the engine of cast ``voice`` reads (castcheck facts; None: not loadable)."""
        if self.read is None:
            return None
        if self._facts is None:
            from .castcheck import engine_facts

            self._facts = engine_facts(self.project)
        facts = self._facts.get(self.project.config.voices[voice].engine)
        return frozenset(facts.reads) if facts is not None and facts.reads else None

    def limit(self, lang: str, voice: str | None = None) -> int:
        """[manuscript] max_chars > 0, else the ``max_chars`` argument, else the sentence voice's
        engine limit (voice_max_chars), else the language default."""
        cfg = self.project.config.manuscript.max_chars
        engine = self.voice_limits.get(voice or self.project.config.book.narrator)
        return cfg or self.max_chars or engine or DEFAULT_MAX_CHARS.get(lang, 400)


def build_plan(
    project: Project, *, max_chars: int | None = None, pronouncer: PronouncerLike | None = None
) -> Plan:
    """The render plan of ``project``. Raises ManuscriptError/TagError/ConfigError/LexiconError.
    Warnings added while it is built (``planwarn.add_warning``) end up on ``Plan.warnings``."""
    from .castcheck import check_plan_voices

    with collecting() as bucket:
        plan = _build_plan(project, max_chars=max_chars, pronouncer=pronouncer)
        check_plan_voices(project, plan)  # engine voices, languages, emotions: refused here, not at render
    return replace(plan, warnings=tuple(dict.fromkeys(bucket)))


def _build_plan(project: Project, *, max_chars: int | None, pronouncer: PronouncerLike | None) -> Plan:
    raw_chapters = read_manuscript(project)
    overrides = load_overrides(project.root)
    _check_overrides(project, overrides)
    pron = pronouncer if pronouncer is not None else default_pronouncer(project)
    needs_engines = not (project.config.manuscript.max_chars or max_chars)
    limits = voice_max_chars(project) if needs_engines else {}
    chapters, read = [], Readability.of(project)
    for index, raw in enumerate(raw_chapters, 1):
        sentences = _plan_chapter(
            project, raw, pron, max_chars=max_chars, limits=limits, read=read, ov=overrides
        )
        chapters.append(Chapter(index=index, title=raw.title, sentences=sentences, source=raw.source))
    getattr(pron, "flush", lambda: None)()  # a CachedPronouncer writes build/token-cache.json
    if not any(c.sentences for c in chapters):
        raise ManuscriptError(
            "the manuscript holds no text to speak",
            file="manuscript/",
            fix="write some text (or check [manuscript] front_matter for EPUBs)",
        )
    cfg = project.config.book
    meta = book_metadata(project)  # [book] over the EPUB's own metadata
    plan = Plan(
        project=project.name,
        title=meta.title,
        author=meta.author,
        language=cfg.language,
        chapters=tuple(chapters),
    )
    return replace(plan, plan_hash=plan_hash(plan))


def _plan_chapter(
    project: Project,
    raw: RawChapter,
    pron: PronouncerLike,
    *,
    max_chars: int | None,
    limits: dict[str, int],
    read: Readability,
    ov: Overrides,
) -> tuple[Sentence, ...]:
    ctx = _Ctx(project, pron, max_chars, limits, source=raw.source, read=read)
    for p_index, para in enumerate(raw.paragraphs):
        _paragraph(ctx, para, p_index)
    return _finish(project, raw, ctx.drafts, ov, read)


def plan_text(
    project: Project, text: str, *, pronouncer: PronouncerLike, source: str = "text"
) -> tuple[tuple[Sentence, ...], tuple[PlanWarning, ...]]:
    """``text`` planned as one paragraph of the manuscript (normalised, cut into sentences that fit
    the cast's engines, split into language spans, pronounced with ``pronouncer``), so a text
    spoken on its own (`lector say`) reads as it would in the book; with the warnings the planner
    raised. The book's overrides do not apply. Raises ManuscriptError for text the cast cannot read."""
    raw = RawChapter("", source, (RawParagraph((Run(text, line=1),), line=1),))
    limits = {} if project.config.manuscript.max_chars else voice_max_chars(project)
    read = Readability.of(project)
    with collecting() as bucket:
        sentences = _plan_chapter(
            project, raw, pronouncer, max_chars=None, limits=limits, read=read, ov=Overrides()
        )
    return sentences, tuple(dict.fromkeys(bucket))


def plan_hash(plan: Plan) -> str:
    """sha256 over every chapter's index, title and sentences (ids, text, spoken, tokens, voice...)."""
    body = [[c.index, c.title, [s.to_dict() for s in c.sentences]] for c in plan.chapters]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def plan_to_json(plan: Plan, *, chapters: set[int] | None = None, indent: int | None = 2) -> str:
    """JSON of the plan (``ensure_ascii=False``); ``chapters`` keeps only those indexes."""
    data = plan.to_dict()
    if chapters is not None:
        data["chapters"] = [c for c in data["chapters"] if c["index"] in chapters]
    return json.dumps(data, ensure_ascii=False, indent=indent)


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the full plan JSON atomically (lector.core.fsutil: the umask's mode), e.g. to build/plan.json."""
    return atomic_write_text(Path(path), plan_to_json(plan) + "\n")


def _paragraph(ctx: _Ctx, para: RawParagraph, p_index: int) -> None:
    chunk: list[Run] = []
    start = len(ctx.drafts)
    for item in para.items:
        if isinstance(item, Run):
            if chunk and _chunk_key(ctx, chunk[0].style) != _chunk_key(ctx, item.style):
                _flush(ctx, chunk, p_index)
                chunk = []
            chunk.append(item)
            continue
        _flush(ctx, chunk, p_index)
        chunk = []
        if isinstance(item, Break) and ctx.drafts:
            ctx.drafts[-1].pause_ms, ctx.drafts[-1].explicit_pause = item.ms, True
        elif isinstance(item, Boundary) and item.seed is not None:
            ctx.pending_seed = item.seed
    _flush(ctx, chunk, p_index)
    # a cast of one language: nothing to route; mixed_english = "voice": the renderer gives each run
    # in another language to that language's cast voice inside the sentence (mixed_render)
    if ctx.read is not None and len(ctx.read.langs) > 1 and ctx.mixed_english() != "voice":
        cfg = ctx.project.config
        route_spans(
            ctx.drafts,
            start,
            voice_of=lambda d: (
                d.style.voice or _lang_voice(cfg, ctx.read, _sentence_lang(d.spans, cfg.book.language))
            ),
            reads=ctx.voice_reads,
            lang_voices=ctx.read.lang_voices,
            source=ctx.source,
        )
    pauses = ctx.project.config.pauses
    settle_paragraph(
        ctx.drafts,
        start,
        scene_break_ms=pauses.scene_break_ms,
        paragraph_ms=pauses.paragraph_ms,
        source=ctx.source,
    )
    if len(ctx.drafts) > start and not ctx.drafts[-1].explicit_pause:
        ctx.drafts[-1].pause_ms = pauses.chapter_title_ms if para.heading else pauses.paragraph_ms


def _voice_key(style: Style) -> tuple[str | None, str | None, float | None]:
    return (style.voice, style.emotion, style.emotion_degree)


def _chunk_key(ctx: _Ctx, style: Style) -> tuple[str | None, str | None, float | None, str | None]:
    # text marked with a language that has its own cast voice becomes its own sentence (and voice)
    cfg = ctx.project.config
    own = cfg.voices[style.voice or cfg.book.narrator].lang
    lang_voice = (
        ctx.read.lang_voices.get(style.lang) if ctx.read and style.lang and style.lang != own else None
    )
    return (*_voice_key(style), lang_voice)


def _flush(ctx: _Ctx, chunk: list[Run], p_index: int) -> None:
    text = "".join(r.text for r in chunk)
    if not text.strip():
        return
    explicit = {r.style.lang for r in chunk}
    only = next(iter(explicit)) if len(explicit) == 1 else None
    lang = only if only is not None else dominant_lang(to_halfwidth(text), ctx.project.config.book.language)
    pieces = split_sentences(text, lang)
    for draft in _emit(
        ctx, chunk, pieces, lang, ctx.limit(lang, chunk[0].style.voice), p_index=p_index, resplit=True
    ):
        if ctx.pending_seed is not None:
            draft.seed, ctx.pending_seed = ctx.pending_seed, None
        ctx.drafts.append(draft)


def _emit(
    ctx: _Ctx, runs: list[Run], sentences: list[str], lang: str, limit: int, *, p_index: int, resplit: bool
) -> list[Draft]:
    """Drafts for ``sentences`` (a lossless cut of the runs' text), each at most ``limit``
    characters; a piece whose *spoken* form is still too long is cut once more."""
    pieces = [p for s in sentences for p in split_long(s, limit)]
    bounds = _bounds(runs, pieces)
    out: list[Draft] = []
    for a, b in pairwise(bounds):
        slices = _trim(_slice(runs, a, b))
        if not slices:
            continue
        spans = _spans(ctx, slices, lang)
        display, spoken = "".join(s.text for s in spans), "".join(s.spoken for s in spans)
        if resplit and len(spoken) > limit and len(display) > 1:
            smaller = max(1, limit * len(display) // len(spoken))
            sub_runs = [replace(run, text=text) for run, text in slices]
            again = _emit(ctx, sub_runs, [display], lang, smaller, p_index=p_index, resplit=False)
            if len(again) > 1:
                out.extend(again)
                continue
        first = slices[0][0]
        # one prosody per sentence: that of the run covering most of its text
        prosody = max(slices, key=lambda sl: len(sl[1].strip()))[0].style.prosody
        out.append(Draft(spans, replace(first.style, prosody=prosody), first.line, p_index))
    return out


def _bounds(runs: list[Run], pieces: list[str]) -> list[int]:
    """Cut offsets of ``pieces``, moved out of atomic runs (SSML sub/phoneme)."""
    cuts, pos = [], 0
    for piece in pieces[:-1]:
        pos += len(piece)
        cuts.append(pos)
    start = 0
    for run in runs:
        end = start + len(run.text)
        if run.atomic:
            cuts = [end if start < c < end else c for c in cuts]
        start = end
    return sorted({0, start, *cuts})


def _slice(runs: list[Run], a: int, b: int) -> list[tuple[Run, str]]:
    """(run, part of its text) for the characters [a, b) of the runs' joined text."""
    slices, start = [], 0
    for run in runs:
        end = start + len(run.text)
        lo, hi = max(a, start), min(b, end)
        if lo < hi:
            slices.append((run, run.text[lo - start : hi - start]))
        start = end
    return slices


def _trim(slices: list[tuple[Run, str]]) -> list[tuple[Run, str]]:
    while slices and not slices[0][1].strip():
        slices = slices[1:]
    while slices and not slices[-1][1].strip():
        slices = slices[:-1]
    if not slices:
        return []
    slices = list(slices)
    slices[0] = (slices[0][0], slices[0][1].lstrip())
    slices[-1] = (slices[-1][0], slices[-1][1].rstrip())
    return slices


def _spans(ctx: _Ctx, slices: list[tuple[Run, str]], lang: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    for run, text in slices:
        if run.atomic:
            spoken = run.spoken if run.spoken is not None else text
            span_lang = run.style.lang or dominant_lang(spoken, lang)
            tokens = run.tokens if run.tokens is not None else ctx.pronouncer.tokens(spoken, span_lang)
            spans.append(_readable(ctx, Span(text, spoken, span_lang, tuple(tokens)), run))
            continue
        pairs = [(text, run.style.lang)] if run.style.lang else _lang_runs(text, lang)
        for part, part_lang in pairs:
            if not part.strip() and spans:
                last = spans[-1]
                spans[-1] = replace(last, text=last.text + part, spoken=last.spoken + part)
                continue
            if lang == "zh" and _is_en(part_lang) and ctx.mixed_english() == "rules":
                spans.append(_english_by_rules(ctx, part, run))
                continue
            span = _readable(ctx, Span(part, part, part_lang), run)
            spoken = (
                ctx.pronouncer.substitute(normalize(span.spoken, span.lang), span.lang) if span.spoken else ""
            )
            spans.append(
                _readable(
                    ctx,
                    replace(
                        span,
                        spoken=spoken,
                        tokens=tuple(ctx.pronouncer.tokens(spoken, span.lang)) if spoken else (),
                    ),
                    run,
                )
            )
    return tuple(spans)


def _is_en(lang: str) -> bool:
    return lang.split("-", maxsplit=1)[0].lower() == "en"


def _english_by_rules(ctx: _Ctx, part: str, run: Run) -> Span:
    """An English run inside a Chinese sentence under ``mixed_english = "rules"``: a zh span with
    Mandarin syllables (zh_mixed; digits read in Chinese, so the raw text, not normalize_en's words).
    Words the rules can only spell letter by letter are a plan warning."""
    span = read_english_span(_readable(ctx, Span(part, part, "en"), run))
    words = list(dict.fromkeys(spelled_words(span.spoken)))
    if words:
        add_warning(
            "spelled",
            f"{', '.join(map(repr, words))} spelled letter by letter by the Chinese voice "
            '(mixed_english = "rules"): add a lexicon entry, or cast an English voice and '
            'set [manuscript] mixed_english = "voice"',
            f"{ctx.source}:{run.line}",
        )
    return span


def _readable(ctx: _Ctx, span: Span, run: Run) -> Span:
    """``span`` as the cast can read it (plan_text.Readability): a language or script no cast voice
    reads is a ManuscriptError, or left out with a warning under [manuscript] unreadable = "skip"."""
    if ctx.read is None:
        return span
    where = f"{ctx.source}:{run.line}"
    if run.style.lang:
        cfg = ctx.project.config  # read by the run's own voice when it ignores the language
        voice = run.style.voice or cfg.book.narrator
        span = ctx.read.foreign_lang(
            span,
            run.style.on_lang_failure,
            cfg.voices[voice].lang,
            where,
            reads=lambda: ctx.voice_reads(voice),
        )
    return ctx.read.scripts_check(span, where, run.text) or span


def _lang_runs(text: str, default: str) -> list[tuple[str, str]]:
    """split_lang on the half-width view, sliced from the original (same length)."""
    out, pos = [], 0
    for part, lang in split_lang(to_halfwidth(text), default):
        out.append((text[pos : pos + len(part)], lang))
        pos += len(part)
    return out


def _sentence_lang(spans: tuple[Span, ...], default: str) -> str:
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


def _finish(
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
        lang = _sentence_lang(draft.spans, cfg.book.language)
        voice = ov.voices.get(sid, draft.style.voice or _lang_voice(cfg, read, lang))
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
                spans=draft.spans,
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


def _lang_voice(cfg: ProjectConfig, read: Readability | None, lang: str) -> str:
    """The narrator, or the cast voice of the sentence's language when the narrator speaks another."""
    narrator = cfg.book.narrator
    if read is None or cfg.voices[narrator].lang == lang:
        return narrator
    return read.lang_voices.get(lang, narrator)


def _check_overrides(project: Project, ov: Overrides) -> None:
    path = overrides_path(project.root)
    for sid, voice in ov.voices.items():
        if voice not in project.config.voices:
            raise ConfigError(
                f"unknown voice {voice!r} for sentence {sid}",
                file=path,
                field=f"voices.{sid}",
                fix=f"use one of: {', '.join(project.config.voices)}",
            )
    for sid, value in ov.emotions.items():
        name, _, deg = value.partition(":")
        bad_degree = bool(deg) and not _is_degree(deg)
        if name not in project.config.emotions or bad_degree:
            raise ConfigError(
                f"bad emotion {value!r} for sentence {sid}",
                file=path,
                field=f"emotions.{sid}",
                fix=f"use one of: {', '.join(project.config.emotions)} (optionally name:0.5)",
            )


def _is_degree(text: str) -> bool:
    try:
        return 0.0 < float(text) <= 2.0
    except ValueError:
        return False
