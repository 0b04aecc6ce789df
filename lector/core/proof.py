"""Proof report: what a render of the plan will say, before hours are spent rendering it.

``build_proof(plan, project)`` -> :class:`Proof`: chapters with estimated durations (speech rate
per language, the cast voice's speed, every pause), what the text front-end transformed (numerals,
symbols, abbreviations: display text -> spoken text), what was dropped or turned into pauses (the
plan warnings: front matter, page numbers, notes, skipped scripts, unspeakable lines...), and
chapters over the output profile's length limit. ``write_proof`` writes ``build/proof.json`` and a
self-contained ``build/proof.html`` (no template engine: the library never imports jinja2).
"""

from __future__ import annotations

import html
import json
import os
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fsutil import atomic_write_text
from .model import Chapter, Plan, PlanWarning, Sentence
from .text.pace import HAN_PER_SECOND, WORDS_PER_MINUTE
from .text.segment import is_han

if TYPE_CHECKING:
    from .project import Project

CHAPTER_LIMIT_S = {"acx": 120 * 60}  # ACX: no file longer than 120 minutes
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class ProofChange:
    """A sentence whose spoken form differs from its display text."""

    kind: str  # "numeral" | "symbol" | "abbreviation" | "other"
    chapter: int
    sentence_id: str
    source: str
    text: str
    spoken: str


@dataclass(frozen=True)
class ProofChapter:
    index: int
    title: str
    source: str
    sentences: int
    words: int
    estimated_s: float
    voices: tuple[tuple[str, int], ...]  # cast voice -> sentences
    over_limit: bool  # longer than the output profile allows


@dataclass(frozen=True)
class Proof:
    title: str
    author: str
    language: str
    plan_hash: str
    profile: str
    estimated_s: float
    chapters: tuple[ProofChapter, ...]
    changes: tuple[ProofChange, ...]
    warnings: tuple[PlanWarning, ...]

    @property
    def warning_counts(self) -> dict[str, int]:
        return dict(Counter(w.kind for w in self.warnings))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["warning_counts"] = self.warning_counts
        data["change_counts"] = dict(Counter(c.kind for c in self.changes))
        return data


def sentence_seconds(sentence: Sentence, speed: float = 1.0) -> float:
    """Estimated speech time of one sentence plus its pause."""
    speech = 0.0
    for span in sentence.spans:
        han = sum(1 for c in span.spoken if is_han(c))
        words = len(_WORD_RE.findall("".join(c for c in span.spoken if not is_han(c))))
        speech += han / HAN_PER_SECOND + words * 60.0 / WORDS_PER_MINUTE
    return speech / max(speed, 0.25) + sentence.pause_after_ms / 1000.0


def change_kind(text: str, spoken: str) -> str:
    if any(c.isdigit() for c in text) or re.search(r"\b[IVXLCDM]+\b|\b[ivxlcdm]{2,}\b", text):
        return "numeral"
    if any(unicodedata.category(c)[0] == "S" or c in "%&§¶†‡′″" for c in text):
        return "symbol"
    if re.search(r"\b[A-Za-z]{1,4}\.", text) or re.search(r"\b[A-Z]{2,}\b", text):
        return "abbreviation"
    return "other"


def _visible(text: str) -> str:
    return " ".join(text.split())


def _chapter(chapter: Chapter, speeds: dict[str, float], limit_s: float | None) -> ProofChapter:
    seconds = sum(sentence_seconds(s, speeds.get(s.voice, 1.0)) for s in chapter.sentences)
    words = sum(len(_WORD_RE.findall(s.spoken)) for s in chapter.sentences)
    voices = tuple(sorted(Counter(s.voice for s in chapter.sentences).items()))
    return ProofChapter(
        chapter.index,
        chapter.title,
        chapter.source,
        len(chapter.sentences),
        words,
        round(seconds, 1),
        voices,
        bool(limit_s and seconds > limit_s),
    )


def build_proof(plan: Plan, project: Project) -> Proof:
    cfg = project.config
    speeds = {name: spec.speed for name, spec in cfg.voices.items()}
    limit_s = CHAPTER_LIMIT_S.get(cfg.output.profile)
    chapters = tuple(_chapter(c, speeds, limit_s) for c in plan.chapters)
    changes = tuple(
        ProofChange(change_kind(s.text, s.spoken), c.index, s.id, s.source, s.text, s.spoken)
        for c in plan.chapters
        for s in c.sentences
        if _visible(s.spoken) != _visible(s.text)
    )
    warnings = plan.warnings + tuple(
        PlanWarning(
            "length",
            f"chapter {c.index} ({c.title!r}) is about {c.estimated_s / 60:.0f} min, "
            f"over the {cfg.output.profile} limit of {limit_s / 60:.0f} min",
            c.source,
        )
        for c in chapters
        if c.over_limit and limit_s
    )
    return Proof(
        plan.title,
        plan.author,
        plan.language,
        plan.plan_hash,
        cfg.output.profile,
        round(sum(c.estimated_s for c in chapters), 1),
        chapters,
        changes,
        warnings,
    )


def proof_to_json(proof: Proof) -> str:
    return json.dumps(proof.to_dict(), ensure_ascii=False, indent=2)


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;"
    "padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}"
    ".over{color:#b00;font-weight:bold}code{font-size:90%}.src{color:#777;font-size:85%}"
    "h2{margin-top:1.5em}.k{display:inline-block;background:#eef;border-radius:3px;padding:0 .4em}"
)


def proof_to_html(proof: Proof) -> str:
    e = html.escape
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Proof — {e(proof.title)}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Proof: {e(proof.title)}</h1><p>{e(proof.author)} · language {e(proof.language)} · "
        f"plan <code>{e(proof.plan_hash[:12])}</code> · profile {e(proof.profile)} · estimated "
        f"<b>{_hms(proof.estimated_s)}</b> · {len(proof.chapters)} chapters · "
        f"{sum(c.sentences for c in proof.chapters)} sentences</p>",
        "<h2>Chapters</h2><table><tr><th>#</th><th>Title</th><th class=num>Sentences</th>"
        "<th class=num>Words</th><th class=num>Estimated</th><th>Voices</th><th>Source</th></tr>",
    ]
    for c in proof.chapters:
        cls = " class=over" if c.over_limit else ""
        voices = ", ".join(f"{e(v)} ({n})" for v, n in c.voices)
        out.append(
            f"<tr><td>{c.index}</td><td>{e(c.title)}</td><td class=num>{c.sentences}</td>"
            f"<td class=num>{c.words}</td><td class=num{cls}>{_hms(c.estimated_s)}</td>"
            f"<td>{voices}</td><td class=src>{e(c.source)}</td></tr>"
        )
    out.append("</table>")
    counts = proof.warning_counts
    out.append(f"<h2>Dropped, paused, joined and other warnings ({len(proof.warnings)})</h2>")
    if counts:
        out.append(
            "<p>"
            + " ".join(f"<span class=k>{e(k)}: {n}</span>" for k, n in sorted(counts.items()))
            + "</p><table><tr><th>Kind</th><th>What</th><th>Where</th></tr>"
        )
        out += [
            f"<tr><td>{e(w.kind)}</td><td>{e(w.message)}</td><td class=src>{e(w.source)}</td></tr>"
            for w in proof.warnings
        ]
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append(f"<h2>Transformed text ({len(proof.changes)} sentences)</h2>")
    if proof.changes:
        out.append("<table><tr><th>Kind</th><th>Written</th><th>Spoken</th><th>Where</th></tr>")
        out += [
            f"<tr><td>{e(c.kind)}</td><td>{e(c.text)}</td><td>{e(c.spoken)}</td>"
            f"<td class=src>{e(c.source)}</td></tr>"
            for c in proof.changes
        ]
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_proof(proof: Proof, build_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``proof.json`` and ``proof.html`` into ``build_dir``; returns their paths."""
    folder = Path(build_dir)
    json_path, html_path = folder / "proof.json", folder / "proof.html"
    atomic_write_text(json_path, proof_to_json(proof) + "\n")
    atomic_write_text(html_path, proof_to_html(proof))
    return json_path, html_path
