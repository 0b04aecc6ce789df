"""What listeners hear on the real books: errors found reading the spoken text of the shared EPUBs'
plans, each checked on a short snippet and, where cheap, on the book itself."""

import re
import unicodedata
from collections import Counter
from pathlib import Path

from lector.core.engines.base import SynthRequest
from lector.core.engines.registry import get_engine
from lector.core.ingest import Break, Run, read_manuscript
from lector.core.ingest.epub import read_epub
from lector.core.ingest.epub_structure import Shape
from lector.core.ingest.tags import Vocabulary
from lector.core.model import Span, Token
from lector.core.planwarn import collecting
from lector.core.project import EngineOptions, ManuscriptSettings, load_project
from lector.core.pronounce import Pronouncer
from lector.core.text.g2p_en import _espeak_input, _pieces, split_words, tokens_ipa, word_ipa
from lector.core.text.normalize_en import normalize_en
from lector.core.text.segment import split_long
from tests.epub_kit import EN_TOML, page, write_epub
from tests.test_project import make_project

BOOKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
POE = BOOKS / "edgar-allan-poe_poetry.epub"
HUCK = BOOKS / "mark-twain_the-adventures-of-huckleberry-finn.epub"
VOCAB = Vocabulary(emotions=("neutral",), voices=("narrator",))


def _texts(chapter) -> list[str]:
    return ["".join(i.text for i in p.items if isinstance(i, Run)).strip() for p in chapter.paragraphs]


# Sherlock Holmes, "The Redheaded League": a long quoted speech cut at the comma of "2,000" was read
# "contains two, ... zero napoleons"; "The Beryl Coronet": "£1,000 apiece" -> "one pound, ... zero".
def test_long_sentence_never_cut_inside_a_number():
    text = "The crate upon which I sit contains 2,000 napoleons packed between layers of lead foil."
    assert split_long(text, 45) == [
        "The crate upon which I sit contains 2,000 ",
        "napoleons packed between layers of lead foil.",
    ]
    assert split_long("He left by the 5:15 train from Charing Cross.", 18) == [
        "He left by the ",
        "5:15 train from ",
        "Charing Cross.",
    ]
    assert split_long("one, two, three", 9) == ["one, two,", " three"]  # clause marks still cut


# Huckleberry Finn, chapter XXXIII: "“No. I warn’t ever murdered" was read "number I warn’t".
def test_no_before_the_pronoun_is_the_word_no():
    assert normalize_en("“No. I warn’t ever murdered at all\u2060—I played it on them.”") == (
        "“No. I warn’t ever murdered at all\u2060—I played it on them.”"
    )
    assert normalize_en("No. I’m not.") == "No. I’m not."
    assert normalize_en("No. IV was let; No. 4 was not.") == "number four was let; number four was not."


# Sherlock Holmes, "The Blue Carbuncle" and "The Engineer's Thumb": "the 22nd inst." read "inst".
def test_latin_month_words_after_a_day():
    assert normalize_en("upon the 22nd inst., abstracted") == "upon the twenty-second instant, abstracted"
    assert normalize_en("Your letter of the 3rd ult.") == "Your letter of the third ultimo."
    assert normalize_en("We met on the 5th prox. at noon.") == "We met on the fifth proximo at noon."
    assert normalize_en("the inst. of art") == "the inst. of art"


# Poe's notes (notes = "chapter-end"): "—⁠Ed." was read as the name "Ed".
def test_editorial_attribution():
    assert normalize_en("In climes of mine imagining apart? —\u2060Ed.") == (
        "In climes of mine imagining apart? —\u2060Editor."
    )
    assert normalize_en("A line of verse.” —Trans.") == "A line of verse.” —Translator."
    assert normalize_en("Ed. went home.") == "Ed. went home."


POEM = page(
    '<h2>Dreams</h2><blockquote epub:type="z3998:poem"><p><span>In visions of the dark night</span><br/>'
    '<span>Inclines of my imaginary apart<a href="notes.xhtml#note-2" id="noteref-2" epub:type="noteref">2'
    "</a></span><br/><span>Of waking life.</span></p></blockquote>"
)
POEM_NOTES = page(
    '<section epub:type="endnotes"><h2>Endnotes</h2><ol><li id="note-2"><p>In climes of mine imagining '
    'apart? <a href="c.xhtml#noteref-2" epub:type="backlink">↩</a></p></li></ol></section>',
    ' epub:type="backmatter"',
)


# Poe's poems: a verse line holding a note mark (<span>words<a noteref>2</a></span>) was taken for the
# mark itself: the whole line left out of the poem and used as the note's label ("Note Inclines ... 2").
def test_verse_line_with_a_note_mark_is_read(tmp_path):
    book = write_epub(
        tmp_path / "b.epub", [("c.xhtml", POEM), ("notes.xhtml", POEM_NOTES)], nav=[("c.xhtml", "Dreams")]
    )
    shape = Shape(front_matter=ManuscriptSettings().front_matter, notes="chapter-end")
    with collecting() as warnings:
        chapters = read_epub(book, source="manuscript/b.epub", vocab=VOCAB, shape=shape)
    lines = [i.text.strip() if isinstance(i, Run) else i.ms for i in chapters[0].paragraphs[1].items]
    assert lines == [
        "In visions of the dark night",
        300,
        "Inclines of my imaginary apart",
        300,
        "Of waking life.",
        1000,
    ]
    assert _texts(chapters[0])[2:] == ["Notes", "Note 2. In climes of mine imagining apart?"]
    assert ("note", "1 note reference mark(s) not read") in [(w.kind, w.message) for w in warnings]


def test_poe_lines_with_note_marks_are_in_the_poems(tmp_path):
    make_project(
        tmp_path, {}, EN_TOML + '\n[credits]\nopening = false\n[manuscript]\nnotes = "chapter-end"\n'
    )
    (tmp_path / "manuscript" / POE.name).symlink_to(POE)
    chapters = {c.title: c for c in read_manuscript(load_project(tmp_path))}
    dreams = [i for p in chapters["Dreams"].paragraphs for i in p.items]
    at = next(k for k, i in enumerate(dreams) if isinstance(i, Run) and "Inclines of my" in i.text)
    assert [i.text.strip() if isinstance(i, Run) else i.ms for i in dreams[at - 1 : at + 3]] == [
        300,
        "Inclines of my imaginary apart",
        300,
        "From mine own home, with beings that have been",
    ]
    assert isinstance(dreams[at + 1], Break)
    notes = _texts(chapters["Dreams"])[-2:]
    assert notes == ["Notes", "Note 2. In climes of mine imagining apart? —\u2060Ed."]
    al_aaraaf = _texts(chapters["Al Aaraaf"])
    assert [t for t in al_aaraaf if t.startswith("Note 6.")] == [
        "Note 6. On Santa Maura\u2060—olim Deucadia."
    ]
    labels = [t.split(".")[0] for t in al_aaraaf if t.startswith("Note ")]
    assert labels == [f"Note {n}" for n in range(5, 35)]


# Huckleberry Finn: the piper voice speaks the phonemes espeak-ng gives the spoken text, and espeak-ng
# said the letter names in "a-shaking" ("ay-shaking", 184 words of the book), "b’lieve" ("bee-lieve"),
# "s’pose" ("ess-pose"), "W’y" ("double-u-why").
def test_eye_dialect_is_respelled_for_the_engine():
    assert normalize_en("He was a-shaking and a-going, I b’lieve, s’pose so.") == (
        "He was a shaking and a going, I blieve, spose so."
    )
    assert normalize_en("W’y, t’other k’yards, C’lumbus, b’long, y’all.") == (
        "Wy, tother kyards, Clumbus, blong, yall."
    )
    assert (
        normalize_en("Th’ old man said th’ river rose; e’en so.")
        == "The old man said the river rose; een so."
    )
    # kept: no English syllable starts so ("b’fo", "n’ll"), espeak-ng knows them ("d’ye", "c’mon"), a
    # capital follows ("s’I": "sI" is spelled too), French and Italian elisions
    kept = "b’fo, n’ll, d’ye, c’mon, y’know, ’em, o’er, O’Brien, A-A-Men, s’I, c’est, l’oeuvre, d’oro"
    assert normalize_en(kept) == kept


def test_eye_dialect_phonemes_have_no_letter_names():
    words = split_words(normalize_en("He was a-shaking, I b’lieve, s’pose so."))
    assert list(zip(words, tokens_ipa(words), strict=True)) == [
        ("He", "hiː"),
        ("was", "wʌz"),
        ("a", "ɐ"),
        ("shaking", "ʃˈeɪkɪŋ"),
        (",", ""),
        ("I", "aɪ"),
        ("blieve", "blˈiːv"),
        (",", ""),
        ("spose", "spˈoʊz"),
        ("so", "sˈoʊ"),
        (".", ""),
    ]


def _read(text: str) -> tuple[list[tuple[str, str]], str, str]:
    """(word, IPA) pairs of a sentence, its words' IPA joined, and espeak-ng's whole-sentence reading."""
    words = split_words(normalize_en(text))
    ipas = tokens_ipa(words)
    sentence = "".join(_pieces(_espeak_input(words)))
    return [(w, i) for w, i in zip(words, ipas, strict=True) if i], "".join(ipas), sentence


# The review panel lists each word with its phonemes; espeak-ng runs short words into a neighbour
# ("that a" -> ðˌæɾə) and the cut between them slid: Sherlock Holmes, "A Case of Identity": "a" was
# shown as t and "typewriter" as ˈaɪpɹaɪɾɚ (and piper heard a word break inside "typewriter").
def test_each_word_gets_its_own_phonemes():
    pairs, joined, sentence = _read("“that a typewriter has really quite as much individuality")
    assert pairs[:4] == [("that", "ðˌæɾ"), ("a", "ə"), ("typewriter", "tˈaɪpɹaɪɾɚ"), ("has", "hɐz")]
    assert joined == sentence  # the sentence's phonemes, only divided differently
    pairs, joined, sentence = _read("“There is nothing more deceptive than an obvious fact,” he answered.")
    assert pairs[4:8] == [("deceptive", "dᵻsˈɛptɪv"), ("than", "ðˌæn"), ("an", "ən"), ("obvious", "ˈɑːbviəs")]
    assert joined == sentence


# Huckleberry Finn: the linking r went to "a" (over a root: "a" = ɹ, "root" = ɐɹˈuːt).
def test_linking_r_stays_with_its_word():
    pairs, joined, sentence = _read("When we was passing by the kitchen I fell over a root and made a noise.")
    assert pairs[8:13] == [
        ("fell", "fˈɛl"),
        ("over", "ˌoʊvɚɹ"),
        ("a", "ɐ"),
        ("root", "ɹˈuːt"),
        ("and", "ænd"),
    ]
    assert joined == sentence
    pairs, joined, sentence = _read("I took one slow step at a time and there warn’t a sound.")
    assert pairs[5:8] == [("at", "æɾ"), ("a", "ə"), ("time", "tˈaɪm")]
    assert joined == sentence
    # espeak-ng's r-coloured "a" before an r-word is the article's own vowel, not the neighbour's
    pairs, joined, sentence = _read("It was that dull kind of a regular sound.")
    assert pairs[5:8] == [("of", "əv"), ("a", "ɚ"), ("regular", "ɹˈɛɡjʊlɚ")]
    assert joined == sentence


# Huckleberry Finn: elisions that no English syllable starts with ("b’fo’", "k’n", "p’fessor") were
# read with letter names ("bee-fo", "kay-n", "pee-fessor"); the vowel left out is now a schwa.
def test_spelled_elisions_are_read_with_a_schwa():
    said = ["b’fo", "f’m", "k’n", "k’chunk", "m’am", "m’lasses", "n’ll", "p’fessor", "p’simmons", "s’rp"]
    assert [word_ipa(w) for w in said] == [
        "bəfˈoʊ", "fəm", "kən", "kətʃˈʌŋk", "mæm", "məlˈæsᵻz", "nəl", "pəfˈɛsɚ", "pəsˈɪmənz", "səɹp",
    ]  # fmt: skip
    assert [word_ipa(w) for w in ["th’n", "t’ll", "y’r"]] == ["ðən", "təl", "jəɹ"]
    # espeak-ng's own elisions and a letter's plural stay as espeak-ng reads them
    assert [word_ipa(w) for w in ["d’ye", "c’mon", "y’know", "B’s", "t’s"]] == [
        "djə", "kəmˈɑːn", "jənˈoʊ", "bˈiːz", "tˈiːz",
    ]  # fmt: skip
    pairs, _, _ = _read("I k’n tell a fortune pretty good, b’fo’ dey started.")
    assert pairs[:4] == [("I", "aɪ"), ("k’n", "kən"), ("tell", "tˈɛl"), ("a", "ɐ")]
    assert ("b’fo", "bəfˈoʊ") in pairs


def test_says_i_is_in_the_base_lexicon(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    tokens = Pronouncer.for_project(tmp_path).tokens("Well, s’I, he’s crazy, s'I.", "en")
    assert [(t.text, t.pron) for t in tokens if t.text.startswith("s")] == [
        ("s’I", "sɛz aɪ"),
        ("s'I", "sɛz aɪ"),
    ]


def test_huck_finn_elisions_have_no_letter_names(tmp_path):
    make_project(tmp_path, {}, EN_TOML + "\n[credits]\nopening = false\n")
    (tmp_path / "manuscript" / HUCK.name).symlink_to(HUCK)
    elided = re.compile(r"(?<!\w)(?:th|[b-df-hj-np-tv-z])’[a-z]+", re.I)
    found = Counter()
    for chapter in read_manuscript(load_project(tmp_path)):
        for text in _texts(chapter):
            spoken = normalize_en(text)
            if not elided.search(spoken):
                continue
            words = split_words(spoken)
            for word, ipa in zip(words, tokens_ipa(words), strict=True):
                if elided.fullmatch(word) and not word.startswith(("s’I", "S’I")):
                    found[f"{word}={ipa}"] += 1
    assert found == {
        "k’n=kən": 7, "b’fo=bəfˈoʊ": 6, "m’am=mæm": 4, "y’r=jəɹ": 3, "p’simmons=pəsˈɪmənz": 2,
        "f’m=fəm": 2, "p’fessor=pəfˈɛsɚ": 1, "n’ll=nəl": 1, "k’chunk=kətʃˈʌŋk": 1, "d’ye=djə": 1,
        "s’rp=səɹp": 1, "t’s=tˈiːz": 1, "th’n=ðən": 1, "m’lasses=məlˈæsᵻz": 1, "t’ll=təl": 1,
    }  # fmt: skip


# Sherlock Holmes, "The Man with the Twisted Lip": "Mr. Neville St.⁠—Oh, come" was read "Street".
def test_saint_before_a_name_or_cut_off_after_one():
    assert normalize_en("making away with Mr. Neville St.\u2060—Oh, come") == (
        "making away with Mister Neville Saint\u2060—Oh, come"
    )
    assert normalize_en("Neville St. Clair went into town.") == "Neville Saint Clair went into town."
    assert normalize_en("He lives in Baker St.") == "He lives in Baker Street."
    assert (
        normalize_en("He lives in Baker St. The house is old.")
        == "He lives in Baker Street. The house is old."
    )
    assert normalize_en("Meet me in Baker St.—no, in Oxford St. today.") == (
        "Meet me in Baker Street—no, in Oxford Street today."
    )


# What piper speaks: the token IPA joined, which is espeak-ng's sentence reading to the phoneme; the
# cuts only move word breaks inside a group espeak-ng ran together (and off the middle of a word).
def test_piper_hears_the_sentence_reading_unchanged():
    engine = get_engine("piper-en", EngineOptions(threads=1))
    cfg = engine.config.phoneme_id_map
    between = {cfg["_"][0], cfg[" "][0]}
    texts = {
        "that a typewriter has really quite as much individuality": "ðˌæɾ ə tˈaɪpɹaɪɾɚ hɐz ɹˈiəli",
        "I fell over a root and made a noise": "aɪ fˈɛl ˌoʊvɚɹ ɐ ɹˈuːt ænd",
        "nothing more deceptive than an obvious fact": "nˈʌθɪŋ mˈɔːɹ dᵻsˈɛptɪv ðˌæn ən ˈɑːbviəs",
        "he would not have gone out of the house for the world": "hiː wʊd nˌɑːɾ ɐv ɡɔn ˌaʊɾ əv ðə",
    }
    for text, start in texts.items():
        words = split_words(text)
        ipas = tokens_ipa(words)
        assert " ".join(ipas).startswith(start)
        span = Span(text, text, "en", tuple(Token(w, i) for w, i in zip(words, ipas, strict=True)))
        heard = [i for i in engine.phoneme_ids(SynthRequest("s", (span,))) if i not in between]
        reading = unicodedata.normalize("NFD", "".join(_pieces(_espeak_input(words))))
        assert heard == [*cfg["^"], *(cfg[ch][0] for ch in reading), *cfg["$"]]
