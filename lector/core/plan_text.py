"""Plan-time checks on sentence text: nothing unspeakable and nothing unreadable reaches an engine.

- A sentence with nothing to speak (no letter or digit in its spoken form: "—", "* * *", "…",
  a lone closing quote) never goes to an engine. Alone in its paragraph it becomes a pause after
  the previous sentence (``pauses.scene_break_ms`` for a scene-break line, ``paragraph_ms`` else);
  inside a paragraph it joins its neighbour (the previous sentence; the next one when it opens
  the paragraph). Each case is a plan warning.
- Letters of a script no cast voice reads (kana, Hangul, Arabic, Cyrillic... in an en/zh
  project), and SSML text marked with a language no cast voice speaks, stop the plan with a
  ManuscriptError naming file, line and characters — or, with ``[manuscript] unreadable = "skip"``,
  are left out with a warning listing them. Never sent to an engine silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import ManuscriptError
from .ingest.raw import Style
from .model import Span
from .planwarn import add_warning
from .text.segment import is_han

if TYPE_CHECKING:
    from .project import Project

# scripts a language is written in (letters outside them cannot be read by a voice of that language)
LANG_SCRIPTS: dict[str, frozenset[str]] = {
    "zh": frozenset({"HAN"}),
    "ja": frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    "ko": frozenset({"HANGUL", "HAN"}),
    "el": frozenset({"GREEK"}),
    **{k: frozenset({"CYRILLIC"}) for k in ("ru", "uk", "bg", "sr", "be", "mk", "kk", "mn")},
    **{k: frozenset({"ARABIC"}) for k in ("ar", "fa", "ur", "ps")},
    **{k: frozenset({"HEBREW"}) for k in ("he", "yi")},
    **{k: frozenset({"DEVANAGARI"}) for k in ("hi", "mr", "ne", "sa")},
    "th": frozenset({"THAI"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
    "bn": frozenset({"BENGALI"}),
    "ta": frozenset({"TAMIL"}),
}
LATIN = frozenset({"LATIN"})
# first words of Unicode letter names that name a writing system (anything else, e.g. MICRO SIGN
# or SCRIPT SMALL L, is a letter-like symbol left to the normaliser)
_SCRIPTS = {
    "LATIN",
    "GREEK",
    "CYRILLIC",
    "ARMENIAN",
    "HEBREW",
    "ARABIC",
    "SYRIAC",
    "THAANA",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "THAI",
    "LAO",
    "TIBETAN",
    "MYANMAR",
    "GEORGIAN",
    "HANGUL",
    "ETHIOPIC",
    "CHEROKEE",
    "KHMER",
    "MONGOLIAN",
    "HIRAGANA",
    "KATAKANA",
    "BOPOMOFO",
    "HAN",
    "YI",
    "RUNIC",
    "OGHAM",
    "COPTIC",
}
_SCENE_BREAK_RE = re.compile(r"^[\s*⁂•·∙~#=_—–\-.…⸺⸻]+$")
_CLOSING = set("’”»›)]}」』）》〉\"'.,;:!?")  # joined with no space before (not "…", "—")


def speakable(text: str) -> bool:
    """True when ``text`` holds a letter or a digit (something an engine can say)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def char_script(ch: str) -> str | None:
    """The writing system of a letter ("LATIN", "HAN", "CYRILLIC"...), None for other characters."""
    if unicodedata.category(ch)[0] != "L":
        return None
    if is_han(ch):
        return "HAN"
    words = unicodedata.name(ch, "").split()
    if words[:1] in (["FULLWIDTH"], ["HALFWIDTH"]):
        words = words[1:]
    if words[:1] == ["CJK"]:
        return "HAN"
    return words[0] if words and words[0] in _SCRIPTS else None


def scripts_for(langs: Iterable[str]) -> frozenset[str]:
    # every cast engine reads Latin letters (English words in a Chinese book are part of the language)
    out: set[str] = set(LATIN)
    for lang in langs:
        out |= LANG_SCRIPTS.get(lang, LATIN)
    return frozenset(out)


@dataclass
class Draft:
    """A sentence of the plan before ids are known (the planner's working record)."""

    spans: tuple[Span, ...]
    style: Style
    line: int
    paragraph: int
    seed: int | None = None
    pause_ms: int | None = None
    explicit_pause: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Readability:
    """What the cast can read: its languages and their scripts, and the unreadable policy."""

    langs: frozenset[str]
    scripts: frozenset[str]
    lang_voices: dict[str, str]  # language -> the first cast voice of that language
    skip: bool

    @classmethod
    def of(cls, project: Project) -> Readability:
        voices = project.config.voices
        lang_voices: dict[str, str] = {}
        for name, spec in voices.items():
            lang_voices.setdefault(spec.lang, name)
        narrator = voices.get(project.config.book.narrator)
        if narrator is not None:
            lang_voices[narrator.lang] = project.config.book.narrator
        langs = frozenset(lang_voices)
        return cls(langs, scripts_for(langs), lang_voices, project.config.manuscript.unreadable == "skip")

    def foreign_lang(
        self,
        span: Span,
        policy: str | None,
        default: str,
        where: str,
        reads: Callable[[], frozenset[str] | None] | None = None,
    ) -> Span:
        """A span explicitly marked with a language no cast voice speaks (and the current voice's
        engine does not read, ``reads()``: e.g. fastspeech2-zh reads English inside Chinese): read by
        the current voice (policy None/"ignorelang", a warning), left out ("ignoretext", a warning)
        or unreadable."""
        if span.lang in self.langs or (reads is not None and span.lang in (reads() or ())):
            return span
        if policy in (None, "ignorelang"):
            add_warning(
                "lang",
                f"{span.text.strip()!r} is marked {span.lang!r}, which no cast voice speaks: "
                f"read as {default!r}",
                where,
            )
            return replace(span, lang=default)
        if policy == "ignoretext":
            add_warning(
                "skipped",
                f'{span.text.strip()!r} ({span.lang}) left out: onlangfailure="ignoretext" '
                "and no cast voice speaks it",
                where,
            )
            return replace(span, spoken="", tokens=())
        return self._unreadable(span, f"language {span.lang!r}", "", where, whole=True)

    def scripts_check(self, span: Span, where: str, context: str = "") -> Span | None:
        """None when every letter of the span is in a script the cast reads; else the span with the
        unreadable words left out (skip) or a ManuscriptError."""
        bad = "".join(
            dict.fromkeys(
                c for c in span.spoken if (s := char_script(c)) is not None and s not in self.scripts
            )
        )
        if not bad:
            return None
        names = sorted({char_script(c) or "" for c in bad})
        return self._unreadable(
            span, f"{', '.join(n.lower() for n in names)} script", bad, where, whole=False, context=context
        )

    def _unreadable(
        self, span: Span, what: str, chars: str, where: str, *, whole: bool, context: str = ""
    ) -> Span:
        langs = ", ".join(sorted(self.langs)) or "(none)"
        if not self.skip:
            file, _, line = where.rpartition(":")
            marked = (
                f"{span.text.strip()!r} is marked xml:lang={span.lang!r}"
                if whole
                else f"{chars!r} in {(context or span.text).strip()!r}"
            )
            raise ManuscriptError(
                f"{marked}: no cast voice reads {what} (the cast speaks {langs})",
                file=file or where,
                line=int(line) if line.isdigit() else None,
                fix="add a voice of that language to [voices] in project.toml, or set [manuscript] "
                'unreadable = "skip" to leave such text out (listed as plan warnings)'
                + (
                    ', or write onlangfailure="ignorelang" to read it with the current voice' if whole else ""
                ),
            )
        if whole:
            kept, left_out = "", [span.text.strip()]
        else:  # the runs of unreadable letters (with their combining marks) go; punctuation stays
            run_re = re.compile(f"[{re.escape(chars)}][{re.escape(chars)}\u0300-\u036f\u3099\u309a]*")
            left_out = run_re.findall(span.spoken)
            kept = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(run_re.sub("", span.spoken).split()))
        add_warning(
            "skipped", f"left out {', '.join(map(repr, left_out))}: no cast voice reads {what}", where
        )
        return replace(span, spoken=kept if speakable(kept) else "", tokens=())


def is_scene_break(text: str) -> bool:
    return bool(_SCENE_BREAK_RE.match(text)) and not speakable(text)


def settle_paragraph(
    drafts: list[Draft], start: int, *, scene_break_ms: int, paragraph_ms: int, source: str
) -> None:
    """Make every draft of the paragraph ``drafts[start:]`` speakable (see the module doc)."""
    para = drafts[start:]
    if all(_speakable(d) for d in para):
        return
    if not any(_speakable(d) for d in para):
        text = " ".join(d.text for d in para)
        del drafts[start:]
        ms = scene_break_ms if is_scene_break(text) else paragraph_ms
        where = f"{source}:{para[0].line}"
        if start == 0:
            add_warning("dropped", f"{text!r} has nothing to speak: left out (nothing precedes it)", where)
            return
        prev = drafts[start - 1]
        prev.pause_ms, prev.explicit_pause = max(prev.pause_ms or 0, ms), True
        add_warning("pause", f"{text!r} has nothing to speak: a {ms} ms pause", where)
        return
    merged: list[Draft] = []
    leading: list[Draft] = []  # unspeakable drafts before the paragraph's first speakable one
    for draft in para:
        if _speakable(draft):
            if leading:
                draft.spans = _join(leading[-1], draft, leading=leading)
                leading = []
            merged.append(draft)
        elif merged:
            add_warning(
                "joined",
                f"{draft.text!r} has nothing to speak: joined to the sentence before",
                f"{source}:{draft.line}",
            )
            prev = merged[-1]
            prev.spans = _join(prev, draft)
            if draft.explicit_pause or draft.pause_ms is not None:
                prev.pause_ms, prev.explicit_pause = draft.pause_ms, draft.explicit_pause
        else:
            add_warning(
                "joined",
                f"{draft.text!r} has nothing to speak: joined to the sentence after",
                f"{source}:{draft.line}",
            )
            leading.append(draft)
    drafts[start:] = merged


def _speakable(draft: Draft) -> bool:
    return speakable("".join(s.spoken for s in draft.spans))


def _join(left: Draft, right: Draft, leading: list[Draft] | None = None) -> tuple[Span, ...]:
    """Spans of ``left`` followed by those of ``right`` (a space between them unless the right
    side opens with closing punctuation); ``leading`` drafts all go before ``right``."""
    if leading is not None:
        spans: list[Span] = []
        for d in leading:
            spans.extend(_with_gap(list(d.spans), " "))
        return tuple(spans) + tuple(right.spans)
    gap = "" if right.text[:1] in _CLOSING else " "
    return tuple(_with_gap(list(left.spans), gap)) + tuple(right.spans)


def _with_gap(spans: list[Span], gap: str) -> list[Span]:
    if gap and spans:
        last = spans[-1]
        spans[-1] = replace(last, text=last.text + gap, spoken=last.spoken + gap if last.spoken else "")
    return spans


SPLIT_PAUSE_MS = 120  # between the parts of a sentence that two voices speak


def route_spans(
    drafts: list[Draft],
    start: int,
    *,
    voice_of: Callable[[Draft], str],
    reads: Callable[[str], frozenset[str] | None],
    lang_voices: dict[str, str],
    source: str,
) -> None:
    """Split each draft of ``drafts[start:]`` that holds text in a language its voice's engine
    cannot read, where the cast has a voice of that language: each run goes to the voice of its
    language (a short pause between the parts). ``voice_of(draft)`` is the draft's cast voice,
    ``reads(voice)`` the span languages its engine reads (None: unknown, left as is)."""
    out: list[Draft] = []
    for draft in drafts[start:]:
        voice = voice_of(draft)
        ok = reads(voice)
        langs = {s.lang for s in draft.spans if speakable(s.spoken)}
        foreign = {lang for lang in langs if ok is not None and lang not in ok and lang in lang_voices}
        if not foreign:
            out.append(draft)
            continue
        groups: list[tuple[str, list[Span]]] = []
        for span in draft.spans:
            target = lang_voices[span.lang] if span.lang in foreign else voice
            if groups and (target == groups[-1][0] or not speakable(span.spoken)):
                groups[-1][1].append(span)
            else:
                groups.append((target, [span]))
        add_warning(
            "voices",
            f"{draft.text!r} is read by {', '.join(dict.fromkeys(g for g, _ in groups))} "
            f"(each part by a voice of its language)",
            f"{source}:{draft.line}",
        )
        for k, (target, spans) in enumerate(groups):
            last = k == len(groups) - 1
            style = draft.style if target == voice else replace(draft.style, voice=target)
            out.append(
                replace(
                    draft,
                    spans=_strip(spans),
                    style=style,
                    seed=draft.seed if k == 0 else None,
                    pause_ms=draft.pause_ms if last else SPLIT_PAUSE_MS,
                    explicit_pause=draft.explicit_pause if last else True,
                )
            )
    drafts[start:] = out


def _strip(spans: list[Span]) -> tuple[Span, ...]:
    """The spans without leading/trailing white space (a part of a split sentence)."""
    spans = list(spans)
    spans[0] = replace(spans[0], text=spans[0].text.lstrip(), spoken=spans[0].spoken.lstrip())
    spans[-1] = replace(spans[-1], text=spans[-1].text.rstrip(), spoken=spans[-1].spoken.rstrip())
    return tuple(spans)
