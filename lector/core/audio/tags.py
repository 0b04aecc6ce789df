"""The book's tags for each delivery format, from one BookMetadata (lector.core.ingest.metadata).

Conventions (Apple Books, Audiobookshelf, Prologue, the mp3tag audiobook sources): the author is
the artist and album artist, the narrator the composer (M4B ``©wrt`` and ``©nrt``, ID3 ``TCOM``,
Vorbis ``COMPOSER`` and ``NARRATOR``), the album the book's title, the track title the chapter's;
series and series part as ``SERIES`` / ``SERIES-PART`` (M4B freeform, ID3 TXXX, Vorbis) plus the
grouping "Series #N"; the description as ``desc`` (M4B), ``COMM`` (ID3), ``DESCRIPTION`` (Vorbis).
MP3 tags are ID3v2.4 (TDRC is v2.4's year frame: TYER was v2.3's). Written with mutagen where it
has a writer (ID3, Vorbis comment, FLAC PICTURE); the M4B ``ilst`` items are rendered here as
(key, type, bytes) for mp4mux, which writes the whole file itself.
"""

from __future__ import annotations

import hashlib
import io
import struct
from dataclasses import dataclass
from typing import Any

from ..ingest.metadata import BookMetadata
from .cover import Cover

ENCODER = "Lector"
STIK_AUDIOBOOK = 2
_ISO639_2 = {
    "en": "eng",
    "zh": "zho",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "ja": "jpn",
    "pt": "por",
    "ru": "rus",
    "nl": "nld",
    "ko": "kor",
    "pl": "pol",
    "sv": "swe",
}


@dataclass(frozen=True)
class TrackTags:
    """Tags of one delivery file: the book's metadata plus the track (chapter) it holds."""

    book: BookMetadata
    title: str  # chapter title (the book's title for the M4B)
    track: int | None = None
    track_total: int | None = None
    cover: Cover | None = None

    def identity(self) -> list[Any]:
        """What the tags depend on (an output stamp's identity: a change re-tags the file)."""
        pic = None if self.cover is None else [self.cover.mime, hashlib.sha256(self.cover.data).hexdigest()]
        return [self.book.to_dict(), self.title, self.track, self.track_total, pic]

    @property
    def track_text(self) -> str:
        return f"{self.track}/{self.track_total}" if self.track_total else str(self.track)

    @property
    def grouping(self) -> str:
        b = self.book
        return f"{b.series} #{b.series_part}" if b.series and b.series_part else b.series


def _pairs(tags: TrackTags) -> list[tuple[str, str]]:
    """The text fields every format carries, as (Vorbis name, value); empty values left out."""
    b = tags.book
    out = [
        ("TITLE", tags.title),
        ("ALBUM", b.album),
        ("SUBTITLE", b.subtitle),
        ("GENRE", b.genre),
        ("DATE", b.year),
        ("PUBLISHER", b.publisher),
        ("COPYRIGHT", b.copyright),
        ("DESCRIPTION", b.description),
        ("LANGUAGE", b.language),
        ("SERIES", b.series),
        ("SERIES-PART", b.series_part),
        ("GROUPING", tags.grouping),
        ("ISBN", b.isbn),
        ("IDENTIFIER", b.identifier),
        ("ENCODER", ENCODER),
    ]
    return [(k, v) for k, v in out if v]


# -- FLAC: Vorbis comment + PICTURE metadata blocks --------------------------------------------------


def flac_metadata(tags: TrackTags) -> bytes:
    """FLAC metadata blocks (VORBIS_COMMENT, then PICTURE) to follow STREAMINFO; the last block is
    flagged last. Goes into a chapter FLAC as it is spliced (flacsplice.write_spliced)."""
    from mutagen.flac import Picture, VCFLACDict

    vc = VCFLACDict()
    vc.vendor = ENCODER
    for key, value in _pairs(tags):
        vc[key] = [value]
    vc["ARTIST"] = list(tags.book.authors)
    vc["ALBUMARTIST"] = list(tags.book.authors)
    vc["COMPOSER"] = list(tags.book.narrators)
    vc["NARRATOR"] = list(tags.book.narrators)
    if len(tags.book.genres) > 1:
        vc["GENRE"] = list(tags.book.genres)
    if tags.track is not None:
        vc["TRACKNUMBER"] = [str(tags.track)]
        if tags.track_total:
            vc["TRACKTOTAL"] = [str(tags.track_total)]
    blocks = [(4, vc.write(framing=False))]
    if tags.cover is not None:
        pic = Picture()
        pic.type, pic.mime, pic.desc, pic.data = 3, tags.cover.mime, "Cover", tags.cover.data
        pic.width, pic.height, pic.depth = tags.cover.width, tags.cover.height, 24
        blocks.append((6, pic.write()))
    out = b""
    for i, (kind, body) in enumerate(blocks):
        last = 0x80 if i == len(blocks) - 1 else 0
        out += bytes([last | kind]) + len(body).to_bytes(3, "big") + body
    return out


# -- MP3: ID3v2.4 -----------------------------------------------------------------------------------


def id3_bytes(tags: TrackTags) -> bytes:
    """An ID3v2.4 tag (no padding) for the head of an MP3 (blockcodec.write_mp3)."""
    from mutagen.id3 import (
        APIC,
        COMM,
        ID3,
        TALB,
        TCOM,
        TCON,
        TCOP,
        TDRC,
        TIT2,
        TIT3,
        TLAN,
        TPE1,
        TPE2,
        TPUB,
        TRCK,
        TSSE,
        TXXX,
        Encoding,
        Frame,
        PictureType,
        TextFrame,
    )

    b, enc = tags.book, Encoding.UTF8
    frames: list[Frame] = [
        TIT2(encoding=enc, text=tags.title),
        TPE1(encoding=enc, text=list(b.authors)),
        TPE2(encoding=enc, text=list(b.authors)),
        TALB(encoding=enc, text=b.album),
        TCOM(encoding=enc, text=list(b.narrators)),
        TCON(encoding=enc, text=list(b.genres) or ["Audiobook"]),
        TSSE(encoding=enc, text=ENCODER),
    ]
    optional: list[tuple[type[TextFrame], str]] = [
        (TIT3, b.subtitle),
        (TDRC, b.year),
        (TPUB, b.publisher),
        (TCOP, b.copyright),
        (TLAN, _ISO639_2.get(b.language.split("-")[0].lower(), "")),
    ]
    frames += [cls(encoding=enc, text=value) for cls, value in optional if value]
    if tags.track is not None:
        frames.append(TRCK(encoding=enc, text=tags.track_text))
    if b.description:
        frames.append(COMM(encoding=enc, lang="eng", desc="", text=b.description))
    for name, value in (
        ("SERIES", b.series),
        ("SERIES-PART", b.series_part),
        ("ISBN", b.isbn),
        ("NARRATOR", b.narrator),
        ("LANGUAGE", b.language),
    ):
        if value:
            frames.append(TXXX(encoding=enc, desc=name, text=value))
    if tags.cover is not None:
        frames.append(
            APIC(
                encoding=enc,
                mime=tags.cover.mime,
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=tags.cover.data,
            )
        )
    tag = ID3()
    for frame in frames:
        tag.add(frame)
    buf = io.BytesIO()
    tag.save(buf, v2_version=4, padding=lambda info: 0)
    return buf.getvalue()


# -- M4B: ilst items --------------------------------------------------------------------------------


def m4b_items(tags: TrackTags) -> list[tuple[bytes, bytes]]:
    """(atom key, atom body) of the M4B's ``ilst``: stik = audiobook, ©nam ©ART aART ©alb ©wrt ©nrt
    ©day desc ©gen cprt ©pub ©grp ©too, freeform SERIES / SERIES-PART / ISBN / LANGUAGE /
    SUBTITLE, covr."""
    b = tags.book
    text = [
        (b"\xa9nam", tags.title),
        (b"\xa9ART", b.author),
        (b"aART", b.author),
        (b"\xa9alb", b.album),
        (b"\xa9wrt", b.narrator),
        (b"\xa9nrt", b.narrator),
        (b"\xa9day", b.year),
        (b"desc", _short(b.description)),
        (b"ldes", b.description),
        (b"\xa9gen", b.genre),
        (b"cprt", b.copyright),
        (b"\xa9pub", b.publisher),
        (b"\xa9grp", tags.grouping),
        (b"\xa9too", ENCODER),
    ]
    items = [(key, _data(1, value.encode("utf-8"))) for key, value in text if value]
    items.insert(0, (b"stik", _data(21, bytes([STIK_AUDIOBOOK]))))
    for name, value in (
        ("SERIES", b.series),
        ("SERIES-PART", b.series_part),
        ("ISBN", b.isbn),
        ("LANGUAGE", b.language),
        ("SUBTITLE", b.subtitle),
    ):
        if value:
            items.append(
                (
                    b"----",
                    _atom(b"mean", bytes(4) + b"com.apple.iTunes")
                    + _atom(b"name", bytes(4) + name.encode())
                    + _data(1, value.encode("utf-8")),
                )
            )
    if tags.cover is not None:
        items.append((b"covr", _data(14 if tags.cover.is_png else 13, tags.cover.data)))
    return items


def _short(text: str, limit: int = 255) -> str:
    """iTunes' ``desc`` holds 255 characters (``ldes`` the whole text): cut at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _data(kind: int, value: bytes) -> bytes:
    return _atom(b"data", struct.pack(">II", kind, 0) + value)


def _atom(key: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + key + body
