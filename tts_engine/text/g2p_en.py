"""English words -> IPA with the espeak-ng bundled in the piper-tts wheel (no network).

Words are phonemised one by one (en-us voice, as the piper English voice uses),
so every word gets its own IPA string exactly as espeak-ng emits it
(stress marks kept). Punctuation becomes tokens with an empty pronunciation.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from tts_engine.errors import PronunciationError

VOICE = "en-us"
# a word: letters/digits with inner apostrophes, dots (e.g.) or hyphens; else one punctuation mark
TOKEN_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|[^\w\s]")
_LOCK = threading.Lock()  # espeak-ng keeps global state
_FLAGS = re.compile(r"\([^)]*\)")


@lru_cache(maxsize=1)
def _espeak():
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


@lru_cache(maxsize=65536)
def word_ipa(word: str) -> str:
    """IPA of one word as espeak-ng emits it (multi-word readings like "42" joined)."""
    with _LOCK:
        bridge = _espeak()
        bridge.set_voice(VOICE)
        clauses = bridge.get_phonemes(word)
    ipa = "".join(_FLAGS.sub("", ph).replace(" ", "") for ph, _term, _end in clauses)
    if not ipa:
        raise PronunciationError(f"espeak-ng produced no phonemes for {word!r}",
                                 fix="spell the word out or add it to the lexicon with an IPA pronunciation")
    return ipa
