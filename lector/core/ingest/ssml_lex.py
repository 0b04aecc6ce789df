"""SSML 1.1 pronunciation helpers: ``<lexicon>``/``<lookup>``, ``<w role>`` and ``<phoneme>`` checks.

- ``<lexicon uri="x.pls" xml:id="id"/>`` loads a PLS file next to the script (no network). A lexicon
  with an ``xml:id`` applies inside ``<lookup ref="id">`` only; one without applies to the whole
  document (SSML 1.0 style). Matching words become atomic runs: an alias is spoken, a phoneme is the
  word's pronunciation (origin ``lexicon:<file>:<line>``).
- ``<w role="claws:VVD">read</w>`` picks the lexeme of that role (PLS ``role``).
- ``<phoneme ph>``: ``ipa`` is repaired (look-alikes, warning) and validated against the voice's IPA
  symbols, ``x-sampa`` converted to IPA; a bad value is a ManuscriptError naming file and line.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import LexiconError, ManuscriptError
from ..model import Token
from ..planwarn import add_warning
from ..text.ipa import describe_repairs, repair_ipa, xsampa_to_ipa
from ..text.lexicon import Entry, Lexicon, ipa_symbols, load_lexicon
from .raw import Run, Style


def load_declared(uri: str, base: Path, source: str, line: int) -> Lexicon:
    """The PLS/TSV lexicon an SSML ``<lexicon uri>`` names, relative to the script's folder."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", uri, re.I) and not uri.lower().startswith("file://"):
        raise ManuscriptError(
            f"<lexicon uri={uri!r}> is not a local file (Lector never downloads)",
            file=source,
            line=line,
            fix="save the .pls next to the script and use its file name",
        )
    path = (base / uri.removeprefix("file://")).resolve()
    if not path.is_file():
        raise ManuscriptError(
            f"<lexicon uri={uri!r}>: no such file {path}",
            file=source,
            line=line,
            fix="put the lexicon file next to the script or fix the uri",
        )
    try:
        return load_lexicon(path, label=path.name)
    except LexiconError:
        raise
    except OSError as exc:
        raise ManuscriptError(
            f"cannot read lexicon {uri!r}: {exc}", file=source, line=line, fix="check the file"
        ) from None


def lookup_runs(text: str, line: int, style: Style, lexicons: list[Lexicon], role: str = "") -> list[Run]:
    """``text`` cut into plain runs and atomic runs for the words the lexicons define."""
    if not lexicons or not text.strip():
        return [Run(text, line, style)] if text else []
    graphemes = sorted({g for lex in lexicons for g in lex.graphemes()}, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(g) for g in graphemes) + r")(?!\w)", re.I)
    runs, pos = [], 0
    for m in pattern.finditer(text):
        entry = _entry(lexicons, m.group(1), role)
        if entry is None:
            continue
        if m.start() > pos:
            runs.append(Run(text[pos : m.start()], line, style))
        runs.append(entry_run(m.group(1), entry, line, style))
        pos = m.end()
    if pos < len(text):
        runs.append(Run(text[pos:], line, style))
    return runs


def _entry(lexicons: list[Lexicon], word: str, role: str) -> Entry | None:
    for lex in reversed(lexicons):  # the innermost lookup wins
        hit = lex.lookup(word, role)
        if hit is not None:
            return hit
    return None


def entry_run(word: str, entry: Entry, line: int, style: Style) -> Run:
    if entry.alias:
        return Run(word, line, style, spoken=entry.alias)
    if entry.lang == "zh":
        syllables = iter(entry.pron.split())
        tokens = tuple(Token(c, next(syllables, ""), entry.origin) for c in word if not c.isspace())
        return Run(
            word,
            line,
            style if style.lang == "zh" else Style(**{**style.__dict__, "lang": "zh"}),
            tokens=tokens,
        )
    return Run(word, line, style, tokens=(Token(word, entry.pron, entry.origin),))


def check_ipa(ph: str, alphabet: str, text: str, source: str, line: int) -> str:
    """IPA for ``<phoneme alphabet ph>`` (ipa or x-sampa), checked against the voice's symbols."""
    if alphabet == "x-sampa":
        try:
            ph = xsampa_to_ipa(ph)
        except ValueError as exc:
            raise ManuscriptError(
                f"<phoneme> for {text!r}: {exc}",
                file=source,
                line=line,
                fix='write X-SAMPA (e.g. ph="t@\'mA:toU") or use alphabet="ipa"',
            ) from None
    allowed = ipa_symbols()
    ipa, fixed = repair_ipa(ph, allowed)
    if fixed:
        add_warning(
            "phoneme",
            f"IPA look-alikes in ph={ph!r} of {text!r} read as IPA: {describe_repairs(fixed)}",
            f"{source}:{line}",
        )
    bad = sorted({c for c in unicodedata.normalize("NFD", ipa) if c not in allowed and not c.isspace()})
    if not ipa.strip() or bad:
        raise ManuscriptError(
            f"<phoneme ph={ph!r}> for {text!r}: symbol(s) {''.join(bad)!r} are not IPA the voice can speak",
            file=source,
            line=line,
            fix="use the IPA symbols espeak-ng emits (`lector pronounce --lang en WORD`), "
            "with ˈ ˌ for stress and ː for length",
        )
    return ipa
