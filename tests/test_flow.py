"""Flow mechanics on a tiny two-chapter project with the fake engine (a Prefect test server)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4

from lector.cli import main as lector
from lector.core.audio.blockcodec import parse_mp3_header, split_mp3_frames
from lector.core.build import ChapterOutput
from lector.core.build.manifest import build_manifest
from lector.core.project import load_project
from lector.flows.produce import produce_book, rerender_changed, rerender_sentences, run_book

pytestmark = pytest.mark.usefixtures("prefect_server")


def cache_files(root):
    return sorted(
        p.name
        for p in (root / "build" / "cache").rglob("*.flac")
        if re.fullmatch(r"[0-9a-f]{64}\.flac", p.name)
    )


def test_produce_book_outputs_and_manifest(tiny_project):
    root = tiny_project()
    summary = produce_book(str(root), publish=True)
    assert summary["chapters"] == [1, 2]
    assert (summary["synthesized"], summary["cached"]) == (6, 0)
    masters = root / "build" / "masters"
    assert sorted(p.name for p in masters.iterdir()) == [
        "01-one.flac",
        "01-one.mp3",
        "01-one.vtt",
        "02-two.flac",
        "02-two.mp3",
        "02-two.vtt",
        "review",
        "tiny-book.m4b",
    ]
    assert (masters / "review" / "index.html").is_file()
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert (manifest["synthesized"], manifest["cached"]) == (6, 0)
    assert manifest["engines"] == {"fake": "1"}
    assert manifest["flags"] == []
    assert [c["index"] for c in manifest["chapters"]] == [1, 2]
    for entry in manifest["files"]:
        data = (root / "build" / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size_bytes"]
    store = root / "build" / "object-store" / "lector" / "audiobooks" / "tiny" / "1"
    assert summary["published"] == str(store) + "/"
    # the published manifest is the build's plus each file's content-addressed key (flows.publish)
    published = json.loads((store / "manifest.json").read_text())
    assert [
        {k: v for k, v in e.items() if k not in ("key", "verified_by")} for e in published["files"]
    ] == manifest["files"]
    m4b = next(e for e in published["files"] if e["path"] == "masters/tiny-book.m4b")
    assert m4b["key"] == f"objects/{m4b['sha256']}/masters/tiny-book.m4b"
    assert (store / m4b["key"]).read_bytes() == (masters / "tiny-book.m4b").read_bytes()


def test_m4b_has_chapter_marks_and_cover_and_mp3_is_cbr_192k(tiny_project):
    root = tiny_project()
    produce_book(str(root), publish=False)
    masters = root / "build" / "masters"
    book = MP4(masters / "tiny-book.m4b")
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert book.chapters[0].start == 0.0
    timeline1 = json.loads((root / "build" / "chapters" / "01" / "timeline.json").read_text())
    assert abs(book.chapters[1].start - timeline1["duration_s"]) < 0.05
    assert book.tags["\xa9nam"] == ["Tiny Book"]
    assert book.tags["\xa9ART"] == ["Test Author"]
    assert len(book.tags["covr"]) == 1
    mp3 = MP3(masters / "02-two.mp3")
    assert (mp3.info.bitrate_mode, mp3.info.sample_rate) == (BitrateMode.CBR, 44100)
    data = (masters / "02-two.mp3").read_bytes()
    frames = split_mp3_frames(data[data.index(b"\xff\xfb") :])  # after the ID3 tag
    assert {parse_mp3_header(f).kbps for f in frames} == {192}  # every frame, the Info frame too
    assert abs(mp3.info.bitrate - 192000) <= 2  # mutagen's estimate from the Info counts
    assert str(mp3.tags["TIT2"]) == "Two"
    assert str(mp3.tags["TPE1"]) == "Test Author"
    assert str(mp3.tags["TALB"]) == "Tiny Book"
    assert str(mp3.tags["TRCK"]) == "2/2"  # n/N
    vtt = (masters / "01-one.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.")
    assert "The second one follows." in vtt


def test_one_sentence_edit_synthesizes_exactly_one(tiny_project):
    root = tiny_project()
    first = run_book(str(root), publish=False, runner="sequential")
    assert (first["synthesized"], first["cached"]) == (6, 0)
    md = root / "manuscript" / "01.md"
    md.write_text(md.read_text().replace("The second one follows.", "The second one follows closely."))
    second = run_book(str(root), publish=False)
    assert (second["synthesized"], second["cached"]) == (1, 5)
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert (manifest["synthesized"], manifest["cached"]) == (1, 5)
    assert [(c["synthesized"], c["cached"]) for c in manifest["chapters"]] == [(1, 2), (0, 3)]
    assert "closely" in (root / "build" / "masters" / "01-one.vtt").read_text()


def test_rerender_changed_rebuilds_only_the_changed_chapter(tiny_project):
    root = tiny_project()
    produce_book(str(root), publish=False)
    ch2 = root / "build" / "masters" / "02-two.flac"
    before = ch2.stat().st_mtime_ns
    md = root / "manuscript" / "01.md"
    md.write_text(md.read_text().replace("is here", "is right here"))
    summary = rerender_changed(str(root))
    assert summary["chapters"] == [1]
    assert (summary["synthesized"], summary["cached"]) == (1, 5)
    assert ch2.stat().st_mtime_ns == before
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert [c["index"] for c in manifest["chapters"]] == [1, 2]
    assert len([f for f in manifest["files"] if f["path"].endswith(".m4b")]) == 1
    again = rerender_changed(str(root))
    assert (again["chapters"], again["synthesized"], again["cached"]) == ([], 0, 6)


def test_rerender_sentences_returns_their_cache_keys(tiny_project):
    root = tiny_project()
    produce_book(str(root), publish=False)
    plan = json.loads((root / "build" / "plan.json").read_text())
    sid = plan["chapters"][1]["sentences"][1]["id"]
    summary = rerender_sentences(str(root), [sid])
    assert summary["chapters"] == [2]
    assert list(summary["sentences"]) == [sid]
    assert len(summary["sentences"][sid]) == 64
    with pytest.raises(ValueError, match="unknown sentence ids: nope"):
        rerender_sentences(str(root), ["nope"])


def test_chapter_outside_profile_is_flagged(tiny_project):
    root = tiny_project()
    project = load_project(root)
    (root / "build" / "masters").mkdir(parents=True)
    (root / "build" / "masters" / "01-a.flac").write_bytes(b"x")
    out = ChapterOutput(
        index=1,
        title="A",
        duration_s=1.0,
        profile="acx",
        gain_db=0.0,
        measurements=(("rms_dbfs", -30.0),),
        violations=("level -30.00 dBFS RMS outside -23…-18",),
        files=("masters/01-a.flac",),
    )
    (root / "build" / "qc.json").write_text(json.dumps({"summary": {"chapters": 1, "flagged": 0}}))
    manifest = build_manifest(project, plan_hash="h", chapters=[out], book_files=(), counts=(1, 0))
    assert manifest["qc"] == {"chapters": 1, "flagged": 0}
    assert manifest["flags"] == [
        {"chapter": 1, "title": "A", "profile": "acx", "issue": "level -30.00 dBFS RMS outside -23…-18"}
    ]


def test_unknown_chapter_is_a_clear_error(tiny_project):
    root = tiny_project()
    with pytest.raises(ValueError, match=r"no chapter\(s\) \[5\] in this book"):
        produce_book(str(root), chapters=[5], publish=False)


def test_cli_render_prints_counts_progress_and_masters(tiny_project, capsys):
    root = tiny_project()
    assert lector(["render", str(root), "--chapters", "2", "--no-publish"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[:2] == [
        "tiny: chapters [2] — synthesized 3, cached 0",
        f"masters: {root / 'build' / 'masters'}",
    ]
    # not a terminal: one line per chapter, no per-batch detail (that is --verbose)
    chapter_lines = [line for line in err.splitlines() if line.startswith("lector: chapter")]
    assert len(chapter_lines) == 1
    assert chapter_lines[0].startswith("lector: chapter 1/1 done: 02 Two (") and chapter_lines[0].endswith(
        " s)"
    )
    assert not any(line.startswith("lector: render ch02") for line in err.splitlines())
    assert not (root / "build" / "object-store").exists()
    assert lector(["render", str(root), "--chapters", "1,2", "--no-publish", "--verbose"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "tiny: chapters [1, 2] — synthesized 3, cached 3"
    assert any(line.startswith("lector: render ch01 One") for line in err.splitlines())
    assert "lector: chapter 1 mastered: " in err


def test_cli_errors_are_one_line_without_starting_a_flow(tmp_path, capsys):
    assert lector(["render", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == (
        f"lector: error: {tmp_path / 'missing' / 'project.toml'}: no project.toml "
        f"found — fix: run `lector init {tmp_path / 'missing'}` or point to a "
        "project folder\n"
    )
    assert lector(["demo", "--projects", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("lector: error: ")
    assert lector(["render", str(tmp_path), "--chapters", "1,x"]) == 2


def test_plan_warnings_reach_the_manifest_and_the_cli_summary(tiny_project, capsys):
    """What the plan joined or turned into a pause is said by the render, not only by `lector plan`."""
    root = tiny_project()
    md = root / "manuscript" / "02.md"
    md.write_text(md.read_text(encoding="utf-8") + "\n* * *\n\nThe end came at last.\n", encoding="utf-8")
    assert lector(["render", str(root), "--no-publish"]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert manifest["plan_warnings"]["counts"] == {"pause": 1}
    [item] = manifest["plan_warnings"]["items"]
    assert (item["kind"], item["source"]) == ("pause", "manuscript/02.md:5")
    assert (
        "plan warnings: 1 (pause 1) — `lector proof tiny` lists each; also in manifest.json plan_warnings"
        in out
    )
