"""Book metadata from the EPUB (OPF dc:* + refines), covers, and the tags of every delivery format,
read back with mutagen (Apple Books / Audiobookshelf conventions)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import mutagen.flac
import mutagen.mp4
import pytest
from mutagen.id3 import ID3
from PIL import Image

from lector.core.audio.cover import load_cover, project_cover
from lector.core.errors import ConfigError
from lector.core.ingest.epub_meta import read_epub_meta
from lector.core.ingest.metadata import book_metadata
from lector.core.project import load_project
from tests.epub_fixture import BOOKS, SHERLOCK, tiny_epub

SHERLOCK_DESCRIPTION = (
    "The world’s first consulting detective investigates a variety of intriguing cases "
    "in the first Holmes short story collection."
)
NARRATOR = "fake tone-en (synthetic voice)"
TOML = (
    '[book]\nlanguage = "en"\n{extra}\n[voices.narrator]\nengine = "fake"\nvoice = "tone-en"\nlang = "en"\n\n'
    "[render]\nqc = false\nbatch_size = 2\n"
)


def epub_project(root, extra: str = ""):
    (root / "manuscript").mkdir(parents=True)
    tiny_epub(SHERLOCK, root / "manuscript" / "book.epub")
    (root / "project.toml").write_text(TOML.format(extra=extra), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "name, title, authors, language, year",
    [
        (
            "arthur-conan-doyle_the-adventures-of-sherlock-holmes",
            "The Adventures of Sherlock Holmes",
            ("Arthur Conan Doyle",),
            "en-GB",
            "2018",
        ),
        ("edgar-allan-poe_poetry", "Poetry", ("Edgar Allan Poe",), "en-US", "2023"),
        (
            "mark-twain_the-adventures-of-huckleberry-finn",
            "The Adventures of Huckleberry Finn",
            ("Mark Twain",),
            "en-US",
            "2015",
        ),
    ],
)
def test_standard_ebooks_metadata(name, title, authors, language, year):
    meta = read_epub_meta(BOOKS / f"{name}.epub")
    assert (meta.title, meta.authors, meta.language, meta.year, meta.publisher) == (
        title,
        authors,
        language,
        year,
        "Standard Ebooks",
    )
    assert meta.cover_path == "epub/images/cover.svg"


def test_sherlock_series_genres_description_identifier():
    meta = read_epub_meta(SHERLOCK)
    assert (meta.series, meta.series_part, meta.subjects) == (
        "Sherlock Holmes",
        "3",
        ("Fiction", "Mystery", "Shorts"),
    )
    assert meta.description == SHERLOCK_DESCRIPTION
    assert (
        meta.identifier
        == "https://standardebooks.org/ebooks/arthur-conan-doyle/the-adventures-of-sherlock-holmes"
    )
    assert meta.narrators == () and meta.isbn == ""


EPUB2_OPF = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="bookid">
 <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
  <dc:title>Der Prozess</dc:title>
  <dc:creator opf:role="aut">Franz Kafka</dc:creator>
  <dc:creator opf:role="nrt">Anna Sprecher</dc:creator>
  <dc:contributor opf:role="edt">Max Brod</dc:contributor>
  <dc:identifier id="bookid">urn:uuid:1234</dc:identifier>
  <dc:identifier opf:scheme="ISBN">978-3-16-148410-0</dc:identifier>
  <dc:language>de</dc:language>
  <dc:date>1925-04-26</dc:date>
  <dc:description>&lt;p&gt;Josef K. wird &lt;i&gt;verhaftet&lt;/i&gt;.&lt;/p&gt;</dc:description>
  <meta name="calibre:series" content="Romane"/>
  <meta name="calibre:series_index" content="2.0"/>
  <meta name="cover" content="img"/>
 </metadata>
 <manifest><item id="img" href="Images/Cover%20Art.PNG" media-type="image/png"/></manifest>
 <spine/>
</package>"""


def test_epub2_roles_isbn_calibre_series_and_cover(tmp_path):
    path = tmp_path / "b.epub"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>',
        )
        zf.writestr("OEBPS/content.opf", EPUB2_OPF)
    meta = read_epub_meta(path)
    assert (meta.title, meta.authors, meta.narrators) == ("Der Prozess", ("Franz Kafka",), ("Anna Sprecher",))
    assert (meta.isbn, meta.identifier, meta.year, meta.language) == (
        "9783161484100",
        "urn:uuid:1234",
        "1925",
        "de",
    )
    assert (meta.series, meta.series_part, meta.description) == ("Romane", "2", "Josef K. wird verhaftet.")
    assert (meta.cover_path, meta.cover_type) == ("OEBPS/Images/Cover Art.PNG", "image/png")


def test_project_toml_overrides_the_epub(tmp_path):
    root = epub_project(
        tmp_path / "p",
        'title = "Adventures"\nauthor = "A. C. Doyle; J. Watson"\n'
        'narrators = ["Ann Reader"]\ngenres = ["Crime"]\nyear = "1892"\n',
    )
    meta = book_metadata(load_project(root))
    assert (meta.title, meta.authors, meta.narrators, meta.genres, meta.year) == (
        "Adventures",
        ("A. C. Doyle", "J. Watson"),
        ("Ann Reader",),
        ("Crime",),
        "1892",
    )
    assert (meta.publisher, meta.series, meta.language, meta.notes) == (
        "Standard Ebooks",
        "Sherlock Holmes",
        "en-GB",
        (),
    )


def test_no_title_anywhere_is_an_error_and_no_author_is_said(tmp_path):
    root = tmp_path / "md"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "01.md").write_text("# One\n\nText.\n", encoding="utf-8")
    (root / "project.toml").write_text(TOML.format(extra=""), encoding="utf-8")
    with pytest.raises(ConfigError, match="no title") as err:
        book_metadata(load_project(root))
    assert err.value.field == "book.title"
    (root / "project.toml").write_text(TOML.format(extra='title = "T"\n'), encoding="utf-8")
    meta = book_metadata(load_project(root))
    assert (meta.authors, meta.notes[0]) == (
        ("Unknown",),
        "author: none in project.toml or the manuscript, 'Unknown' written (set [book] author)",
    )


# -- covers ------------------------------------------------------------------------------------------


def _image(fmt: str, size=(3000, 3000), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 128) if mode == "RGBA" else (10, 20, 30)).save(buf, fmt)
    return buf.getvalue()


def test_cover_is_found_in_any_case_and_sniffed(tmp_path):
    root = epub_project(tmp_path / "p")
    (root / "Cover.JPG").write_bytes(_image("PNG"))  # a PNG under a .JPG name
    cover = project_cover(load_project(root))
    assert (cover.source, cover.mime, cover.width, cover.height, cover.warnings) == (
        "Cover.JPG",
        "image/png",
        3000,
        3000,
        (),
    )


def test_text_file_named_cover_is_an_error_naming_it(tmp_path):
    root = epub_project(tmp_path / "p")
    (root / "cover.jpg").write_text("not a picture", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cover cover\.jpg is not a readable image") as err:
        project_cover(load_project(root))
    assert str(err.value.file).endswith("cover.jpg")


def test_other_formats_are_converted_and_small_or_oblong_covers_warned():
    gif = load_cover(_image("GIF", (500, 400)), "cover.gif")
    assert (gif.mime, gif.data[:3], gif.width, gif.height) == ("image/jpeg", b"\xff\xd8\xff", 500, 400)
    assert gif.warnings == ("cover.gif is GIF (P): converted to JPEG",)
    webp = load_cover(_image("WEBP", (2400, 2400), "RGBA"), "cover.webp")
    assert (webp.mime, webp.warnings) == ("image/png", ("cover.webp is WEBP (RGBA): converted to PNG",))
    cmyk = load_cover(_image("JPEG", (2400, 2400), "CMYK"), "cover.jpg")
    assert (cmyk.mime, cmyk.warnings) == ("image/jpeg", ("cover.jpg is JPEG (CMYK): converted to JPEG",))
    assert Image.open(io.BytesIO(cmyk.data)).mode == "RGB"
    big = load_cover(_image("PNG", (6000, 6000)), "cover.png")
    assert (big.mime, big.width, big.height, big.warnings) == (
        "image/jpeg",
        4000,
        4000,
        ("cover.png is 6000 x 6000 px: scaled to 4000 x 4000 JPEG for embedding",),
    )


def test_epub_svg_cover_gives_its_embedded_picture(tmp_path):
    root = epub_project(tmp_path / "p")
    cover = project_cover(load_project(root))
    assert (cover.source, cover.mime, cover.width, cover.height) == (
        "manuscript/book.epub:epub/images/cover.svg",
        "image/jpeg",
        1400,
        2100,
    )
    assert cover.warnings[0].startswith("manuscript/book.epub:epub/images/cover.svg is an SVG")


# -- every format's tags, read back ------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_server")
def test_m4b_mp3_flac_tags_from_the_epub(tmp_path):
    from lector.flows.produce import produce_book

    root = epub_project(tmp_path / "sherlock")
    produce_book(str(root), publish=True)
    masters = root / "build" / "masters"
    cover = project_cover(load_project(root))
    rights = read_epub_meta(SHERLOCK).rights
    book = masters / "the-adventures-of-sherlock-holmes.m4b"
    assert book.read_bytes()[8:12] == b"M4B "
    mp4 = mutagen.mp4.MP4(book)
    expect = {
        "stik": [2],
        "\xa9nam": ["The Adventures of Sherlock Holmes"],
        "\xa9ART": ["Arthur Conan Doyle"],
        "aART": ["Arthur Conan Doyle"],
        "\xa9alb": ["The Adventures of Sherlock Holmes"],
        "\xa9wrt": [NARRATOR],
        "\xa9nrt": [NARRATOR],
        "\xa9day": ["2018"],
        "desc": [SHERLOCK_DESCRIPTION],
        "ldes": [SHERLOCK_DESCRIPTION],
        "\xa9gen": ["Fiction; Mystery; Shorts"],
        "cprt": [rights],
        "\xa9pub": ["Standard Ebooks"],
        "\xa9grp": ["Sherlock Holmes #3"],
        "\xa9too": ["Lector"],
    }
    assert {k: mp4.tags[k] for k in expect} == expect
    freeform = {
        k.split(":")[-1]: [bytes(v).decode() for v in mp4.tags[k]] for k in mp4.tags if k.startswith("----")
    }
    assert freeform == {"SERIES": ["Sherlock Holmes"], "SERIES-PART": ["3"], "LANGUAGE": ["en-GB"]}
    assert bytes(mp4.tags["covr"][0]) == cover.data
    assert mp4.tags["covr"][0].imageformat == mutagen.mp4.MP4Cover.FORMAT_JPEG
    assert [c.title for c in mp4.chapters] == [
        "Opening Credits",
        "A Scandal in Bohemia",
        "The Red-Headed League",
    ]

    id3 = ID3(masters / "03-the-red-headed-league.mp3")
    assert id3.version == (2, 4, 0)
    texts = {k: id3[k].text for k in ("TIT2", "TPE1", "TPE2", "TALB", "TCOM", "TCON", "TRCK", "TPUB", "TLAN")}
    assert texts == {
        "TIT2": ["The Red-Headed League"],
        "TPE1": ["Arthur Conan Doyle"],
        "TPE2": ["Arthur Conan Doyle"],
        "TALB": ["The Adventures of Sherlock Holmes"],
        "TCOM": [NARRATOR],
        "TCON": ["Fiction", "Mystery", "Shorts"],
        "TRCK": ["3/3"],
        "TPUB": ["Standard Ebooks"],
        "TLAN": ["eng"],
    }
    assert str(id3["TDRC"]) == "2018" and id3["TCOP"].text == [rights]
    assert id3.getall("COMM")[0].text == [SHERLOCK_DESCRIPTION]
    assert {f.desc: f.text for f in id3.getall("TXXX")} == {
        "SERIES": ["Sherlock Holmes"],
        "SERIES-PART": ["3"],
        "NARRATOR": [NARRATOR],
        "LANGUAGE": ["en-GB"],
    }
    apic = id3.getall("APIC")[0]
    assert (apic.mime, apic.type, apic.data) == ("image/jpeg", 3, cover.data)

    flac = mutagen.flac.FLAC(masters / "02-a-scandal-in-bohemia.flac")
    assert {
        k: flac[k]
        for k in (
            "TITLE",
            "ARTIST",
            "ALBUMARTIST",
            "ALBUM",
            "COMPOSER",
            "NARRATOR",
            "GENRE",
            "DATE",
            "TRACKNUMBER",
            "TRACKTOTAL",
            "SERIES",
            "SERIES-PART",
            "DESCRIPTION",
            "PUBLISHER",
            "LANGUAGE",
        )
    } == {
        "TITLE": ["A Scandal in Bohemia"],
        "ARTIST": ["Arthur Conan Doyle"],
        "ALBUMARTIST": ["Arthur Conan Doyle"],
        "ALBUM": ["The Adventures of Sherlock Holmes"],
        "COMPOSER": [NARRATOR],
        "NARRATOR": [NARRATOR],
        "GENRE": ["Fiction", "Mystery", "Shorts"],
        "DATE": ["2018"],
        "TRACKNUMBER": ["2"],
        "TRACKTOTAL": ["3"],
        "SERIES": ["Sherlock Holmes"],
        "SERIES-PART": ["3"],
        "DESCRIPTION": [SHERLOCK_DESCRIPTION],
        "PUBLISHER": ["Standard Ebooks"],
        "LANGUAGE": ["en-GB"],
    }
    pic = flac.pictures[0]
    assert (pic.type, pic.mime, pic.width, pic.height, pic.data) == (3, "image/jpeg", 1400, 2100, cover.data)
    chapter = root / "build" / "chapters" / "02" / "chapter.flac"
    assert (
        masters / "02-a-scandal-in-bohemia.flac"
    ).stat().st_ino == chapter.stat().st_ino  # still a hard link
    assert flac.info.total_samples > 0 and flac.info.sample_rate == 44100

    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert (manifest["title"], manifest["author"], manifest["metadata"]["series"]) == (
        "The Adventures of Sherlock Holmes",
        "Arthur Conan Doyle",
        "Sherlock Holmes",
    )
    assert {c["rule"]: c["ok"] for c in manifest["retail"]["checks"]} == {
        "opening_credits": True,
        "closing_credits": False,
        "mp3_bitrate": True,
        "sample_rate": True,
        "cover_square": False,
        "cover_size": False,
    }
    assert not (root / "build" / "qc.json").exists()  # QC off: the rules are in the manifest only
    store = root / "build" / "object-store" / "lector" / "audiobooks" / "sherlock" / "1"
    assert manifest["publish_url"] == store.resolve().as_uri() + "/"
    published = json.loads((store / "manifest.json").read_text())
    for entry in published["files"]:  # every URL names the published bytes
        data = Path(unquote(urlparse(entry["url"]).path)).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["url"] == next(e["url"] for e in manifest["files"] if e["path"] == entry["path"])


# -- retail rules ------------------------------------------------------------------------------------


def _delivery(
    sources=("manuscript/credits", "manuscript/a.md", "manuscript/credits"),
    minutes=(0.2, 60, 0.2),
    kbps=192,
    cover=(3000, 3000),
):
    from lector.core.audio.cover import Cover
    from lector.core.qc.retail import BookPart, Delivery

    parts = tuple(
        BookPart(i, f"c{i}", s, m * 60) for i, (s, m) in enumerate(zip(sources, minutes, strict=True), 1)
    )
    pic = Cover(b"", "image/jpeg", *cover, "cover.jpg") if cover else None
    return Delivery(parts, ("flac", "mp3", "m4b"), kbps, 44100, pic)


def test_acx_book_rules_pass_and_fail_per_rule():
    from lector.core.qc.retail import book_checks

    ok = book_checks("acx", _delivery())
    assert [(c.rule, c.ok) for c in ok] == [
        ("opening_credits", True),
        ("closing_credits", True),
        ("mp3_bitrate", True),
        ("sample_rate", True),
        ("cover_square", True),
        ("cover_size", True),
    ]
    bad = book_checks(
        "acx", _delivery(sources=("manuscript/a.md", "manuscript/b.md"), minutes=(1, 2), cover=(1400, 2100))
    )
    assert [c.detail for c in bad if not c.ok] == [
        "ACX / Audible: no opening credits chapter (set [credits] opening = true)",
        "ACX / Audible: no closing credits chapter (set [credits] closing = true)",
        "ACX / Audible: cover cover.jpg is 1400 x 2100 px, not square",
        "ACX / Audible: cover 1400 x 2100 px (not at least 2400 px)",
    ]
    assert [c.rule for c in book_checks("acx", _delivery(cover=None)) if not c.ok] == ["cover"]


def test_apple_google_and_podcast_rules():
    from lector.core.qc.retail import book_checks

    apple = {
        c.rule: (c.ok, c.detail)
        for c in book_checks("apple-books", _delivery(minutes=(0.2, 3, 0.2), kbps=128))
    }
    assert apple["mp3_bitrate"] == (True, "Apple Books: MP3 CBR 128 kbps at or above 128 kbps")
    assert apple["book_length"] == (False, "Apple Books: book 3.4 min outside 5…6000 min")
    google = book_checks("google-play", _delivery())
    assert {c.rule for c in google if not c.ok} == set() and google[0].detail.startswith(
        "Google Play Books: "
    )
    podcast = {c.rule: c.ok for c in book_checks("podcast", _delivery(cover=(3200, 3200)))}
    assert podcast == {"mp3_bitrate": True, "sample_rate": True, "cover_square": True, "cover_size": False}


def test_manifest_urls_for_s3_with_an_endpoint_and_without():
    from lector.core.build.manifest import add_urls
    from lector.flows.publish import PublishTarget

    doc = {"files": [{"path": "masters/01 a.mp3", "sha256": "ab" * 32}]}
    add_urls(doc, PublishTarget("s3", "books", "audiobooks/p/1", endpoint_url="http://127.0.0.1:9000/"))
    key = f"audiobooks/p/1/objects/{'ab' * 32}/masters/01 a.mp3"
    assert (doc["publish_url"], doc["publish_https_url"]) == (
        "s3://books/audiobooks/p/1/",
        "http://127.0.0.1:9000/books/audiobooks/p/1/",
    )
    assert doc["files"][0]["url"] == f"s3://books/{key}"
    assert doc["files"][0]["https_url"] == f"http://127.0.0.1:9000/books/{key.replace(' ', '%20')}"
    add_urls(doc, PublishTarget("s3", "books", "audiobooks/p/1"))
    assert (doc["publish_url"], doc["publish_https_url"], doc["files"][0]["https_url"]) == (
        "s3://books/audiobooks/p/1/",
        None,
        None,
    )


def test_book_rules_go_into_the_qc_report_beside_its_chapters(tmp_path):
    from lector.core.qc.report import ChapterQC, ProfileCheck, merge_into_report, set_book_checks
    from lector.core.qc.retail import book_checks

    path = tmp_path / "qc.json"
    merge_into_report(
        path, "p", (ChapterQC(1, "One", (), (ProfileCheck("acx", True, -20.0, "level", "level"),)),), {}
    )
    checks = book_checks("acx", _delivery(cover=(1400, 2100)))
    set_book_checks(path, "p", checks)
    data = json.loads(path.read_text())
    assert [c["chapter"] for c in data["chapters"]] == [1]
    assert [(c["rule"], c["ok"]) for c in data["book"]] == [
        ("opening_credits", True),
        ("closing_credits", True),
        ("mp3_bitrate", True),
        ("sample_rate", True),
        ("cover_square", False),
        ("cover_size", False),
    ]
    assert (data["summary"]["profile_failures"], data["summary"]["book_failures"]) == (0, 2)
    merge_into_report(path, "p", (ChapterQC(2, "Two", ()),), {})  # a later chapter's QC keeps them
    data = json.loads(path.read_text())
    assert (
        [c["chapter"] for c in data["chapters"]],
        len(data["book"]),
        data["summary"]["book_failures"],
    ) == ([1, 2], 6, 2)


def test_export_mp3_and_retag_flac_outside_the_block_path(tmp_path):
    """The whole-chapter paths (a master not made of blocks): export_mp3 with the book's ID3v2.4 tag,
    flacsplice.retag giving a FLAC its Vorbis comments and picture as a new file."""
    import numpy as np
    import soundfile as sf

    from lector.core.audio.export import export_mp3
    from lector.core.audio.flacsplice import retag
    from lector.core.audio.tags import TrackTags, flac_metadata
    from lector.core.ingest.metadata import BookMetadata

    meta = BookMetadata("Book", ("Ann Author",), ("Ned Narrator",), "en", year="1892", genres=("Fiction",))
    tags = TrackTags(meta, "One", 1, 4, load_cover(_image("PNG", (2400, 2400)), "cover.png"))
    audio = (0.1 * np.sin(np.arange(44100) / 10)).astype(np.float32)
    mp3 = export_mp3(audio, 44100, tmp_path / "01.mp3", tags=tags)
    id3 = ID3(mp3)
    assert (id3.version, id3["TRCK"].text, id3["TCOM"].text, str(id3["TDRC"])) == (
        (2, 4, 0),
        ["1/4"],
        ["Ned Narrator"],
        "1892",
    )
    assert id3.getall("APIC")[0].mime == "image/png"
    flac = tmp_path / "01.flac"
    sf.write(str(flac), audio, 44100, subtype="PCM_24")
    before, samples = flac.stat().st_ino, sf.read(str(flac), dtype="float32")[0]
    retag(flac, flac_metadata(tags))
    tagged = mutagen.flac.FLAC(flac)
    assert (tagged["TITLE"], tagged["COMPOSER"], tagged["TRACKTOTAL"], tagged.pictures[0].mime) == (
        ["One"],
        ["Ned Narrator"],
        ["4"],
        "image/png",
    )
    assert flac.stat().st_ino != before  # replaced, never changed in place
    assert np.array_equal(sf.read(str(flac), dtype="float32")[0], samples)
    retag(flac, b"")  # and the tags taken out again
    assert mutagen.flac.FLAC(flac).tags is None


@pytest.mark.usefixtures("prefect_server")
def test_s3_manifest_urls_fetch_the_published_bytes(tiny_project, s3_bucket):
    """publish_url and every file's url / https_url in the manifest (build and published) name the
    bytes stored at the S3 endpoint (moto over HTTP; the objects are private, so the https_url is
    fetched as the presigned URL boto3 makes for that key, which must start with it)."""
    import boto3
    import httpx

    from lector.flows.produce import produce_book

    endpoint, bucket = s3_bucket
    root = tiny_project(
        extra_toml=f'\n[publish]\ntarget = "s3"\nbucket = "{bucket}"\nprefix = "books"\n'
        f'endpoint_url = "{endpoint}"\n'
    )
    produce_book(str(root))
    built = json.loads((root / "build" / "manifest.json").read_text())
    assert (built["publish_target"], built["publish_url"], built["publish_https_url"]) == (
        "s3",
        f"s3://{bucket}/books/tiny/1/",
        f"{endpoint}/{bucket}/books/tiny/1/",
    )
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for entry in built["files"]:
        key = f"books/tiny/1/objects/{entry['sha256']}/{entry['path']}"
        assert (entry["url"], entry["https_url"]) == (f"s3://{bucket}/{key}", f"{endpoint}/{bucket}/{key}")
        signed = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
        assert signed.startswith(entry["https_url"] + "?")
        assert hashlib.sha256(httpx.get(signed).content).hexdigest() == entry["sha256"]
    published = json.loads(client.get_object(Bucket=bucket, Key="books/tiny/1/manifest.json")["Body"].read())
    assert [(e["url"], e["https_url"]) for e in published["files"]] == [
        (e["url"], e["https_url"]) for e in built["files"]
    ]


def test_m4b_desc_is_cut_to_255_characters_and_ldes_keeps_all():
    from lector.core.audio.tags import TrackTags, m4b_items
    from lector.core.ingest.metadata import BookMetadata

    text = " ".join(["word"] * 100)  # 499 characters
    items = dict(m4b_items(TrackTags(BookMetadata("T", ("A",), ("N",), "en", description=text), "T")))
    desc, ldes = items[b"desc"][16:].decode(), items[b"ldes"][16:].decode()
    assert (len(desc), desc.endswith("word…"), ldes) == (250, True, text)
