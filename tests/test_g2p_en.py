"""English IPA from the espeak-ng bundled in piper-tts (pinned to what it emits)."""

from __future__ import annotations

import pytest

from lector.core.text.g2p_en import split_words, word_ipa


@pytest.mark.parametrize(
    "word, ipa",
    [
        ("hello", "həlˈoʊ"),
        ("world", "wˈɜːld"),
        ("read", "ɹˈiːd"),
        ("the", "ðə"),
        ("don't", "dˈoʊnt"),
        ("42", "fˈɔːɹɾitˈuː"),
    ],
)
def test_word_ipa_is_espeak_output(word, ipa):
    assert word_ipa(word) == ipa


def test_split_words_keeps_punctuation_as_tokens():
    assert split_words("Hello, world! Don't stop—state-of-the-art.") == [
        "Hello",
        ",",
        "world",
        "!",
        "Don't",
        "stop",
        "—",
        "state-of-the-art",
        ".",
    ]
