"""A two-chapter EPUB that carries a real book's package metadata and cover (its OPF <metadata>,
its cover image), for tests that read metadata without planning a whole book."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

BOOKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
SHERLOCK = BOOKS / "arthur-conan-doyle_the-adventures-of-sherlock-holmes.epub"
OPF_NS = "http://www.idpf.org/2007/opf"
_CHAPTER = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en-GB"><head><title>{t}</title></head>'
    '<body><section id="{id}" epub:type="chapter"><h2>{t}</h2><p>{p}</p></section></body></html>'
)
_NAV = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Contents</title></head><body>'
    '<nav epub:type="toc"><ol><li><a href="text/one.xhtml">A Scandal in Bohemia</a></li>'
    '<li><a href="text/two.xhtml">The Red-Headed League</a></li></ol></nav></body></html>'
)
TEXTS = (
    ("one", "A Scandal in Bohemia", "To Sherlock Holmes she is always the woman."),
    ("two", "The Red-Headed League", "I had called upon my friend one day."),
)


def tiny_epub(source: Path, dest: Path) -> Path:
    """``dest``: ``source``'s OPF metadata and cover image, with two short chapters as its spine."""
    with zipfile.ZipFile(source) as zf:
        container = zf.read("META-INF/container.xml")
        opf_name = (
            etree.fromstring(container)
            .find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
            .get("full-path")
        )
        opf = etree.fromstring(zf.read(opf_name))
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        manifest, spine = opf.find(f"{{{OPF_NS}}}manifest"), opf.find(f"{{{OPF_NS}}}spine")
        cover = [i for i in manifest if "cover-image" in (i.get("properties") or "")]
        images = {i.get("href"): zf.read(base + i.get("href")) for i in cover}
    for node in list(manifest) + list(spine):
        if node not in cover:
            node.getparent().remove(node)
    etree.SubElement(
        manifest,
        f"{{{OPF_NS}}}item",
        id="nav",
        href="nav.xhtml",
        attrib={"media-type": "application/xhtml+xml", "properties": "nav"},
    )
    for key, _, _ in TEXTS:
        etree.SubElement(
            manifest,
            f"{{{OPF_NS}}}item",
            id=key,
            href=f"text/{key}.xhtml",
            attrib={"media-type": "application/xhtml+xml"},
        )
        etree.SubElement(spine, f"{{{OPF_NS}}}itemref", idref=key)
    with zipfile.ZipFile(dest, "w") as out:
        out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        out.writestr("META-INF/container.xml", container)
        out.writestr(opf_name, etree.tostring(opf, xml_declaration=True, encoding="utf-8"))
        out.writestr(base + "nav.xhtml", _NAV)
        for key, title, text in TEXTS:
            out.writestr(f"{base}text/{key}.xhtml", _CHAPTER.format(t=title, id=key, p=text))
        for href, data in images.items():
            out.writestr(base + href, data)
    return dest
