"""Build projects/demo-en/manuscript/demo-en.epub from src/*.xhtml (ebooklib).

Run from anywhere: ``.venv/bin/python projects/demo-en/build_epub.py``. The EPUB
holds a cover page, a copyright page and an EPUB 3 nav + EPUB 2 NCX table of
contents (all dropped by [manuscript] front_matter) and three chapters whose
titles come from the toc. Output is deterministic for the same sources.
"""

from __future__ import annotations

import sys
import zipfile
from datetime import datetime
from pathlib import Path

from ebooklib import epub

HERE = Path(__file__).resolve().parent
CHAPTERS = [
    ("chapter1", "Chapter One: The Storm"),
    ("chapter2", "Chapter Two: The Ledger"),
    ("chapter3", "Chapter Three: Morning"),
]


FIXED_TIME = datetime(2026, 1, 1)


def _page(name: str, title: str) -> epub.EpubHtml:
    item = epub.EpubHtml(uid=name, title=title, file_name=f"{name}.xhtml", lang="en")
    item.content = (HERE / "src" / f"{name}.xhtml").read_bytes()
    return item


def build(out: Path) -> Path:
    book = epub.EpubBook()
    book.set_identifier("lector-demo-en")
    book.set_title("The Lighthouse Keeper")
    book.set_language("en")
    book.add_author("Lector Examples")
    cover = _page("cover", "Cover")
    copyright_page = _page("copyright", "Copyright")
    chapters = [_page(name, title) for name, title in CHAPTERS]
    for item in (cover, copyright_page, *chapters):
        book.add_item(item)
    book.toc = tuple(epub.Link(f"{name}.xhtml", title, name) for name, title in CHAPTERS)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = [cover, "nav", copyright_page, *chapters]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    epub.write_epub(str(tmp), book, {"mtime": FIXED_TIME})
    _fix_zip_times(tmp)
    tmp.replace(out)
    return out


def _fix_zip_times(path: Path) -> None:
    """Rewrite the zip with fixed entry times so the same sources give the same bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "manuscript" / "demo-en.epub"
    print(build(target))
