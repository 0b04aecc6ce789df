"""EPUB semantics: structure-based chapters, front matter by epub:type / doc-* roles, page breaks,
note references and notes, verse pauses, code and tables, ssml:ph, package PLS, credits, long chapters."""

import zipfile
from pathlib import Path

import pytest

from lector.core.errors import LexiconError
from lector.core.ingest import Break, Run, read_manuscript
from lector.core.ingest.epub import is_front_matter, read_epub
from lector.core.ingest.epub_structure import Shape
from lector.core.ingest.tags import Vocabulary
from lector.core.model import Token
from lector.core.planner import build_plan
from lector.core.planwarn import collecting
from lector.core.project import ManuscriptSettings, load_project
from tests.epub_kit import EN_TOML, NO_CREDITS, page, write_epub
from tests.test_project import StubPronouncer, make_project

VOCAB = Vocabulary(emotions=("neutral",), voices=("narrator",))
FRONT = ManuscriptSettings().front_matter


def _texts(chapter) -> list[str]:
    return ["".join(i.text for i in p.items if isinstance(i, Run)).strip() for p in chapter.paragraphs]


def _read(path: Path, **shape) -> list:
    return read_epub(path, source="manuscript/b.epub", vocab=VOCAB, shape=Shape(front_matter=FRONT, **shape))


ONE_FILE = page("""<section epub:type="titlepage"><h1>The Book</h1><p>By Someone</p></section>
<section epub:type="copyright-page"><p>Copyright 2020.</p></section>
<section role="doc-colophon"><p>Set in Garamond.</p></section>
<section epub:type="bodymatter"><section epub:type="chapter" id="c1"><h2>Chapter One</h2><p>First text.</p>
<section id="c1s"><h3>A part</h3><p>Sub text.</p></section></section>
<section epub:type="chapter" id="c2"><h2>Chapter Two</h2><p>Second text.</p></section></section>""")


def test_one_file_nested_sections_split_without_nav(tmp_path):
    chapters = _read(write_epub(tmp_path / "b.epub", [("book.xhtml", ONE_FILE)]))
    assert [c.title for c in chapters] == ["Chapter One", "Chapter Two"]
    assert [_texts(c) for c in chapters] == [
        ["Chapter One", "First text.", "A part", "Sub text."],
        ["Chapter Two", "Second text."],
    ]
    assert chapters[0].source == "manuscript/b.epub/book.xhtml"


def test_one_file_chapters_from_nav_fragments(tmp_path):
    nav = [
        ("book.xhtml#c1", "One From Nav", [("book.xhtml#c1s", "A part")]),
        ("book.xhtml#c2", "Two From Nav"),
    ]
    chapters = _read(write_epub(tmp_path / "b.epub", [("book.xhtml", ONE_FILE)], nav=nav))
    assert [(c.title, len(c.paragraphs)) for c in chapters] == [("One From Nav", 4), ("Two From Nav", 2)]


def test_chapter_across_files_joined_and_headed_file_starts_one(tmp_path):
    docs = [
        ("ch1.xhtml", page("<h2>One</h2><p>Start of one.</p>")),
        ("ch1b.xhtml", page("<p>Rest of one.</p>")),  # a converter's split file
        ("extra.xhtml", page("<h2>Interlude</h2><p>Between.</p>")),
        ("ch2.xhtml", page("<h2>Two</h2><p>Text of two.</p>")),
    ]
    chapters = _read(write_epub(tmp_path / "b.epub", docs, nav=[("ch1.xhtml", "One"), ("ch2.xhtml", "Two")]))
    assert [(c.title, _texts(c)) for c in chapters] == [
        ("One", ["One", "Start of one.", "Rest of one."]),
        ("Interlude", ["Interlude", "Between."]),
        ("Two", ["Two", "Text of two."]),
    ]


def test_part_entries_stand_for_their_chapters(tmp_path):
    docs = [
        ("part1.xhtml", page('<section epub:type="part"><h1>Part One</h1></section>')),
        ("c1.xhtml", page("<h2>I</h2><p>Alpha.</p>")),
        ("c2.xhtml", page("<h2>II</h2><p>Beta.</p>")),
    ]
    nav = [("part1.xhtml", "Part One", [("c1.xhtml", "I"), ("c2.xhtml", "II")])]
    chapters = _read(write_epub(tmp_path / "b.epub", docs, nav=nav))
    assert [(c.title, _texts(c)) for c in chapters] == [
        ("I", ["Part One", "I", "Alpha."]),
        ("II", ["II", "Beta."]),
    ]


def test_page_breaks_never_spoken(tmp_path):
    body = (
        '<h2>Ch</h2><p>He went<span epub:type="pagebreak" id="page12" title="12"/> to the door, '
        'then<span role="doc-pagebreak" aria-label="13">13</span> out.</p>'
        '<div epub:type="pagebreak" id="page14">14</div><p>Next.</p>'
    )
    with collecting() as warnings:
        chapters = _read(write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))]))
    assert _texts(chapters[0]) == ["Ch", "He went to the door, then out.", "Next."]
    assert [(w.kind, w.message) for w in warnings] == [("page-number", "3 page number(s) not read")]


NOTES_BODY = (
    '<h2>Ch</h2><p>A claim<a epub:type="noteref" href="#fn1">1</a> and another<sup><a href="#fn2">2'
    '</a></sup> and a third<a role="doc-noteref" href="notes.xhtml#en3">*</a>.</p>'
    '<aside epub:type="footnote" id="fn1"><p>First note.</p></aside>'
    '<aside role="doc-footnote" id="fn2"><p><a href="#r2">2</a> Second note.</p></aside><p>After.</p>'
)
NOTES_FILE = page(
    '<section epub:type="endnotes"><h2>Notes</h2><ol><li id="en3"><p>Third note. '
    '<a epub:type="backlink" href="c.xhtml">↩</a></p></li></ol></section>',
    ' epub:type="backmatter"',
)


def _notes_book(tmp_path) -> Path:
    return write_epub(
        tmp_path / "b.epub",
        [("c.xhtml", page(NOTES_BODY)), ("notes.xhtml", NOTES_FILE)],
        nav=[("c.xhtml", "Ch")],
    )


def test_noterefs_silent_and_notes_dropped_by_default(tmp_path):
    with collecting() as warnings:
        chapters = _read(_notes_book(tmp_path))
    assert [(c.title, _texts(c)) for c in chapters] == [
        ("Ch", ["Ch", "A claim and another and a third.", "After."])
    ]
    assert (
        "note",
        '3 footnote(s)/endnote(s) not read ([manuscript] notes = "drop"; "chapter-end" or '
        '"book-end" reads them)',
    ) in [(w.kind, w.message) for w in warnings]


def test_notes_at_chapter_end(tmp_path):
    chapters = _read(_notes_book(tmp_path), notes="chapter-end")
    assert _texts(chapters[0]) == [
        "Ch",
        "A claim and another and a third.",
        "After.",
        "Notes",
        "Note 1. First note.",
        "Note 2. Second note.",
        "Note. Third note.",
    ]
    assert chapters[0].paragraphs[3].heading is True


def test_notes_as_book_end_chapter(tmp_path):
    chapters = _read(_notes_book(tmp_path), notes="book-end")
    assert [c.title for c in chapters] == ["Ch", "Notes"]
    assert _texts(chapters[1]) == [
        "Notes to Ch",
        "Note 1. First note.",
        "Note 2. Second note.",
        "Note. Third note.",
    ]


POEM = page("""<h2>Ch</h2><p>Prose before.</p>
<article epub:type="z3998:poem"><h3>The Poem</h3>
<p><span>Line one,</span><br/><span>line two.</span><br/></p>
<p><span>Line three</span><br/><span>line four.</span></p></article>
<div class="poem"><div class="stanza"><p>Alpha line</p><p>beta line.</p></div></div><p>Prose after.</p>""")


def test_verse_line_and_stanza_pauses(tmp_path):
    make_project(tmp_path, {}, NO_CREDITS + "\n[pauses]\nverse_line_ms = 250\nverse_stanza_ms = 1100\n")
    write_epub(tmp_path / "manuscript" / "b.epub", [("c.xhtml", POEM)])
    plan = build_plan(load_project(tmp_path), max_chars=400, pronouncer=StubPronouncer())
    assert [(s.text, s.pause_after_ms) for s in plan.chapters[0].sentences] == [
        ("Ch", 1200),
        ("Prose before.", 900),
        ("The Poem", 1200),
        ("Line one,", 250),
        ("line two.", 1100),
        ("Line three", 250),
        ("line four.", 1100),
        ("Alpha line", 250),
        ("beta line.", 1100),
        ("Prose after.", 900),
    ]


def test_code_and_tables_note_or_skip(tmp_path):
    body = "<h2>Ch</h2><pre>x = 1</pre><table><tr><td>a</td><td>b</td></tr></table><p>End.</p>"
    path = write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))])
    assert _texts(_read(path)[0]) == [
        "Ch",
        "A code listing is left out here.",
        "A table is left out here.",
        "End.",
    ]
    make_project(tmp_path / "p", {}, NO_CREDITS + '\n[manuscript]\ncode = "skip"\ntables = "read"\n')
    write_epub(tmp_path / "p" / "manuscript" / "b.epub", [("c.xhtml", page(body))])
    assert _texts(read_manuscript(load_project(tmp_path / "p"))[0]) == ["Ch", "a", "b", "End."]


def test_line_numbers_not_read(tmp_path):
    body = (
        '<h2>Ch</h2><div epub:type="z3998:poem"><p><span>Sing, goddess</span><span class="linenum">5</span>'
        "<br/><span>the wrath</span></p></div>"
    )
    items = _read(write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))]))[0].paragraphs[1].items
    assert [i.text if isinstance(i, Run) else i.ms for i in items] == [
        "Sing, goddess",
        300,
        "the wrath",
        1000,
    ]


def test_ssml_ph_becomes_fixed_pronunciation(tmp_path):
    body = (
        '<h2>Ch</h2><p>Mr <span ssml:alphabet="ipa" ssml:ph="ˈhoʊmz">Holmes</span> went to '
        '<span ssml:alphabet="x-pinyin" ssml:ph="yin2 hang2">银行</span>.</p>'
    )
    make_project(
        tmp_path, {}, NO_CREDITS + '\n[voices.zh]\nengine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\n'
    )
    write_epub(tmp_path / "manuscript" / "b.epub", [("c.xhtml", page(body))])
    runs = read_manuscript(load_project(tmp_path))[0].paragraphs[1].items
    assert runs[1] == Run("Holmes", 4, tokens=(Token("Holmes", "ˈhoʊmz", "ssml"),))
    assert runs[3].tokens == (Token("银", "yin2", "ssml"), Token("行", "hang2", "ssml"))
    assert runs[3].style.lang == "zh"
    sentences = (
        build_plan(load_project(tmp_path), max_chars=400, pronouncer=StubPronouncer()).chapters[0].sentences
    )
    assert [t for s in sentences for span in s.spans for t in span.tokens if t.origin == "ssml"] == [
        Token("Holmes", "ˈhoʊmz", "ssml"),
        Token("银", "yin2", "ssml"),
        Token("行", "hang2", "ssml"),
    ]


def test_ssml_ph_bad_ipa_names_file_and_line(tmp_path):
    body = '<h2>Ch</h2>\n<p><span ssml:ph="h$lo">Hello</span></p>'
    make_project(tmp_path, {}, NO_CREDITS)
    write_epub(tmp_path / "manuscript" / "b.epub", [("c.xhtml", page(body))])
    with pytest.raises(LexiconError) as info:
        read_manuscript(load_project(tmp_path))
    assert (info.value.file, info.value.line) == ("manuscript/b.epub/c.xhtml", 5)


PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="en">
<lexeme><grapheme>Watson</grapheme><phoneme>ˈwɒtsən</phoneme></lexeme>
<lexeme><grapheme>Lestrade</grapheme><phoneme>lɛˈstrɑːd</phoneme></lexeme>
</lexicon>"""


def test_package_linked_pls_reaches_the_pronouncer(tmp_path):
    make_project(tmp_path, {}, NO_CREDITS)
    (tmp_path / "lexicon.tsv").write_text("Lestrade\tlɛˈstreɪd\n", encoding="utf-8")
    write_epub(
        tmp_path / "manuscript" / "b.epub",
        [("c.xhtml", page("<h2>Ch</h2><p>Watson.</p>"))],
        manifest='<item id="pls" href="lex/book.pls" media-type="application/pls+xml"/>',
        metadata='<link rel="pronunciation" href="lex/book.pls" media-type="application/pls+xml" '
        'hreflang="en"/>',
        extra={"lex/book.pls": PLS},
    )
    from lector.core.pronounce import Pronouncer

    pron = Pronouncer.for_project(tmp_path)
    assert pron.tokens("Watson", "en") == (
        Token("Watson", "ˈwɒtsən", "lexicon:manuscript/b.epub/lex/book.pls:3"),
    )
    assert pron.tokens("Lestrade", "en")[0].pron == "lɛˈstreɪd"  # the project's lexicon wins


def test_epub_opens_with_credits_and_may_close(tmp_path):
    make_project(tmp_path, {}, EN_TOML + "\n[credits]\nclosing = true\n")
    write_epub(tmp_path / "manuscript" / "b.epub", [("c.xhtml", page("<h2>Ch</h2><p>Text.</p>"))])
    chapters = read_manuscript(load_project(tmp_path))
    assert [(c.title, _texts(c)) for c in chapters] == [
        ("Opening Credits", ["The Test Book. Written by Ann Author. Read by a synthetic voice."]),
        ("Ch", ["Ch", "Text."]),
        (
            "Closing Credits",
            [
                "The end. You have been listening to The Test Book, written by Ann Author, "
                "read by a synthetic voice."
            ],
        ),
    ]


def test_credit_text_is_configurable_and_markdown_has_none_by_default(tmp_path):
    make_project(tmp_path, {"01.md": "# One\n\nText.\n"}, EN_TOML)
    assert [c.title for c in read_manuscript(load_project(tmp_path))] == ["One"]
    toml = EN_TOML.replace('title = "The Test Book"', 'title = "The Test Book"\nnarrators = ["Nat Reader"]')
    make_project(
        tmp_path,
        {},
        toml + '\n[credits]\nopening = true\nopening_text = "{title}, by {author}; read by {narrator}."\n',
    )
    assert _texts(read_manuscript(load_project(tmp_path))[0]) == [
        "The Test Book, by Ann Author; read by Nat Reader."
    ]


def test_long_chapter_split_at_heading_with_warning(tmp_path):
    para = "<p>" + "Words and more words. " * 40 + "</p>"
    body = "<h2>Long</h2>" + para * 3 + "<h3>Later</h3>" + para * 2 + "<hr/>" + para * 2
    path = write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))])
    with collecting() as warnings:
        chapters = _read(path, max_duration_s=300)
    assert [(c.title, len(c.paragraphs)) for c in chapters] == [("Long", 4), ("Long (part 2)", 6)]
    assert _texts(chapters[1])[0] == "Later"
    assert [w.kind for w in warnings] == ["chapter-split"]
    assert "split into 2 at a heading or scene break" in warnings[0].message


def test_scene_break_is_a_pause(tmp_path):
    make_project(tmp_path, {}, NO_CREDITS)
    write_epub(
        tmp_path / "manuscript" / "b.epub", [("c.xhtml", page("<h2>Ch</h2><p>One.</p><hr/><p>Two.</p>"))]
    )
    sentences = (
        build_plan(load_project(tmp_path), max_chars=400, pronouncer=StubPronouncer()).chapters[0].sentences
    )
    assert [(s.text, s.pause_after_ms) for s in sentences] == [("Ch", 1200), ("One.", 2000), ("Two.", 900)]
    assert not any(
        isinstance(i, Break)
        for p in read_manuscript(load_project(tmp_path))[0].paragraphs[:2]
        for i in p.items
    )


def test_classed_footnotes_and_bracket_refs_but_cross_references_read(tmp_path):
    body = (
        '<h2>Ch</h2><p>Text<a id="r1" href="#f1">[1]</a> more, see part <a href="#s2">IV</a> and '
        '<a href="#s2">2</a>.</p><div class="footnote"><p><a id="f1" href="#r1">[1]</a> The note.</p></div>'
        '<section id="s2"><p>Part text.</p></section>'
    )
    chapters = _read(write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))]), notes="chapter-end")
    assert _texts(chapters[0]) == [
        "Ch",
        "Text more, see part IV and 2.",
        "Part text.",
        "Notes",
        "Note 1. The note.",
    ]


def test_front_matter_names_with_digits_match_only_whole():
    rule = ManuscriptSettings().front_matter
    assert is_front_matter(rule, "id3", "Text/index_split_003.html", set()) is False
    assert is_front_matter(rule, "index", "Text/index.html", set()) is False  # often the whole book
    assert is_front_matter(rule, "x", "Text/copyright-page.xhtml", set()) is True
    assert is_front_matter(rule, "x", "body.xhtml", {"index"}) is True
    assert is_front_matter(rule, "x", "c.xhtml", {"bodymatter", "chapter", "z3998:fiction"}) is False


def test_xml_lang_marks_foreign_phrases_only(tmp_path):
    body = (
        '<h2>Ch</h2><p xml:lang="en-GB">A <i xml:lang="fr">fait accompli</i>, said <span lang="la">'
        'quod <b xml:lang="en">erat</b></span>.</p>'
    )
    make_project(tmp_path, {}, NO_CREDITS)
    write_epub(tmp_path / "manuscript" / "b.epub", [("c.xhtml", page(body))])
    items = read_manuscript(load_project(tmp_path))[0].paragraphs[1].items
    assert [(i.text, i.style.lang) for i in items] == [
        ("A ", None),
        ("fait accompli", "fr"),
        (", said ", None),
        ("quod ", "la"),
        ("erat.", None),
    ]
    sentences = (
        build_plan(load_project(tmp_path), max_chars=400, pronouncer=StubPronouncer()).chapters[0].sentences
    )
    assert [s.text for s in sentences] == ["Ch", "A fait accompli, said quod erat."]


def test_markers_between_blocks_are_not_read(tmp_path):
    body = (
        '<h2>Ch</h2><div>Loose<span epub:type="pagebreak" title="7">7</span> text.<p>Para.</p>'
        '<a epub:type="noteref" href="#n1">1</a></div><aside epub:type="footnote" id="n1"><p>N.</p></aside>'
    )
    assert _texts(_read(write_epub(tmp_path / "b.epub", [("c.xhtml", page(body))]))[0]) == [
        "Ch",
        "Loose text.",
        "Para.",
    ]


def test_guide_types_skip_short_files_only(tmp_path):
    opf_guide = (
        '<guide><reference type="copyright-page" href="legal.xhtml"/>'
        '<reference type="title-page" href="book.xhtml"/></guide>'
    )
    docs = [
        ("legal.xhtml", page("<p>All rights reserved.</p>")),
        ("book.xhtml", page("<h1>Book</h1>" + "<p>Text.</p>" * 40)),
    ]
    path = write_epub(tmp_path / "b.epub", docs)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["OEBPS/content.opf"] = files["OEBPS/content.opf"].replace(
        b"</package>", opf_guide.encode() + b"</package>"
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    assert [(c.title, len(c.paragraphs)) for c in _read(path)] == [("Book", 41)]
