"""Sentence segmentation, long-sentence splitting and language runs.

All splitters are lossless: ``"".join(pieces) == text`` always holds, so no
character of the manuscript is ever dropped.

- English: pysbd (rule-based, handles ``Dr.``, ``e.g.``, quotes), corrected for titles and
  number abbreviations (Mr., St., vol., p., No.), old money (10s. 6d.), initials and dialogue
  (“Stop!” said he. / “Is it?” I asked. stay one sentence; “Stop!” He ran. is two).
- Chinese: split after 。！？…；!? (and ``;``) keeping closing quotes/brackets
  (”」』）etc.) with the sentence they close.
- Mixed text: :func:`split_lang` cuts Han runs (zh) from Latin word runs (en);
  digits, spaces and punctuation attach to the surrounding run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from lector.core.text.zh_units import AFTER_DIGIT_PER_UNITS, AFTER_DIGIT_UNITS

if TYPE_CHECKING:
    import pysbd

DEFAULT_MAX_CHARS = {"zh": 120, "en": 400}
_ZH_END = "。！？!?…；;"
_CLOSERS = "”’」』）)】》〉\"'"
_ZH_SENT_RE = re.compile(f"[{re.escape(_ZH_END)}]+[{re.escape(_CLOSERS)}]*")
_CLAUSE_CHARS = "，、；：,;:—"


def is_han(ch: str) -> bool:
    """CJK unified ideographs (BMP, extension A, extensions B-H) and compatibility ideographs."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x323AF


def is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or "\u00c0" <= ch <= "\u024f"


# one Han character weighs as much as a short English word when a text's language is weighed
HAN_WEIGHT = 3


def dominant_lang(text: str, default: str = "zh") -> str:
    """ "zh" when Han characters (each weighing HAN_WEIGHT Latin letters) at least match the Latin
    letters, "en" when fewer, ``default`` when the two counts are equal."""
    han = sum(1 for c in text if is_han(c))
    latin = sum(1 for c in text if is_latin(c))
    if han == latin:
        return default
    return "zh" if han * HAN_WEIGHT >= latin else "en"


@lru_cache(maxsize=1)
def _pysbd() -> pysbd.Segmenter:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


_EN_TERMINAL = ".!?…;:" + _CLOSERS
_LIST_NUMBER_RE = re.compile(r"\d+[.)]\s+")


def _en_cuts(text: str) -> list[int]:
    """pysbd's cuts, corrected for English prose (see :func:`_joins`).

    pysbd reads "... number 6. Tower ... number 7. Tower" as a list and cuts *before*
    "6." — leaving a sentence without its number and making a neighbour's id depend on
    the edit. A cut whose left side has no terminal punctuation is moved past a leading
    "N. " when there is one, else dropped (the long-sentence splitter bounds length).
    A cut right before a closing quote moves past it (‘Stop!’ keeps its ’), a quotation
    that ends a sentence and is followed by a new one gets its cut (‘Go!’ He ran.), and
    cuts after an abbreviation or inside a dialogue tag are dropped."""
    cuts = {m.end() for m in _QUOTE_END_RE.finditer(text)}
    for span in _pysbd().segment(text):
        cut = _past_closers(text, span.end)
        if cut >= len(text) or text[:cut].rstrip().endswith(tuple(_EN_TERMINAL)):
            cuts.add(cut)
            continue
        m = _LIST_NUMBER_RE.match(text, cut)
        if m:
            cuts.add(m.end())
    return [c for c in sorted(cuts) if c >= len(text) or not _joins(text[:c].rstrip(), text[c:].lstrip())]


_QUOTE_END_RE = re.compile(r"[.!?…]+[’”\"']+\s+(?=[‘“\"'(]?[A-Z])")
# words after which a full stop does not end the sentence: titles before a name, viz. cf. e.g.
# i.e. before what they introduce; and abbreviations before a number ("No. 4", "vol. ii")
_NEVER_FINAL_RE = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Messrs|Dr|St|Rev|Hon|Capt|Col|Gen|Lieut|Prof|Sgt|Mme|Mlle|Mons"
    r"|Gov|Maj|Mt|Ft|viz|cf|vs|e\.g|i\.e)\.$"
)
_NUMBER_ABBR_RE = re.compile(r"(?<![\w.])(?:No|Nos|no|vol|vols|Vol|p|pp|ch|chap|Chap|fig|Fig|art|sec|Sec)\.$")
_MONEY_RE = re.compile(r"\d\s?[lsd]\.$")
_INITIAL_RE = re.compile(r"(?<![\w.’'])[A-HJ-Z]\.$")
_NUMERAL_START = re.compile(r"(?:\d|[ivxlcdm]+\b|(?:[IVXLCDM]{2,}|[VX])\b)")  # not "I": "said no. I left"
SPEECH_VERBS = (
    "said",
    "says",
    "asked",
    "asks",
    "cried",
    "cries",
    "replied",
    "answered",
    "remarked",
    "exclaimed",
    "shouted",
    "whispered",
    "observed",
    "continued",
    "added",
    "muttered",
    "murmured",
    "returned",
    "interrupted",
    "began",
    "repeated",
    "sobbed",
    "gasped",
    "groaned",
    "screamed",
    "called",
    "inquired",
    "enquired",
    "demanded",
    "suggested",
    "roared",
    "panted",
    "laughed",
    "sighed",
    "snapped",
    "growled",
    "yelled",
    "sang",
    "protested",
    "urged",
    "explained",
    "declared",
    "insisted",
    "resumed",
    "rejoined",
    "ejaculated",
    "responded",
    "pleaded",
    "stammered",
    "hissed",
    "bawled",
    "hollered",
    "sings",
    "thundered",
    "went on",
)
_TAG_RE = re.compile(r"(?:I|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}) (?:" + "|".join(SPEECH_VERBS) + r")\b")


def _past_closers(text: str, cut: int) -> int:
    """Move a cut that falls right before closing quotes/brackets past them and the spaces after."""
    end = cut
    while end < len(text) and text[end] in _CLOSERS and end > 0 and not text[end - 1].isspace():
        end += 1
    if end == cut:
        return cut
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _joins(left: str, right: str) -> bool:
    """True when the cut between ``left`` and ``right`` is not a sentence end."""
    if not right or not left:
        return False
    first = right[0]
    if first.islower() or first in ",;:)]":
        return True  # “Stop!” said he. / etc. and so on / £88 10s., while
    if _NEVER_FINAL_RE.search(left):
        return True
    if (_NUMBER_ABBR_RE.search(left) or _MONEY_RE.search(left)) and _NUMERAL_START.match(right):
        return True
    if _INITIAL_RE.search(left) and first.isupper():
        return True  # S. H. for J. O. / B. de St. Pierre
    return left[-1] in _CLOSERS and left.rstrip(_CLOSERS)[-1:] in "?!" and bool(_TAG_RE.match(right))


def split_sentences(text: str, lang: str) -> list[str]:
    """Split ``text`` into sentences (lossless). ``lang`` picks the rules: "zh" or other."""
    return list(_split_sentences(text, lang))


@lru_cache(maxsize=1 << 14)
def _split_sentences(text: str, lang: str) -> tuple[str, ...]:
    # a pure function of its input, remembered: every render plans the whole book again, and
    # after an edit all but one paragraph are the same text (pysbd was half of planning)
    return tuple(_split(text, lang))


def _split(text: str, lang: str) -> list[str]:
    if not text:
        return []
    cuts = [m.end() for m in _ZH_SENT_RE.finditer(text)] if lang == "zh" else _en_cuts(text)
    pieces, start = [], 0
    for cut in cuts:
        if cut > start and text[start:cut].strip():
            pieces.append(text[start:cut])
            start = cut
    if start < len(text):
        if pieces and not text[start:].strip():
            pieces[-1] += text[start:]
        else:
            pieces.append(text[start:])
    return pieces


def split_long(text: str, max_chars: int) -> list[str]:
    """Split a sentence longer than ``max_chars`` at clause marks, then spaces, then
    anywhere (hard split). Lossless; every piece has at most ``max_chars`` characters
    (whitespace at the edges excluded)."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    pieces: list[str] = []
    rest = text
    while len(rest.strip()) > max_chars:
        lead = len(rest) - len(rest.lstrip())
        cut = _best_cut(rest, lead, lead + max_chars)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        if pieces and not rest.strip():
            pieces[-1] += rest
        else:
            pieces.append(rest)
    return pieces


def _best_cut(text: str, lo: int, hi: int) -> int:
    """Index to cut ``text`` at: after the last clause mark or space in (lo, hi]."""
    window = text[lo:hi]
    floor = max(1, (hi - lo) // 3)  # avoid tiny first pieces when possible
    for chars in (_CLAUSE_CHARS, " \t\n"):
        best = max((i for i, c in enumerate(window) if c in chars and _cuttable(text, lo + i)), default=-1)
        if best + 1 >= floor:
            return lo + best + 1
    return hi


def _cuttable(text: str, at: int) -> bool:
    """Not the separator inside a number or a time ("2,000", "5:15"): cut there, the two halves
    are read as two numbers ("two, zero")."""
    return not (0 < at < len(text) - 1 and text[at - 1].isdigit() and text[at + 1].isdigit())


def split_lang(text: str, default: str = "zh") -> list[tuple[str, str]]:
    """Cut ``text`` into (run, lang) pairs: Han -> "zh", Latin words -> "en".

    Neutral characters (digits, spaces, punctuation) join the preceding run,
    except digits written directly before a Han character (``3次``), which join it.
    Text with no letters at all gets ``default``. Lossless."""
    runs: list[_Run] = []
    for ch in text:
        kind = "zh" if is_han(ch) else "en" if is_latin(ch) else None
        if runs and (kind is None or runs[-1].lang in (kind, None)):
            if kind is not None and runs[-1].lang is None:
                runs[-1].lang = kind
            runs[-1].text += ch
        else:
            runs.append(_Run(ch, kind))
    _move_numbers_to_han(runs)
    runs = _units_stay_han(runs)
    if len(runs) == 1 and runs[0].lang is None:
        runs[0].lang = default
    return [(r.text, r.lang or default) for r in runs]


@dataclass(slots=True)
class _Run:
    text: str
    lang: str | None  # None: no letters yet


_TRAILING_NUM = re.compile(r"[0-9０-９.,:%％$¥￥/-]+$")


# unit symbols written straight after a number in Chinese text (70kg, 3m/s): read in Chinese by
# normalize_zh (公斤, 米每秒), not handed to an English voice or spelled letter by letter
_UNIT_AFTER_DIGIT = re.compile(
    rf"(?:{'|'.join(sorted(AFTER_DIGIT_UNITS, key=lambda u: (-len(u), u)))})"
    rf"(?:/(?:{'|'.join(AFTER_DIGIT_PER_UNITS)}))?(?![A-Za-z])[^A-Za-z]*$"
)


def _units_stay_han(runs: list[_Run]) -> list[_Run]:
    out: list[_Run] = []
    for run in runs:
        prev = out[-1] if out else None
        unit = (
            prev is not None
            and prev.lang == "zh"
            and run.lang == "en"
            and prev.text[-1:].isdigit()
            and _UNIT_AFTER_DIGIT.match(run.text)
        )
        if prev is not None and (unit or (prev.lang == "zh" and run.lang == "zh")):
            prev.text += run.text
        else:
            out.append(run)
    return out


def _move_numbers_to_han(runs: list[_Run]) -> None:
    for i in range(1, len(runs)):
        prev, cur = runs[i - 1], runs[i]
        if cur.lang == "zh" and prev.lang == "en":
            m = _TRAILING_NUM.search(prev.text)
            if m and not prev.text[: m.start()].endswith(tuple("0123456789")) and m.start() > 0:
                cur.text = prev.text[m.start() :] + cur.text
                prev.text = prev.text[: m.start()]
