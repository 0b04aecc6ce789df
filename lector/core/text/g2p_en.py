"""English words -> IPA with the espeak-ng bundled in the piper-tts wheel (no network).

A sentence is phonemised as a whole (en-us voice, as the piper English voice uses and as
Piper's voices were trained), so espeak-ng picks weak forms and homographs from context:
"a" is ɐ, not the letter name eɪ; "I have read" is ɹˈɛd; "the wire is live" is lˈaɪv.
espeak-ng's output has no word alignment (it runs function words into their neighbour:
"of the" -> ʌvðə, "out of" -> ˌaʊɾəv), so the sentence's phonemes are cut back into words by
``ipa_align.align`` against each word's own reading. Every word gets its IPA exactly as
espeak-ng emits it (stress marks kept). Punctuation becomes tokens with no pronunciation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

__all__ = ["align", "is_word", "split_words", "tokens_ipa", "word_ipa"]

from lector.core.errors import PronunciationError
from lector.core.text.ipa_align import align

VOICE = "en-us"
# a word: letters/digits with inner apostrophes, dots (e.g.) or hyphens; else one punctuation mark
TOKEN_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|[^\w\s]")
_LOCK = threading.Lock()  # espeak-ng keeps global state
_FLAGS = re.compile(r"\([^)]*\)")
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
    """IPA of one word said alone, as espeak-ng emits it (multi-word readings like "42" joined);
    an eye-dialect elision espeak-ng would spell ("p’fessor") is read with a schwa for the vowel
    left out (pəfˈɛsɚ)."""
    cut = _elision(word)
    return _elided_ipa(*cut) if cut else "".join(_word_pieces(word))


# eye dialect that survives respell_dialect(): a lone consonant (or "th") before an elision
# apostrophe where no English syllable starts with the letters left ("b’fo", "k’n", "m’lasses")
_ELISION = re.compile(r"(th|[b-df-hj-np-tv-z])['’]([^\W\d_]+)", re.I)
_CONSONANT_IPA = {"c": "k", "g": "ɡ", "j": "dʒ", "q": "k", "r": "ɹ", "x": "ks", "y": "j", "th": "ð"}
_VOWEL = re.compile(r"[aeiouy]", re.I)


@lru_cache(maxsize=4096)
def _elision(word: str) -> tuple[str, str] | None:
    """(onset, rest) of an elision espeak-ng says a letter name in: the onset's (b’fo: "bee-fo"),
    or the rest's when it has no vowel (y’r: "y-are")."""
    m = _ELISION.fullmatch(word)
    if m is None or m.group(2).lower() == "s":  # a letter's plural: "the B’s", "cross your t’s"
        return None
    letter = "".join(_word_pieces(m.group(1)[0])).replace("ˈ", "").replace("ˌ", "")
    said = "".join(_word_pieces(word)).replace("ˈ", "").replace("ˌ", "")
    spelled = said.startswith(letter) or not _VOWEL.search(m.group(2))
    return (m.group(1).lower(), m.group(2)) if spelled else None


def _elided_ipa(onset: str, rest: str) -> str:
    """The onset's own sound, a schwa where the rest begins with a consonant, then the rest: its
    espeak-ng reading when it holds a vowel ("fessor"), else its consonants ("ll" -> l)."""
    head = _CONSONANT_IPA.get(onset, onset)
    if _VOWEL.search(rest):
        tail = "".join(_word_pieces(rest.lower() if rest.isupper() else rest))
    else:
        tail = "".join(_CONSONANT_IPA.get(ch, ch) for ch in re.sub(r"(.)\1", r"\1", rest.lower()))
    return head + ("" if _VOWEL.match(rest) else "ə") + tail


def _stand_in(word: str) -> str:
    """What espeak-ng reads in a sentence for a word Lector reads itself: a spelled elision is
    read as a plain word ("b’fo" -> "befo") so that its neighbours keep their readings."""
    cut = _elision(word)
    return f"{cut[0]}e{cut[1].lower()}" if cut else word


def tokens_ipa(tokens: Sequence[str]) -> list[str]:
    """IPA of each token of one sentence, read in context ("" for punctuation tokens)."""
    index = [k for k, t in enumerate(tokens) if is_word(t)]
    out = [""] * len(tokens)
    if not index:
        return out
    said = [_stand_in(t) if is_word(t) else t for t in tokens]
    words = [said[k] for k in index]
    # a span cut mid-sentence (a foreign phrase or markup follows) that ends on an article or a
    # preposition: espeak reads a final "a" as the letter, so a neutral noun stands in for the rest
    more = [_FOLLOWER] if tokens[-1].casefold() in _LEANING else []
    alone = [word_ipa(w) for w in words + more]  # raises PronunciationError for unreadable words
    context = _pieces(_espeak_input(said + more))
    # align() also reads the stand-in follower (``more``): its reading is dropped here
    for k, ipa in zip(index, align(alone, context), strict=False):
        out[k] = ipa if said[k] == tokens[k] else word_ipa(tokens[k])
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
