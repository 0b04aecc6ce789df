"""The EPUB package: container -> OPF (manifest, spine, guide, pronunciation links) -> nav / NCX.

Read with zipfile + lxml rather than ebooklib's reader because the reading order needs what
ebooklib drops: ``linear="no"``, manifest ``properties``, the nav's ``epub:type`` on each entry
and its landmarks, the EPUB 2 ``<guide>``, and ``<link rel="pronunciation">`` lexicons.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from urllib.parse import unquote

from lxml import etree

from ..errors import ManuscriptError

OPF = "http://www.idpf.org/2007/opf"
OPS = "http://www.idpf.org/2007/ops"
NCX = "http://www.daisy.org/z3986/2005/ncx/"
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
EPUB_TYPE = f"{{{OPS}}}type"
DOC_TYPES = ("application/xhtml+xml", "text/html", "application/x-dtbook+xml")
PLS_TYPE = "application/pls+xml"
# EPUB 2 <guide> reference types -> EPUB 3 structural semantics
GUIDE_TYPES = {
    "title-page": "titlepage",
    "copyright-page": "copyright-page",
    "toc": "toc",
    "cover": "cover",
    "colophon": "colophon",
    "index": "index",
    "loi": "loi",
    "lot": "lot",
    "text": "bodymatter",
    "notes": "endnotes",
    "bibliography": "bibliography",
    "glossary": "glossary",
}


@dataclass(frozen=True)
class NavEntry:
    """One table-of-contents entry: ``doc`` (zip member) + ``fragment`` ("" = the document start)."""

    title: str
    doc: str
    fragment: str
    types: frozenset[str] = frozenset()
    children: tuple[NavEntry, ...] = ()


@dataclass
class Package:
    zf: zipfile.ZipFile
    source: str
    opf: str
    language: str = ""
    manifest: dict[str, tuple[str, str, frozenset[str]]] = field(
        default_factory=dict
    )  # id -> (member, type, props)
    spine: list[tuple[str, bool]] = field(default_factory=list)  # (member, linear)
    toc: tuple[NavEntry, ...] = ()
    landmarks: dict[str, frozenset[str]] = field(
        default_factory=dict
    )  # member -> types (nav landmarks / guide)
    lexicons: list[tuple[str, str]] = field(default_factory=list)  # (member, hreflang) of PLS files
    nav_doc: str = ""

    def rel(self, member: str) -> str:
        """``member`` relative to the package document's folder (how the book names its files)."""
        base = posixpath.dirname(self.opf)
        return posixpath.relpath(member, base) if base else member

    def read(self, member: str) -> bytes:
        try:
            return self.zf.read(member)
        except KeyError:
            raise ManuscriptError(
                f"the package names {member!r}, which is not in the EPUB",
                file=self.source,
                fix="fix the OPF manifest or add the file",
            ) from None


def _xml(data: bytes, where: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, recover=True)
    root = etree.fromstring(data, parser)
    if root is None:
        raise ManuscriptError("unreadable XML", file=where, fix="fix the markup")
    return root


def join_href(base: str, href: str) -> tuple[str, str]:
    """(zip member, fragment) of ``href`` relative to the file ``base``."""
    path, _, frag = unquote(href).partition("#")
    if not path:
        return base, frag
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), path)).lstrip("/"), frag


def open_package(path: str | PathLike[str], source: str) -> Package:
    """Open the EPUB at ``path``. ManuscriptError (naming ``source``) when it is not a valid EPUB."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ManuscriptError(
            f"not a valid EPUB (broken zip: {exc})", file=source, fix="re-export the EPUB from your editor"
        ) from None
    try:
        container = _xml(zf.read("META-INF/container.xml"), f"{source}/META-INF/container.xml")
        node = container.find(f".//{{{CONTAINER}}}rootfile")
        opf = node.get("full-path") if node is not None else None
        if not opf:
            raise KeyError("no rootfile")
        root = _xml(zf.read(opf), f"{source}/{opf}")
    except (KeyError, etree.XMLSyntaxError) as exc:
        zf.close()
        raise ManuscriptError(
            f"not a valid EPUB ({type(exc).__name__}: {exc})",
            file=source,
            fix="check META-INF/container.xml and the OPF package file",
        ) from None
    pkg = Package(zf, source, opf)
    _read_opf(pkg, root)
    return pkg


_OPF_NS = {"opf": OPF, "dc": "http://purl.org/dc/elements/1.1/"}


def _read_opf(pkg: Package, root: etree._Element) -> None:
    lang = root.find("opf:metadata/dc:language", _OPF_NS)
    pkg.language = (lang.text or "").strip() if lang is not None else ""
    _read_manifest(pkg, root)
    spine = root.find("opf:spine", _OPF_NS)
    _read_spine(pkg, spine)
    for ref in root.findall("opf:guide/opf:reference", _OPF_NS):
        member, _ = join_href(pkg.opf, ref.get("href", ""))
        kind = GUIDE_TYPES.get((ref.get("type") or "").lower())
        if kind:
            pkg.landmarks[member] = pkg.landmarks.get(member, frozenset()) | {kind}
    if pkg.nav_doc:
        _read_nav(pkg)
    toc_id = spine.get("toc") if spine is not None else None
    if not pkg.toc and toc_id is not None and toc_id in pkg.manifest:
        ncx = pkg.manifest[toc_id][0]
        if ncx in pkg.zf.namelist():
            pkg.toc = _ncx_points(_xml(pkg.read(ncx), f"{pkg.source}/{ncx}").find(f"{{{NCX}}}navMap"), ncx)


def _read_manifest(pkg: Package, root: etree._Element) -> None:
    """Manifest items, the nav document and the pronunciation lexicons (items and links)."""
    for item in root.findall("opf:manifest/opf:item", _OPF_NS):
        member, _ = join_href(pkg.opf, item.get("href", ""))
        props = frozenset((item.get("properties") or "").split())
        pkg.manifest[item.get("id", "")] = (member, item.get("media-type", ""), props)
        if "nav" in props:
            pkg.nav_doc = member
        if item.get("media-type") == PLS_TYPE:
            pkg.lexicons.append((member, ""))
    for link in root.findall("opf:metadata/opf:link", _OPF_NS):
        if "pronunciation" in (link.get("rel") or "").split() or link.get("media-type") == PLS_TYPE:
            member, _ = join_href(pkg.opf, link.get("href", ""))
            pkg.lexicons = [lx for lx in pkg.lexicons if lx[0] != member] + [
                (member, link.get("hreflang", ""))
            ]


def _read_spine(pkg: Package, spine: etree._Element | None) -> None:
    for ref in spine.findall("opf:itemref", _OPF_NS) if spine is not None else []:
        idref = ref.get("idref", "")
        if idref not in pkg.manifest:
            raise ManuscriptError(
                f"spine entry {idref!r} has no manifest item",
                file=pkg.source,
                fix="fix the OPF spine/manifest",
            )
        member, media, _ = pkg.manifest[idref]
        if media in DOC_TYPES:
            pkg.spine.append((member, ref.get("linear", "yes") != "no"))


def _types(elem: etree._Element) -> frozenset[str]:
    """epub:type values and DPUB-ARIA roles (``doc-chapter`` -> ``chapter``) of one element."""
    values = (elem.get(EPUB_TYPE) or elem.get("epub:type") or "").split()
    roles = [r[4:] for r in (elem.get("role") or "").split() if r.startswith("doc-")]
    roles = ["page-list" if r == "pagelist" else r for r in roles]
    return frozenset(v.lower() for v in values + roles)


def _local(elem: etree._Element) -> str:
    return etree.QName(elem).localname.lower() if isinstance(elem.tag, str) else ""


def _read_nav(pkg: Package) -> None:
    root = _xml(pkg.read(pkg.nav_doc), f"{pkg.source}/{pkg.nav_doc}")
    for nav in (e for e in root.iter() if _local(e) == "nav"):
        kinds = _types(nav)
        ol = next((c for c in nav if _local(c) in ("ol", "ul")), None)
        if ol is None:
            continue
        if "toc" in kinds and not pkg.toc:
            pkg.toc = _nav_list(ol, pkg.nav_doc)
        elif "landmarks" in kinds:
            for entry in _flatten(_nav_list(ol, pkg.nav_doc)):
                if not entry.fragment:
                    pkg.landmarks[entry.doc] = pkg.landmarks.get(entry.doc, frozenset()) | entry.types


def _nav_list(ol: etree._Element, base: str) -> tuple[NavEntry, ...]:
    out: list[NavEntry] = []
    for li in (c for c in ol if _local(c) == "li"):
        link = next((c for c in li if _local(c) in ("a", "span")), None)
        sub = next((c for c in li if _local(c) in ("ol", "ul")), None)
        children = _nav_list(sub, base) if sub is not None else ()
        href = link.get("href") if link is not None else None
        if link is None or not href:
            out.extend(children)  # a heading-only entry: its children stand in for it
            continue
        doc, frag = join_href(base, href)
        out.append(NavEntry(" ".join("".join(link.itertext()).split()), doc, frag, _types(link), children))
    return tuple(out)


def _ncx_points(parent: etree._Element | None, base: str) -> tuple[NavEntry, ...]:
    out: list[NavEntry] = []
    for point in parent if parent is not None else []:
        if _local(point) != "navpoint":
            continue
        label = point.find(f"{{{NCX}}}navLabel/{{{NCX}}}text")
        content = point.find(f"{{{NCX}}}content")
        src = content.get("src") if content is not None else None
        if not src:
            continue
        doc, frag = join_href(base, src)
        title = " ".join((label.text or "").split()) if label is not None else ""
        out.append(NavEntry(title, doc, frag, frozenset(), _ncx_points(point, base)))
    return tuple(out)


def _flatten(entries: Iterable[NavEntry]) -> list[NavEntry]:
    out: list[NavEntry] = []
    for entry in entries:
        out.append(entry)
        out.extend(_flatten(entry.children))
    return out


def parse_xhtml(content: bytes, where: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, recover=False)
    try:
        return etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        from lxml import html

        try:
            return html.fromstring(content)
        except (etree.ParserError, ValueError) as exc:
            raise ManuscriptError(
                f"unreadable XHTML: {exc}", file=where, fix="fix the document markup"
            ) from None


element_types = _types
local_name = _local
