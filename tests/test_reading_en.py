"""English reading on real excerpts of the shared Standard Ebooks (Sherlock Holmes, Huckleberry
Finn, Poe): spoken text, sentence cuts and IPA in context, exactly as a listener hears them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lector.core.model import Token
from lector.core.pronounce import CachedPronouncer, Pronouncer
from lector.core.text import g2p_en
from lector.core.text.lexicon import load_tsv
from lector.core.text.normalize_en import normalize_en
from lector.core.text.segment import split_sentences


# ------------------------------------------------------------------ normalisation (real excerpts)
@pytest.mark.parametrize(
    "text, spoken",
    [
        # Sherlock Holmes, "The Man with the Twisted Lip": old British money
        (
            "I may add that his whole debts at the present moment, as far as we have been able to ascertain, "
            "amount to £88 10s., while he has £220 standing to his credit in the Capital and Counties Bank.",
            "I may add that his whole debts at the present moment, as far as we have been able to ascertain, "
            "amount to eighty-eight pounds ten shillings, while he has two hundred and twenty pounds "
            "standing to his credit in the Capital and Counties Bank.",
        ),
        (
            "I found to my surprise that I had received no less than 26s. 4d.",
            "I found to my surprise that I had received no less than twenty-six shillings and four pence.",
        ),
        (
            "My gross takings amount to £27 10s.",
            "My gross takings amount to twenty-seven pounds ten shillings.",
        ),
        (
            "“ ‘December 22nd. Twenty-four geese at 7s. 6d.’ ”",
            "“ ‘December twenty-second. Twenty-four geese at seven shillings and six pence.’ ”",
        ),
        # Sherlock Holmes: fractions, decades, abbreviations that end a sentence
        (
            "It is in New Zealand stock, paying 4½ percent.",
            "It is in New Zealand stock, paying four and a half percent.",
        ),
        ("“It was in the early ’60s at the diggings.", "“It was in the early sixties at the diggings."),
        (
            "the letter was superscribed to “Sherlock Holmes, Esq. To be left till called for.”",
            "the letter was superscribed to “Sherlock Holmes, Esquire. To be left till called for.”",
        ),
        (
            "“Mrs. St. Clair had fainted at the sight of the blood upon the window.",
            "“Missus Saint Clair had fainted at the sight of the blood upon the window.",
        ),
        # Huckleberry Finn: regnal numerals, titles
        (
            "perished a noble stranger, natural son of Louis XIV.",
            "perished a noble stranger, natural son of Louis the Fourteenth.",
        ),
        (
            "the duke called himself Richard III; and the way they laid on",
            "the duke called himself Richard the Third; and the way they laid on",
        ),
        ("Col. Grangerford was a gentleman, you see.", "Colonel Grangerford was a gentleman, you see."),
        (
            "as follows, vizz.:⁠—Rev. Mr. Hobson, and Deacon Lot Hovey",
            "as follows, vizz.:⁠—Reverend Mister Hobson, and Deacon Lot Hovey",
        ),
        # chapter headings of Huckleberry Finn and the parts of "A Scandal in Bohemia"
        ("I", "one"),
        ("XIV", "fourteen"),
        ("XL", "forty"),
        ("XI", "eleven"),
        ("IV. The Return", "four. The Return"),
        # Poe's endnotes
        (
            "Vide Clarke’s Sermons, vol. 1, page 26, fol.",
            "Vide Clarke’s Sermons, volume one, page twenty-six, fol.",
        ),
    ],
)
def test_real_excerpts_spoken(text, spoken):
    assert normalize_en(text) == spoken


@pytest.mark.parametrize(
    "text",
    [
        "“And I.”",
        "Then I, rather imprudently, wished you good night.",
        "“So I have heard.”",
        "Jim pitied him ever so much, and so did I.",
        "So out he went, and down cellar went I.",
        "He started me off upon the letter A, and then he left me.",
        "He said no. I left.",
        "he came in.",
        "the book I read",
    ],
)
def test_pronoun_and_plain_words_untouched(text):
    assert normalize_en(text) == text


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("Chapter XIV", "Chapter fourteen"),
        ("CHAPTER XIV", "CHAPTER fourteen"),
        ("Part I", "Part one"),
        ("Book I of the poem", "Book one of the poem"),
        ("See vol. ii, p. 5, and No. 4.", "See volume two, page five, and number four."),
        ("George III was king.", "George the Third was king."),
        ("It was Charles I.", "It was Charles the First."),
        ("Charles I of England", "Charles the First of England"),
        ("in MDCCCLXXXVIII", "in eighteen eighty-eight"),
        ("Psalm XXIII", "Psalm twenty-three"),
    ],
)
def test_roman_numerals_by_context(text, spoken):
    assert normalize_en(text) == spoken


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("at 30° 31′ N", "at thirty degrees thirty-one minutes North"),
        (
            "25° 10′ 15″ S. lat. and more",
            "twenty-five degrees ten minutes fifteen seconds South latitude and more",
        ),
        ("at 30° N.", "at thirty degrees North."),
        ("25°C", "twenty-five degrees Celsius"),
        ("a 5′ 6″ man", "a five feet six inches man"),
        ("10 ℔ of flour", "ten pounds of flour"),
        ("it is 5 in. long", "it is five inches long"),
        ("it is 5l. and 3s. 6d.", "it is five pounds and three shillings and six pence."),
        ("at 2d. each", "at two pence each"),
        ("on the 2d of May", "on the second of May"),
        ("½ of it", "one half of it"),
        ("2¾ miles", "two and three quarters miles"),
        ("3 1⁄2 inches", "three and a half inches"),
        ("&c. and so on", "et cetera and so on"),
        ("§ 4 and §§ 5", "section four and sections five"),
        ("the 21st and the 1st", "the twenty-first and the first"),
        ("at No. 5 Baker Street", "at number five Baker Street"),
        ("Baker Street, 221B, upon the", "Baker Street, two hundred and twenty-one B, upon the"),
        ("Messrs. Holder & Stevenson", "Messieurs Holder and Stevenson"),
        ("viz. that, cf. this", "namely that, compare this"),
    ],
)
def test_symbols_and_units(text, spoken):
    assert normalize_en(text) == spoken


# ------------------------------------------------------------------ sentence splitting
@pytest.mark.parametrize(
    "text, sentences",
    [
        ('"Stop!" said he. "Stop!" He ran.', ['"Stop!" said he. ', '"Stop!" ', "He ran."]),
        ("‘Stop!’ said he. ‘Go!’ He ran.", ["‘Stop!’ said he. ", "‘Go!’ ", "He ran."]),
        ("“Seven!” I answered.", ["“Seven!” I answered."]),
        ("“Which candle?” I says.", ["“Which candle?” I says."]),
        ("“It is late.” He said nothing.", ["“It is late.” ", "He said nothing."]),
        (
            "I had received no less than 26s. 4d. Then I went home.",
            ["I had received no less than 26s. 4d. ", "Then I went home."],
        ),
        ("amount to £88 10s., while he has £220.", ["amount to £88 10s., while he has £220."]),
        (
            "as follows, vizz.:⁠—Rev. Mr. Hobson, and Dr. Robinson, and their wives.",
            ["as follows, vizz.:⁠—Rev. Mr. Hobson, and Dr. Robinson, and their wives."],
        ),
        (
            "On the inside of the flap he wrote “S. H. for J. O.” Then he sealed it.",
            ["On the inside of the flap he wrote “S. H. for J. O.” ", "Then he sealed it."],
        ),
        (
            "See vol. ii, p. 5, and No. 4. It is 5 in. long, i.e. short, etc. and so on. Also &c. and more.",
            [
                "See vol. ii, p. 5, and No. 4. ",
                "It is 5 in. long, i.e. short, etc. and so on. ",
                "Also &c. and more.",
            ],
        ),
        ("He said no. I left.", ["He said no. ", "I left."]),
        (
            "Compare e.g. Smith, i.e. London, viz. Paris, cf. Jones. Then stop.",
            ["Compare e.g. Smith, i.e. London, viz. Paris, cf. Jones. ", "Then stop."],
        ),
        (
            "So out he went, and down cellar went I. The hunk of butter was there.",
            ["So out he went, and down cellar went I. ", "The hunk of butter was there."],
        ),
    ],
)
def test_english_sentences(text, sentences):
    assert split_sentences(text, "en") == sentences
    assert "".join(sentences) == text


# ------------------------------------------------------------------ IPA in context
@pytest.mark.parametrize(
    "text, ipa",
    [
        # "The Adventure of the Beryl Coronet" and "A Scandal in Bohemia": the article is ɐ, not eɪ
        ("Then there was a loud and authoritative tap.", "ðˈɛn ðɛɹ wˌʌz ɐ lˈaʊd ænd ɐθˈɔɹᵻtˌeɪɾɪv tˈæp"),
        (
            "It could not have been a better fit if I had been measured for it.",
            "ɪt kʊd nˌɑːɾ ɐv bˌɪn ɐ bˈɛɾɚ fˈɪt ɪf aɪ hɐd bɪn mˈɛʒɚd fɔːɹ ɪt",
        ),
        # homographs read from their sentence
        ("I have read the book, and I will read it again.", "aɪ hæv ɹˈɛd ðə bˈʊk ænd aɪ wɪl ɹˈiːd ɪɾ ɐɡˈɛn"),
        ("Did you live there? The wire is live.", "dˈɪd juː lˈɪv ðˈɛɹ ðə wˈaɪɚɹ ɪz lˈaɪv"),
    ],
)
def test_ipa_in_sentence_context(text, ipa):
    assert Pronouncer.for_project(None).pronunciation(text, "en") == ipa


def test_every_word_gets_its_own_slice_of_the_sentence_phonemes():
    # espeak-ng runs "of the" into one group ʌvðə; each word still gets a non-empty part
    tokens = Pronouncer().tokens("He never spoke of the softer passions, save with a gibe and a sneer.", "en")
    assert [(t.text, t.pron) for t in tokens] == [
        ("He", "hiː"),
        ("never", "nˈɛvɚ"),
        ("spoke", "spˈoʊk"),
        ("of", "ʌv"),
        ("the", "ðə"),
        ("softer", "sˈɔftɚ"),
        ("passions", "pˈæʃənz"),
        (",", ""),
        ("save", "sˈeɪv"),
        ("with", "wɪð"),
        ("a", "ɐ"),
        ("gibe", "dʒˈaɪb"),
        ("and", "ænd"),
        ("a", "ɐ"),
        ("sneer", "snˈɪɹ"),
        (".", ""),
    ]


def test_letter_a_stays_a_letter():
    tokens = Pronouncer().tokens("He started me off upon the letter A, and then he left me.", "en")
    assert tokens[7] == Token("A", "ˈeɪ", "g2p")


def test_span_cut_before_a_foreign_phrase_keeps_the_weak_article():
    # "A Case of Identity": "...the marriage is a <i xml:lang="fr">fait accompli</i>":
    # the English span ends on "a"
    tokens = Pronouncer().tokens("“And this, of course, remains to you, since the marriage is a ", "en")
    assert [(t.text, t.pron) for t in tokens[-3:]] == [("marriage", "mˈæɹɪdʒ"), ("is", "ɪz"), ("a", "ɐ")]


def test_align_splits_merged_groups_and_keeps_words_nonempty():
    assert g2p_en.align(["nˈɑːt", "hˈæv"], ["nˌɑːɾɐv"]) == ["nˌɑːɾ", "ɐv"]
    assert g2p_en.align(["fˈɔːɹ", "ðə"], ["fɚðɪʲ"]) == ["fɚ", "ðɪʲ"]
    assert g2p_en.align(["pɚtˈɪkjʊlɚ", "ˈiːbʊk"], ["pɚtˈɪkjʊlɚɹ", "ˈiːbʊk"]) == ["pɚtˈɪkjʊlɚɹ", "ˈiːbʊk"]
    assert g2p_en.align(["wˈʌn", "tˈuː"], ["wˈʌn"]) == ["wˈʌn", "tˈuː"]  # nothing left: its own reading


def test_lexicon_entry_reaches_the_engine_in_context(tmp_path: Path):
    (tmp_path / "lexicon.tsv").write_text("Watson\twˈɑːtsʌn\n", encoding="utf-8")
    p = Pronouncer(load_tsv(tmp_path / "lexicon.tsv"))
    tokens = p.tokens("“You see, Watson,” he explained, “a man should keep his little brain-attic.”", "en")
    assert tokens[4] == Token("Watson", "wˈɑːtsʌn", "lexicon:lexicon.tsv:1")
    assert [t.pron for t in tokens if t.text == "a"] == ["ɐ"]


def test_cached_english_tokens_equal_fresh_and_reload(tmp_path: Path):
    text = "Then there was a loud and authoritative tap."
    fresh = Pronouncer()
    cached = CachedPronouncer(fresh, tmp_path / "tokens.json")
    assert cached.tokens(text, "en") == fresh.tokens(text, "en")
    cached.flush()
    again = CachedPronouncer(Pronouncer(), tmp_path / "tokens.json")
    assert f"en\x1f{text}" in again._known
    assert again.tokens(text, "en") == fresh.tokens(text, "en")
