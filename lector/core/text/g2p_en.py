"""English words -> IPA with the espeak-ng bundled in the piper-tts wheel (no network).

A sentence is phonemised as a whole (en-us voice, as the piper English voice uses and as
Piper's voices were trained), so espeak-ng picks weak forms and homographs from context:
"a" is ɐ, not the letter name eɪ; "I have read" is ɹˈɛd; "the wire is live" is lˈaɪv.
espeak-ng's output has no word alignment (it runs function words into their neighbour:
"of the" -> ʌvðə, "out of" -> ˌaʊɾəv), so each word's own reading is aligned to the
sentence's phonemes character by character (rapidfuzz) and the sentence's phonemes are cut
at the word boundaries, preferring espeak's own spaces. Every word gets its IPA exactly as
espeak-ng emits it (stress marks kept). Punctuation becomes tokens with no pronunciation.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

from rapidfuzz.distance import Indel, Opcodes

from lector.core.errors import PronunciationError

VOICE = "en-us"
# a word: letters/digits with inner apostrophes, dots (e.g.) or hyphens; else one punctuation mark
TOKEN_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|[^\w\s]")
_LOCK = threading.Lock()  # espeak-ng keeps global state
_FLAGS = re.compile(r"\([^)]*\)")
_STRESS = "ˈˌ"
# marks espeak-ng reads as clause ends; every other symbol is kept out of its input, so that it
# never speaks a symbol ("%", "*", "/") that the engine would not say for that token either
_CLAUSE = {
    ".": ".",
    ",": ",",
    ";": ";",
    ":": ":",
    "!": "!",
    "?": "?",
    "—": ",",
    "–": ",",
    "(": ",",
    ")": ",",
    "[": ",",
    "]": ",",
    "…": ".",
}


@lru_cache(maxsize=1)
def _espeak() -> ModuleType:
    from piper import espeakbridge
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    espeakbridge.initialize(str(ESPEAK_DATA_DIR))
    espeakbridge.set_voice(VOICE)
    return espeakbridge


def split_words(text: str) -> list[str]:
    """Words and single punctuation marks, in order (whitespace dropped)."""
    return TOKEN_RE.findall(text)


def is_word(token: str) -> bool:
    return bool(token) and (token[0].isalnum())


def _pieces(text: str) -> tuple[str, ...]:
    """espeak-ng's space-separated phoneme groups for ``text`` (language-switch flags dropped)."""
    with _LOCK:
        bridge = _espeak()
        bridge.set_voice(VOICE)
        clauses = bridge.get_phonemes(text)
    return tuple(p for ph, _term, _end in clauses for p in _FLAGS.sub("", ph).split())


@lru_cache(maxsize=65536)
def _word_pieces(word: str) -> tuple[str, ...]:
    pieces = _pieces(word)
    if not pieces:
        raise PronunciationError(
            f"espeak-ng produced no phonemes for {word!r}",
            fix="spell the word out or add it to the lexicon with an IPA pronunciation",
        )
    return pieces


def word_ipa(word: str) -> str:
    """IPA of one word said alone, as espeak-ng emits it (multi-word readings like "42" joined)."""
    return "".join(_word_pieces(word))


def tokens_ipa(tokens: Sequence[str]) -> list[str]:
    """IPA of each token of one sentence, read in context ("" for punctuation tokens)."""
    index = [k for k, t in enumerate(tokens) if is_word(t)]
    out = [""] * len(tokens)
    if not index:
        return out
    words = [tokens[k] for k in index]
    # a span cut mid-sentence (a foreign phrase or markup follows) that ends on an article or a
    # preposition: espeak reads a final "a" as the letter, so a neutral noun stands in for the rest
    more = [_FOLLOWER] if tokens[-1].casefold() in _LEANING else []
    alone = [word_ipa(w) for w in words + more]  # raises PronunciationError for unreadable words
    context = _pieces(_espeak_input(list(tokens) + more))
    # align() also reads the stand-in follower (``more``): its reading is dropped here
    for k, ipa in zip(index, align(alone, context), strict=False):
        out[k] = ipa
    return out


_LEANING = frozenset(("a", "an", "the", "to", "of", "for", "and", "or", "at", "from", "than", "as"))
_FOLLOWER = "thing"


def _espeak_input(tokens: Sequence[str]) -> str:
    parts = []
    for t in tokens:
        if is_word(t):
            parts.append(t)
        elif t in _CLAUSE:
            parts.append(_CLAUSE[t])
    return re.sub(r" (?=[.,;:!?])", "", " ".join(parts))


def align(alone: Sequence[str], pieces: Sequence[str]) -> list[str]:
    """Cut the sentence phonemes ``pieces`` into one IPA string per word.

    ``alone`` is each word's reading said alone. Both sides are compared without stress marks;
    a word boundary goes to espeak's nearest space when one lies within two characters of where
    the alignment puts it, else inside the merged group ("of the" -> ʌv + ðə). A word the
    sentence reading leaves no phonemes for keeps its own reading."""
    joined = "".join(pieces)
    plain, starts = _strip(joined)
    spaces, pos = set(), 0
    for p in pieces:
        pos += len(_strip(p)[0])
        spaces.add(pos)
    ref, bounds = "", []
    for ipa in alone:
        bounds.append(len(ref))
        ref += _strip(ipa)[0]
    cuts = _map_bounds(Indel.opcodes(ref, plain), bounds, len(plain))
    cuts = _snap(cuts, sorted(spaces), len(plain))
    out = []
    for i, own in enumerate(alone):
        a, b = cuts[i], cuts[i + 1]
        out.append(joined[starts[a] : starts[b]] if b > a else own)
    return out


def _strip(ipa: str) -> tuple[str, list[int]]:
    """(ipa without stress marks, start offset in ``ipa`` of each kept character + end).
    A stress mark belongs to the character after it."""
    plain, starts, pending = [], [], None
    for k, ch in enumerate(ipa):
        if ch in _STRESS:
            pending = k if pending is None else pending
            continue
        plain.append(ch)
        starts.append(k if pending is None else pending)
        pending = None
    starts.append(len(ipa))
    return "".join(plain), starts


def _map_bounds(opcodes: Opcodes, bounds: list[int], end: int) -> list[int]:
    """Position in the sentence string of each word start, + end. Inside a run of unmatched
    characters (t h æ said as ɾ ɐ in "not have") the position is interpolated."""
    blocks: list[list[int]] = []  # [equal?, src_start, src_end, dest_start, dest_end]
    for op in opcodes:
        same = op.tag == "equal"
        if blocks and not same and not blocks[-1][0]:
            blocks[-1][2], blocks[-1][4] = op.src_end, op.dest_end
        else:
            blocks.append([same, op.src_start, op.src_end, op.dest_start, op.dest_end])
    out = []
    for a in bounds:
        b = end
        for equal, i1, i2, j1, j2 in blocks:
            if i1 <= a < i2 or a == i1 == i2:
                b = j1 + (a - i1 if equal else round((a - i1) * (j2 - j1) / max(1, i2 - i1)))
                break
        out.append(b)
    out[0] = 0
    return [*out, end]


def _snap(cuts: list[int], spaces: list[int], end: int) -> list[int]:
    """Move word cuts onto espeak's word spaces: each space goes to the nearest cut (at most two
    characters away, nearest wins); then keep the cuts strictly increasing where the string allows."""
    inner = cuts[1:-1]
    chosen: dict[int, int] = {}
    for s in spaces:
        if not 0 < s < end or not inner:
            continue
        k = bisect.bisect_left(inner, s)
        i = min((j for j in (k - 1, k) if 0 <= j < len(inner)), key=lambda j: abs(inner[j] - s))
        if abs(inner[i] - s) <= 2 and (i not in chosen or abs(inner[i] - s) < abs(inner[i] - chosen[i])):
            chosen[i] = s
    out = [0]
    for i, c in enumerate(inner):
        cut = chosen.get(i, c)
        out.append(min(max(cut, out[-1] + 1), end))
    out.append(end)
    return out
