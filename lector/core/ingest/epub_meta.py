"""What an EPUB says about itself: the OPF package metadata (``dc:*`` and ``meta`` refines) and its cover.

EPUB 3 qualifies ``dc:*`` elements with ``<meta refines="#id" property="...">`` (role, title-type,
file-as, collection-type, group-position); EPUB 2 uses ``opf:role`` / ``opf:scheme`` attributes and
``<meta name="..." content="...">`` (``cover``, calibre's ``series`` / ``series_index``). Both are
read here. Nothing is guessed: a field the OPF does not have is empty.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from lxml import etree

from ..errors import ManuscriptError

OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
_NS = {"opf": OPF, "dc": DC}
_ISBN = re.compile(r"^(?:urn:isbn:|isbn:?\s*)?((?:97[89])?[0-9Xx -]{9,17})$", re.I)


@dataclass(frozen=True)
class EpubMeta:
    """The OPF metadata of one EPUB (empty strings / tuples where the OPF has nothing)."""

    title: str = ""
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    narrators: tuple[str, ...] = ()
    language: str = ""  # as written (en-GB)
    publisher: str = ""
    date: str = ""  # dc:date as written
    description: str = ""  # plain text (HTML markup removed)
    subjects: tuple[str, ...] = ()  # se:subject when present (short genres), else dc:subject
    series: str = ""
    series_part: str = ""
    identifier: str = ""  # the package's unique identifier
    isbn: str = ""
    rights: str = ""
    cover_path: str = ""  # zip member of the cover image ("" = none declared)
    cover_type: str = ""  # its declared media type

    @property
    def year(self) -> str:
        m = re.match(r"\d{4}", self.date)
        return m.group(0) if m else ""


def read_epub_meta(path: str | Path) -> EpubMeta:
    """The metadata of the EPUB at ``path`` (read once per file identity)."""
    p = Path(path)
    st = p.stat()
    return _read(str(p.resolve()), st.st_mtime_ns, st.st_size)


def read_epub_member(path: str | Path, member: str) -> bytes:
    """One file of the EPUB (e.g. ``EpubMeta.cover_path``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read(member)
    except (KeyError, zipfile.BadZipFile, OSError) as exc:
        raise ManuscriptError(
            f"cannot read {member!r} from the EPUB: {exc}",
            file=path,
            fix="repair the EPUB, or put a cover.jpg in the project folder",
        ) from None


@lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int, size: int) -> EpubMeta:
    try:
        with zipfile.ZipFile(path) as zf:
            opf_name = _rootfile(zf, path)
            root = etree.fromstring(zf.read(opf_name))
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        raise ManuscriptError(
            f"cannot read the EPUB's package metadata: {exc}",
            file=path,
            fix="check that the file is a valid EPUB (zip with META-INF/container.xml)",
        ) from None
    meta = root.find("opf:metadata", _NS)
    if meta is None:
        raise ManuscriptError(
            "the EPUB's package document has no <metadata>", file=path, fix="repair the EPUB's OPF file"
        )
    return _parse(root, meta, PurePosixPath(opf_name).parent)


def _rootfile(zf: zipfile.ZipFile, path: str) -> str:
    container = etree.fromstring(zf.read("META-INF/container.xml"))
    node = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
    full_path: str | None = node.get("full-path") if node is not None else None
    if not full_path:
        raise ManuscriptError(
            "META-INF/container.xml names no package document", file=path, fix="repair the EPUB"
        )
    return full_path


def _text(node: etree._Element) -> str:
    return " ".join("".join(node.itertext()).split())


def _parse(root: etree._Element, meta: etree._Element, opf_dir: PurePosixPath) -> EpubMeta:
    refines = _refines(meta)

    def prop(node: etree._Element, name: str) -> list[str]:
        return refines.get(node.get("id") or "\0", {}).get(name, [])

    def roles(node: etree._Element) -> list[str]:
        return prop(node, "role") + [v for k, v in node.attrib.items() if k == f"{{{OPF}}}role"]

    people = meta.findall("dc:creator", _NS) + meta.findall("dc:contributor", _NS)
    authors = tuple(_text(n) for n in meta.findall("dc:creator", _NS) if not roles(n) or "aut" in roles(n))
    authors += tuple(_text(n) for n in meta.findall("dc:contributor", _NS) if "aut" in roles(n))
    narrators = tuple(_text(n) for n in people if "nrt" in roles(n))
    titles = meta.findall("dc:title", _NS)
    main = next((t for t in titles if prop(t, "title-type") == ["main"]), titles[0] if titles else None)
    subtitle = next((_text(t) for t in titles if prop(t, "title-type") == ["subtitle"]), "")
    se_subjects = [_text(n) for n in meta.findall("opf:meta", _NS) if n.get("property") == "se:subject"]
    series, part = _series(meta, refines)
    identifier, isbn = _identifiers(root, meta)
    cover_path, cover_type = _cover(root, meta, opf_dir)
    return EpubMeta(
        title=_text(main) if main is not None else "",
        subtitle=subtitle,
        authors=tuple(dict.fromkeys(a for a in authors if a)),
        narrators=tuple(dict.fromkeys(narrators)),
        language=_first(meta, "dc:language"),
        publisher=_first(meta, "dc:publisher"),
        date=_first(meta, "dc:date"),
        description=_plain(_first(meta, "dc:description", raw=True)),
        subjects=tuple(se_subjects or [_text(n) for n in meta.findall("dc:subject", _NS)]),
        series=series,
        series_part=part,
        identifier=identifier,
        isbn=isbn,
        rights=_first(meta, "dc:rights"),
        cover_path=cover_path,
        cover_type=cover_type,
    )


def _refines(meta: etree._Element) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for node in meta.findall("opf:meta", _NS):
        target, prop = node.get("refines", ""), node.get("property")
        if target.startswith("#") and prop:
            out.setdefault(target[1:], {}).setdefault(prop, []).append(_text(node))
    return out


def _first(meta: etree._Element, tag: str, *, raw: bool = False) -> str:
    node = meta.find(tag, _NS)
    if node is None:
        return ""
    return "".join(node.itertext()).strip() if raw else _text(node)


def _plain(text: str) -> str:
    """A description without HTML markup (some OPFs carry escaped <p>...</p>)."""
    blocks = re.sub(r"<(?:/?(?:p|div|li|h\d)|br)\b[^>]*>", " ", text, flags=re.I)  # paragraph breaks: a space
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", blocks)).split())  # inline markup: nothing


def _series(meta: etree._Element, refines: dict[str, dict[str, list[str]]]) -> tuple[str, str]:
    for node in meta.findall("opf:meta", _NS):
        if node.get("property") == "belongs-to-collection":
            kind = refines.get(node.get("id") or "\0", {})
            if kind.get("collection-type") == ["series"]:
                return _text(node), (kind.get("group-position") or [""])[0]
    named = {n.get("name"): n.get("content", "") for n in meta.findall("opf:meta", _NS) if n.get("name")}
    part = named.get("calibre:series_index", "")
    return named.get("calibre:series", ""), part[:-2] if part.endswith(".0") else part


def _identifiers(root: etree._Element, meta: etree._Element) -> tuple[str, str]:
    uid = root.get("unique-identifier")
    ids = meta.findall("dc:identifier", _NS)
    main = next((n for n in ids if uid and n.get("id") == uid), ids[0] if ids else None)
    isbn = ""
    for node in ids:
        value, scheme = _text(node), node.get(f"{{{OPF}}}scheme", "")
        m = _ISBN.match(value)
        digits = re.sub(r"[^0-9Xx]", "", m.group(1)) if m else ""
        if (scheme.upper() == "ISBN" or value.lower().startswith("urn:isbn:") or m) and len(digits) in (
            10,
            13,
        ):
            isbn = digits.upper()
            break
    return (_text(main) if main is not None else ""), isbn


def _cover(root: etree._Element, meta: etree._Element, opf_dir: PurePosixPath) -> tuple[str, str]:
    items = root.findall("opf:manifest/opf:item", _NS)
    item = next((i for i in items if "cover-image" in (i.get("properties") or "").split()), None)
    if item is None:  # EPUB 2: <meta name="cover" content="item id">
        ref = next(
            (n.get("content") for n in meta.findall("opf:meta", _NS) if n.get("name") == "cover"), None
        )
        item = next((i for i in items if ref and i.get("id") == ref), None)
    href = item.get("href") if item is not None else None
    if item is None or not href:
        return "", ""
    member = (opf_dir / unquote(href)).as_posix().lstrip("./") if str(opf_dir) != "." else unquote(href)
    return member, item.get("media-type", "")
