"""EPUB 2/3 reader: spine order, nav/NCX titles, front matter rule, casting attributes, errors."""

import zipfile
from pathlib import Path

import pytest
from ebooklib import epub

from lector.core.errors import ManuscriptError, TagError
from lector.core.ingest import Run, Style, read_manuscript
from lector.core.ingest.epub import is_front_matter
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.test_project import EN_TOML, StubPronouncer, make_project

EN_TOML = EN_TOML + "\n[credits]\nopening = false\n"  # these tests look at the book's own chapters

XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>\n<body{attrs}>\n{body}\n</body></html>'
)


def _page(uid: str, body: str, attrs: str = "") -> epub.EpubHtml:
    item = epub.EpubHtml(uid=uid, title=uid, file_name=f"{uid}.xhtml", lang="en")
    item.content = XHTML.replace("{attrs}", attrs).replace("{body}", body).encode("utf-8")
    return item


def build_epub3(path: Path) -> Path:
    book = epub.EpubBook()
    book.set_identifier("t3")
    book.set_title("T")
    book.set_language("en")
    cover = _page("cover", "<p>Cover text.</p>", ' epub:type="cover"')
    legal = _page("legal", '<section epub:type="copyright-page"><p>All rights reserved.</p></section>')
    first = _page("zeta", "<h1>Heading Z</h1>\n<p>Zeta one. Zeta two.</p>")
    second = _page(
        "alpha",
        '<h2>Alpha Head</h2>\n<p><span data-voice="alice">"Hi," </span>she said.</p>\n'
        '<p data-emotion="sad:0.5">Sad [[voice:alice]]words.</p>',
    )
    for item in (cover, legal, first, second):
        book.add_item(item)
    book.toc = (epub.Link("zeta.xhtml", "Nav Title Z", "z"),)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [cover, "nav", legal, first, second]  # spine order differs from file names
    epub.write_epub(str(path), book)
    return path


OPF2 = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>
<dc:title>T2</dc:title><dc:language>en</dc:language></metadata>
<manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
<item id="titlepage" href="title.html" media-type="application/xhtml+xml"/>
<item id="c2" href="b.html" media-type="application/xhtml+xml"/>
<item id="c1" href="a.html" media-type="application/xhtml+xml"/></manifest>
<spine toc="ncx"><itemref idref="titlepage"/><itemref idref="c2"/><itemref idref="c1"/></spine></package>"""
NCX = """<?xml version="1.0"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head/><docTitle><text>T2</text></docTitle>
<navMap><navPoint id="n1" playOrder="1"><navLabel><text>First From NCX</text></navLabel>
<content src="b.html"/></navPoint>
<navPoint id="n2" playOrder="2"><navLabel><text>Second From NCX</text></navLabel>
<content src="a.html#x"/></navPoint>
</navMap></ncx>"""


def build_epub2(path: Path) -> Path:
    page = '<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>H</h1><p>{}</p></body></html>'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
            'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        z.writestr("OEBPS/content.opf", OPF2)
        z.writestr("OEBPS/toc.ncx", NCX)
        z.writestr("OEBPS/title.html", page.format("Title page."))
        z.writestr("OEBPS/b.html", page.format("Bee text."))
        z.writestr("OEBPS/a.html", page.format("Ay text."))
    return path


def _line_of(epub_path: Path, member: str, needle: str) -> int:
    """Line of ``needle`` inside a stored XHTML (ebooklib re-serialises pages on write)."""
    with zipfile.ZipFile(epub_path) as z:
        name = next(n for n in z.namelist() if n.endswith(member))
        text = z.read(name).decode("utf-8")
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_epub3_spine_order_nav_titles_front_matter_dropped(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    path = build_epub3(tmp_path / "manuscript" / "book.epub")
    line, line2 = _line_of(path, "alpha.xhtml", "data-voice"), _line_of(path, "alpha.xhtml", "data-emotion")
    chapters = read_manuscript(load_project(tmp_path))
    assert [(c.title, c.source) for c in chapters] == [
        ("Nav Title Z", "manuscript/book.epub/zeta.xhtml"),
        ("Alpha Head", "manuscript/book.epub/alpha.xhtml"),
    ]
    assert chapters[0].paragraphs[0].heading is True
    alpha = [i for p in chapters[1].paragraphs[1:] for i in p.items]
    assert alpha == [
        Run('"Hi," ', line, Style(voice="alice")),
        Run("she said.", line),
        Run("Sad ", line2, Style(emotion="sad", emotion_degree=0.5)),
        Run("words.", line2, Style(voice="alice", emotion="sad", emotion_degree=0.5)),
    ]


def test_epub2_ncx_titles_and_titlepage_dropped(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    build_epub2(tmp_path / "manuscript" / "old.epub")
    chapters = read_manuscript(load_project(tmp_path))
    assert [c.title for c in chapters] == ["First From NCX", "Second From NCX"]
    assert [c.paragraphs[1].items[0].text for c in chapters] == ["Bee text.", "Ay text."]


def test_front_matter_rule_is_overridable(tmp_path):
    make_project(tmp_path, {}, EN_TOML + '\n[manuscript]\nfront_matter = ["nav", "legal"]\n')
    build_epub3(tmp_path / "manuscript" / "book.epub")
    assert [c.title for c in read_manuscript(load_project(tmp_path))] == [
        "cover",
        "Nav Title Z",
        "Alpha Head",
    ]


def test_is_front_matter_matches_id_file_type_and_globs():
    rule = ("cover", "toc", "copyright", "front*")
    assert is_front_matter(rule, "item1", "Text/cover.xhtml", set()) is True
    assert is_front_matter(rule, "toc", "x.xhtml", set()) is True
    assert is_front_matter(rule, "p3", "p3.xhtml", {"copyright-page"}) is True
    assert is_front_matter(rule, "frontpiece", "f.xhtml", set()) is True
    assert is_front_matter(rule, "chapter1", "Text/chapter1.xhtml", {"bodymatter", "chapter"}) is False
    assert is_front_matter(rule, "discovery", "discovery.xhtml", set()) is False


def test_epub_through_planner(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    path = build_epub3(tmp_path / "manuscript" / "book.epub")
    plan = build_plan(load_project(tmp_path), pronouncer=StubPronouncer())
    alpha = plan.chapters[1].sentences
    assert [(s.text, s.voice, s.emotion) for s in alpha] == [
        ("Alpha Head", "narrator", "neutral"),
        ('"Hi,"', "alice", "happy"),
        ("she said.", "narrator", "neutral"),
        ("Sad", "narrator", "sad"),
        ("words.", "alice", "sad"),
    ]
    assert (
        alpha[1].source == f"manuscript/book.epub/alpha.xhtml:{_line_of(path, 'alpha.xhtml', 'data-voice')}"
    )


def test_broken_epub_zip_names_file(tmp_path):
    make_project(tmp_path, {"broken.epub": b"PK\x03\x04 this is not a zip"}, EN_TOML)
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(load_project(tmp_path))
    assert info.value.file == "manuscript/broken.epub"
    assert "not a valid EPUB" in info.value.message


def test_epub_without_container_is_manuscript_error(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    with zipfile.ZipFile(tmp_path / "manuscript" / "empty.epub", "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(load_project(tmp_path))
    assert info.value.file == "manuscript/empty.epub"


def test_unknown_data_voice_is_tag_error(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    book = epub.EpubBook()
    book.set_identifier("b")
    book.set_title("B")
    page = _page("ch", '<p data-voice="zed">x</p>')
    book.add_item(page)
    book.toc = (epub.Link("ch.xhtml", "Ch", "ch"),)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [page]
    epub.write_epub(str(tmp_path / "manuscript" / "b.epub"), book)
    with pytest.raises(TagError) as info:
        read_manuscript(load_project(tmp_path))
    line = _line_of(tmp_path / "manuscript" / "b.epub", "ch.xhtml", "data-voice")
    assert (info.value.file, info.value.line) == ("manuscript/b.epub/ch.xhtml", line)


def test_loose_text_lists_and_ruby(tmp_path):
    make_project(tmp_path, {}, EN_TOML)
    book = epub.EpubBook()
    book.set_identifier("l")
    book.set_title("L")
    page = _page(
        "ch",
        "<section>Loose <em>text</em>.<div><p>Para.</p>Tail.</div><ul><li>One</li><li>Two</li>"
        "</ul><p>漢<ruby>字<rt>zi</rt></ruby>。<script>x()</script></p></section>",
    )
    book.add_item(page)
    book.toc = (epub.Link("ch.xhtml", "Ch", "ch"),)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [page]
    epub.write_epub(str(tmp_path / "manuscript" / "l.epub"), book)
    chapter = read_manuscript(load_project(tmp_path))[0]
    texts = ["".join(i.text for i in p.items if isinstance(i, Run)) for p in chapter.paragraphs]
    assert texts == ["Loose text.", "Para.", "Tail.", "One", "Two", "漢字。"]
