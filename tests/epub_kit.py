"""Small hand-written EPUB 3 files for the EPUB reader tests (exact XHTML, no re-serialisation)."""

from __future__ import annotations

import zipfile
from pathlib import Path

XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'xmlns:epub="http://www.idpf.org/2007/ops" xmlns:ssml="http://www.w3.org/2001/10/synthesis" '
    'xml:lang="en"><head><title>t</title></head>\n<body{attrs}>\n{body}\n</body></html>'
)
CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
EN_TOML = """[book]
title = "The Test Book"
author = "Ann Author"
language = "en"
seed = 7
narrator = "narrator"

[voices.narrator]
engine = "espeak-draft"
voice = "en-us"
lang = "en"
"""
NO_CREDITS = EN_TOML + "\n[credits]\nopening = false\n"


def write_markdown_project(root: Path, texts: dict[str, str], toml: str = NO_CREDITS) -> Path:
    """A Markdown project in ``root``: ``texts`` (file name -> text) under manuscript/, ``toml``."""
    (root / "manuscript").mkdir(parents=True)
    for name, text in texts.items():
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
    (root / "project.toml").write_text(toml, encoding="utf-8")
    return root


def page(body: str, attrs: str = "") -> str:
    return XHTML.replace("{attrs}", attrs).replace("{body}", body)


def _nav_list(entries) -> str:
    items = []
    for entry in entries:
        href, title, children = entry if len(entry) == 3 else (*entry, ())
        sub = _nav_list(children) if children else ""
        items.append(f'<li><a href="{href}">{title}</a>{sub}</li>')
    return "<ol>" + "".join(items) + "</ol>"


def write_epub(
    path: Path,
    docs: list[tuple[str, str]],
    *,
    nav=None,
    manifest: str = "",
    metadata: str = "",
    extra: dict[str, str] | None = None,
) -> Path:
    """``docs``: (file name, full XHTML) in spine order; ``nav``: [(href, title[, children])] or None."""
    items = "".join(
        f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>'
        for i, (name, _x) in enumerate(docs)
    )
    spine = "".join(f'<itemref idref="d{i}"/>' for i in range(len(docs)))
    if nav is not None:
        items += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>'
        f"<dc:title>EPUB Title</dc:title><dc:language>en</dc:language>{metadata}</metadata>"
        f"<manifest>{items}{manifest}</manifest><spine>{spine}</spine></package>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", CONTAINER)
        z.writestr("OEBPS/content.opf", opf)
        for name, xhtml in docs:
            z.writestr(f"OEBPS/{name}", xhtml)
        if nav is not None:
            z.writestr("OEBPS/nav.xhtml", page(f'<nav epub:type="toc">{_nav_list(nav)}</nav>'))
        for name, text in (extra or {}).items():
            z.writestr(f"OEBPS/{name}", text)
    return path
