"""The cover art embedded in every delivery file (M4B ``covr``, MP3 ``APIC``, FLAC ``PICTURE``).

Where it comes from: ``cover.*`` in the project folder (any case: ``Cover.JPG``), else the
manuscript EPUB's cover image (OPF ``properties="cover-image"`` / ``<meta name="cover">``).
What it is: sniffed from its bytes (Pillow), never from its name; a file that is not an image is
an error naming it. JPEG and PNG are embedded as they are; other raster formats are converted
(JPEG, or PNG when the image has transparency). An SVG cover (Standard Ebooks) cannot be drawn
here: its largest embedded raster image is used, with a warning that its vector text (title,
author) is not in it. Its size and aspect are checked against the delivery profile's rules
(ACX: square, at least 2400 px; lector.core.qc.retail), which the QC report and the CLI state.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from ..errors import ConfigError, LectorError, ManuscriptError

if TYPE_CHECKING:
    from ..project import Project

MAX_PIXELS = 100_000_000  # refuse decompression bombs, not big covers
MAX_SIDE_PX = 4000  # larger covers are scaled down to this (ACX asks 2400, Apple Podcasts ≤ 3000)
_DATA_URI = re.compile(rb"data:image/(png|jpe?g|gif|webp);base64,([A-Za-z0-9+/=\s]+)")


@dataclass(frozen=True)
class Cover:
    data: bytes  # JPEG or PNG bytes, as embedded
    mime: str  # "image/jpeg" | "image/png"
    width: int
    height: int
    source: str  # the file it came from (cover.jpg, manuscript/x.epub:images/cover.svg)
    warnings: tuple[str, ...] = ()

    @property
    def is_png(self) -> bool:
        return self.mime == "image/png"

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "bytes": len(self.data),
            "warnings": list(self.warnings),
        }


def project_cover(project: Project) -> Cover | None:
    """The project's cover (see the module doc), or None when there is none anywhere."""
    path = project.cover
    if path is not None:
        st = path.stat()
        return _file_cover(str(path), path.relative_to(project.root).as_posix(), st.st_mtime_ns, st.st_size)
    from ..ingest.metadata import manuscript_epub

    epub = manuscript_epub(project)
    if epub is None:
        return None
    st = epub.stat()
    return _epub_cover(str(epub), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _epub_cover(path: str, mtime_ns: int, size: int) -> Cover | None:
    from ..ingest.epub_meta import read_epub_member, read_epub_meta

    member = read_epub_meta(path).cover_path
    if not member:
        return None
    where = f"manuscript/{Path(path).name}:{member}"
    return load_cover(read_epub_member(path, member), where, error=ManuscriptError, file=path)


@lru_cache(maxsize=8)
def _file_cover(path: str, name: str, mtime_ns: int, size: int) -> Cover:
    return load_cover(Path(path).read_bytes(), name, error=ConfigError, file=path)


def load_cover(
    data: bytes,
    source: str,
    *,
    error: type[LectorError] = ConfigError,
    file: str | Path | None = None,
) -> Cover:
    """``data`` checked and made embeddable (see the module doc)."""
    warnings: list[str] = []
    head = data[:512].lstrip()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        data = _svg_raster(data, source, error, file)
        warnings.append(
            f"{source} is an SVG: its embedded picture is used without the SVG's own text "
            "and shapes (add a cover.jpg to the project folder for the full cover)"
        )
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            fmt, size = img.format, img.size
            if max(size) > MAX_SIDE_PX:  # embedded in every chapter file: keep it a sane size
                img.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
                data, fmt = _convert(img)
                warnings.append(
                    f"{source} is {size[0]} x {size[1]} px: scaled to {img.width} x {img.height} "
                    f"{fmt} for embedding"
                )
                size = img.size
            elif fmt not in ("JPEG", "PNG") or img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                data, fmt = _convert(img)  # other formats, and CMYK JPEGs (players and stores want RGB)
                warnings.append(f"{source} is {img.format or 'an image'} ({img.mode}): converted to {fmt}")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        why = f"its first bytes are {data[:12]!r}" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise error(
            f"cover {source} is not a readable image ({why})",
            file=file,
            fix="replace it with a JPEG or PNG picture (square, at least 2400 x 2400 px)",
        ) from None
    width, height = size  # square / size: the profile's retail rules (qc.retail)
    return Cover(data, "image/png" if fmt == "PNG" else "image/jpeg", width, height, source, tuple(warnings))


def _convert(img: Image.Image) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        img.convert("RGBA").save(buf, "PNG")
        return buf.getvalue(), "PNG"
    img.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue(), "JPEG"


def _svg_raster(data: bytes, source: str, error: type[LectorError], file: str | Path | None) -> bytes:
    """The largest base64 raster image inside an SVG."""
    found = sorted((m.group(2) for m in _DATA_URI.finditer(data)), key=len, reverse=True)
    if not found:
        raise error(
            f"cover {source} is an SVG with no embedded picture, which cannot be drawn here",
            file=file,
            fix="add a cover.jpg or cover.png (square, at least 2400 x 2400 px) to the project folder",
        )
    return base64.b64decode(b"".join(found[0].split()))
