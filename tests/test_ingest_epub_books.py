"""The EPUB reader on the real Standard Ebooks books in ../shared/data/books (beside the checkout)."""

from pathlib import Path

from lector.core.ingest import Break, Run, read_manuscript
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.epub_kit import EN_TOML
from tests.test_project import StubPronouncer, make_project

BOOKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
SHERLOCK = BOOKS / "arthur-conan-doyle_the-adventures-of-sherlock-holmes.epub"
POE = BOOKS / "edgar-allan-poe_poetry.epub"
HUCK = BOOKS / "mark-twain_the-adventures-of-huckleberry-finn.epub"


def _project(tmp_path: Path, book: Path, extra: str = "\n[credits]\nopening = false\n") -> Path:
    make_project(tmp_path, {}, EN_TOML + extra)
    (tmp_path / "manuscript" / book.name).symlink_to(book)
    return tmp_path


def _text(para) -> str:
    return "".join(i.text for i in para.items if isinstance(i, Run)).strip()


def _all_text(chapters) -> str:
    return "\n".join(_text(p) for c in chapters for p in c.paragraphs)


def test_books_are_beside_the_checkout():
    assert sorted(p.name for p in BOOKS.glob("*.epub")) == [SHERLOCK.name, POE.name, HUCK.name]


def test_sherlock_stories_are_the_chapters_and_no_imprint(tmp_path):
    chapters = read_manuscript(load_project(_project(tmp_path, SHERLOCK)))
    assert [c.title for c in chapters] == [
        "A Scandal in Bohemia",
        "The Redheaded League",
        "A Case of Identity",
        "The Boscombe Valley Mystery",
        "The Five Orange Pips",
        "The Man with the Twisted Lip",
        "The Adventure of the Blue Carbuncle",
        "The Adventure of the Speckled Band",
        "The Adventure of the Engineer’s Thumb",
        "The Adventure of the Noble Bachelor",
        "The Adventure of the Beryl Coronet",
        "The Adventure of the Copper Beeches",
    ]
    assert [_text(p) for p in chapters[0].paragraphs[:2]] == ["A Scandal in Bohemia", "I"]
    assert chapters[0].source == f"manuscript/{SHERLOCK.name}/text/a-scandal-in-bohemia.xhtml"
    assert "Standard Ebooks" not in _all_text(chapters)  # imprint, colophon, uncopyright
    scene = chapters[0].paragraphs[-2]
    assert scene.items == (Break(2000, scene.line),)  # the <hr/> before the last paragraph


def test_poe_poems_verse_pauses_and_noterefs(tmp_path):
    chapters = read_manuscript(load_project(_project(tmp_path, POE)))
    assert len(chapters) == 53
    assert [c.title for c in chapters[:8]] == [
        "Tamerlane",
        "Song",
        "Dreams",
        "Spirits of the Dead",
        "Evening Star",
        "Imitation",
        "Stanzas",
        "A Dream",
    ]
    first = chapters[0].paragraphs
    assert _text(first[0]) == "Tamerlane"  # the noteref "1" is not read
    lines = [i.text.strip() if isinstance(i, Run) else i.ms for i in first[1].items]
    assert lines[:5] == [
        "Kind solace in a dying hour!",
        300,
        "Such, father, is not (now) my theme\u2060—",
        300,
        "I will not madly deem that power",
    ]
    assert lines[-3:] == [300, "But such is not a gift of thine.", 1000]
    assert "The earliest version" not in _all_text(chapters)  # endnotes dropped by default


def test_poe_notes_at_chapter_end(tmp_path):
    chapters = read_manuscript(
        load_project(
            _project(tmp_path, POE, '\n[credits]\nopening = false\n[manuscript]\nnotes = "chapter-end"\n')
        )
    )
    tail = [_text(p) for p in chapters[0].paragraphs[-2:]]
    assert tail[0] == "Notes"
    assert tail[1].startswith(
        "Note 1. The earliest version of “Tamerlane” was included in the suppressed volume"
    )
    assert tail[1].endswith("presents a more pleasing appearance, to the eye at least.")


def test_huck_finn_chapters_and_credits(tmp_path):
    toml = "\n".join(["", "[credits]", "closing = true"])
    project = load_project(_project(tmp_path, HUCK, toml))
    chapters = read_manuscript(project)
    titles = [c.title for c in chapters]
    assert len(titles) == 47
    assert titles[:4] == ["Opening Credits", "Notice", "Explanatory", "I"]
    assert titles[-2:] == ["Chapter the Last", "Closing Credits"]
    assert (
        _text(chapters[0].paragraphs[0]) == "The Test Book. Written by Ann Author. Read by a synthetic voice."
    )


def test_poe_plan_line_pauses_and_warnings(tmp_path):
    plan = build_plan(load_project(_project(tmp_path, POE)), max_chars=400, pronouncer=StubPronouncer())
    assert [(s.text, s.pause_after_ms) for s in plan.chapters[0].sentences[:4]] == [
        ("Tamerlane", 1200),
        ("Kind solace in a dying hour!", 300),
        ("Such, father, is not (now) my theme\u2060—", 300),
        ("I will not madly deem that power", 300),
    ]
    warned = {(w.kind, w.message) for w in plan.warnings}
    assert ("note", "49 note reference mark(s) not read") in warned
    assert ("front-matter", "not read as chapters: titlepage.xhtml, imprint.xhtml, colophon.xhtml") in warned


def test_huck_finn_numbered_chapters_are_announced(tmp_path):
    """A chapter heading that is a numeral alone is read "Chapter twenty-five", as printed on screen;
    a named heading and a story's numbered sub-sections are read as they stand."""
    chapters = read_manuscript(load_project(_project(tmp_path, HUCK)))
    heading = chapters[26].paragraphs[0]
    [run] = [i for i in heading.items if isinstance(i, Run)]
    assert (chapters[26].title, run.text.strip(), run.spoken) == ("XXV", "XXV", "Chapter twenty-five")
    last = [i for i in chapters[-1].paragraphs[0].items if isinstance(i, Run)]
    assert [(r.text.strip(), r.spoken) for r in last] == [("Chapter the Last", None)]
    sherlock = read_manuscript(load_project(_project(tmp_path / "s", SHERLOCK)))
    assert [r.spoken for r in sherlock[0].paragraphs[1].items if isinstance(r, Run)] == [
        None
    ]  # "I" of a story
