"""Manuscript paragraphs -> sentence drafts (:class:`~lector.core.plan_text.Draft`): the planner's
front end for the text itself.

A paragraph's runs are cut into sentences (``text.segment``; voice/emotion changes, breaks and
seed tags also end a sentence), over-long sentences are split at clause marks to fit the cast's
engines, each sentence is split into language spans, normalised (``normalize_zh``/``normalize_en``)
and pronounced (lexicon aliases and tokens from a :class:`PronouncerLike`). Text the cast cannot
read is refused or skipped here, where the run and its line are still known. Ids and seeds come
later (plan_sentences).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

from .ingest.raw import Boundary, Break, RawParagraph, Run, Style
from .model import Span, Token
from .plan_sentences import lang_voice, sentence_lang
from .plan_text import Draft, Readability, route_spans, settle_paragraph
from .planwarn import add_warning
from .project import Project
from .text.normalize_en import normalize_en
from .text.normalize_zh import normalize_zh, to_halfwidth
from .text.segment import DEFAULT_MAX_CHARS, dominant_lang, split_lang, split_long, split_sentences
from .text.zh_mixed import read_english_span, resolve_mode, spelled_words

if TYPE_CHECKING:
    from .castcheck import EngineFacts


class PronouncerLike(Protocol):
    """What the planner asks of a pronouncer (pronounce.Pronouncer, CachedPronouncer, test stubs)."""

    def substitute(self, text: str, lang: str) -> str: ...
    def tokens(self, text: str, lang: str) -> tuple[Token, ...]: ...


def normalize(text: str, lang: str) -> str:
    if lang == "zh":
        return normalize_zh(text)
    if lang == "en":
        return normalize_en(text)
    return text


@dataclass
class DraftCtx:
    """One chapter's working state: the drafts so far, the seed waiting for the next sentence and
    the cast facts the readability checks need."""

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


def paragraph_drafts(ctx: DraftCtx, para: RawParagraph, p_index: int) -> None:
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
                d.style.voice or lang_voice(cfg, ctx.read, sentence_lang(d.spans, cfg.book.language))
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


def _chunk_key(ctx: DraftCtx, style: Style) -> tuple[str | None, str | None, float | None, str | None]:
    # text marked with a language that has its own cast voice becomes its own sentence (and voice)
    cfg = ctx.project.config
    own = cfg.voices[style.voice or cfg.book.narrator].lang
    lang_voice = (
        ctx.read.lang_voices.get(style.lang) if ctx.read and style.lang and style.lang != own else None
    )
    return (*_voice_key(style), lang_voice)


def _flush(ctx: DraftCtx, chunk: list[Run], p_index: int) -> None:
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
    ctx: DraftCtx,
    runs: list[Run],
    sentences: list[str],
    lang: str,
    limit: int,
    *,
    p_index: int,
    resplit: bool,
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


def _spans(ctx: DraftCtx, slices: list[tuple[Run, str]], lang: str) -> tuple[Span, ...]:
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


def _english_by_rules(ctx: DraftCtx, part: str, run: Run) -> Span:
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


def _readable(ctx: DraftCtx, span: Span, run: Run) -> Span:
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
