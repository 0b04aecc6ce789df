"""One pronunciation fix into the project's ``lexicon.tsv`` (the review app's "Pronunciation…").

    entry = check_entry("Siobhan", "ʃɪˈvɔːn")           # validated as `lector plan` reads it
    write_entry(project_root, entry)                      # replaces that word's line, or appends
    entry_matches(entry, "en", "Siobhan ran.")            # True: the sentence reads the entry

Validation is lexicon.py's own (pinyin syllables and tones, the IPA the English voice accepts);
a bad pronunciation raises :class:`LexiconError` whose message and fix say why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..errors import LexiconError
from ..fsutil import atomic_write_bytes
from ..model import Span, Token
from .lexicon import Entry, lang_of, parse_ipa, parse_pinyin

TSV_NAME = "lexicon.tsv"
_SOURCE = (TSV_NAME, None)


def _refuse(message: str, fix: str) -> LexiconError:
    return LexiconError(message, file=TSV_NAME, fix=fix)


def check_entry(word: str, pronunciation: str, context: str = "") -> Entry:
    """The entry for ``word`` (Han characters: pinyin with tones; else English: IPA), validated."""
    word, pronunciation, context = word.strip(), pronunciation.strip(), context.strip()
    if any(c in text for text in (word, pronunciation, context) for c in "\t\r\n"):
        raise _refuse("tabs and line breaks cannot be written into lexicon.tsv", "type the entry on one line")
    if not word or not pronunciation:
        raise _refuse("a word and its pronunciation are both needed", "pick a word, then type how it is read")
    if word.startswith("#"):
        raise _refuse(f"a word cannot start with '#' ({word!r})", "leave out the '#': it starts a comment")
    lang = lang_of(word)
    if lang == "en":
        if len(word.split()) > 1:
            raise _refuse(
                f"{word!r} is more than one word: an IPA entry is read for a single word",
                "fix each word on its own, or write an <alias> for the phrase in lexicon.pls",
            )
        if context:
            raise _refuse(
                "a context word applies to Chinese entries only",
                "leave the context empty for an English word",
            )
        pron = parse_ipa(pronunciation, word, _SOURCE)
    else:
        pron = parse_pinyin(pronunciation, word, _SOURCE)
    if context and word not in context:
        raise _refuse(
            f"context {context!r} does not contain {word!r}",
            "the context must be a longer word that contains it, e.g. 行 in 银行",
        )
    return Entry(grapheme=word, pron=pron, lang=lang, source=TSV_NAME, context=context, layer=1)


def tsv_line(entry: Entry) -> str:
    cols = [entry.grapheme, entry.pron] + ([entry.context] if entry.context else [])
    return "\t".join(cols)


def _same_word(line: str, entry: Entry) -> bool:
    cols = [c.strip() for c in line.split("\t")]
    if len(cols) < 2 or line.lstrip().startswith("#"):
        return False
    word = cols[0].casefold() if entry.lang == "en" else cols[0]
    mine = entry.grapheme.casefold() if entry.lang == "en" else entry.grapheme
    return word == mine and (cols[2] if len(cols) > 2 else "") == entry.context


def write_entry(project_root: Path, entry: Entry) -> str | None:
    """Write ``entry`` into ``<project>/lexicon.tsv``: in place of the line for the same word and
    context (returned, so the caller can say what it replaced), else appended."""
    return write_tsv_entry(Path(project_root) / TSV_NAME, entry)


SHARED_TSV = "editors.tsv"


def shared_tsv(directory: Path, entry: Entry) -> Path:
    """The TSV of the shared lexicons ``directory`` to write ``entry`` into: the one that holds the
    word already (its line is replaced there, so no other file's line shadows it), else editors.tsv
    (TSVs load after PLS files, so it wins over a PLS lexeme)."""
    for path in sorted(directory.glob("*.tsv")):
        text = path.read_text(encoding="utf-8-sig")
        if any(_same_word(line, entry) for line in text.splitlines()):
            return path
    return directory / SHARED_TSV


def write_tsv_entry(path: Path, entry: Entry) -> str | None:
    """:func:`write_entry` into the TSV at ``path``."""
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    lines = text.splitlines()
    replaced = next((k for k, line in enumerate(lines) if _same_word(line, entry)), None)
    old = lines[replaced] if replaced is not None else None
    if replaced is None:
        lines.append(tsv_line(entry))
    else:
        lines[replaced] = tsv_line(entry)
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return old


def entry_matches(entry: Entry, lang: str, spoken: str) -> bool:
    """Whether ``spoken`` text of language ``lang`` contains a place the entry is read at (English:
    the whole word, any case; Chinese: the characters, inside the context word when there is one)."""
    if lang.split("-", maxsplit=1)[0].lower() != entry.lang:
        return False
    if entry.lang == "en":
        return (
            re.search(r"(?<!\w)" + re.escape(entry.grapheme) + r"(?!\w)", spoken, re.IGNORECASE) is not None
        )
    return (entry.context or entry.grapheme) in spoken


SENTENCE_ORIGIN = "sentence"  # a reading set for one sentence (overrides.json), over every lexicon


def apply_sentence_readings(spans: tuple[Span, ...], readings: Mapping[str, str]) -> tuple[Span, ...]:
    """``spans`` with each word of ``readings`` (word -> checked IPA or pinyin, one syllable per Han
    character) read that way wherever the sentence has it: the per-sentence scope of "Pronunciation…"."""
    if not readings:
        return spans
    return tuple(_read_span(span, readings) for span in spans)


def _read_span(span: Span, readings: Mapping[str, str]) -> Span:
    tokens = list(span.tokens)
    for word, pron in readings.items():
        lang = lang_of(word)
        if span.lang.split("-", maxsplit=1)[0].lower() != lang:
            continue
        parts = [pron] if lang == "en" else pron.split()
        for i in range(len(tokens) - len(parts) + 1):
            run = tokens[i : i + len(parts)]
            text = "".join(t.text for t in run)
            if text.casefold() == word.casefold() if lang == "en" else text == word:
                tokens[i : i + len(parts)] = [
                    Token(t.text, p, SENTENCE_ORIGIN) for t, p in zip(run, parts, strict=True)
                ]
    return replace(span, tokens=tuple(tokens))
