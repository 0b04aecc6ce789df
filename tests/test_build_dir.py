"""lector.core.build: the build folder's paths and its typed, versioned records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lector.core.audio.block_store import MasteredBlock
from lector.core.audio.recipe import Recipe, Step
from lector.core.build import (
    BuildDir,
    BuildRecordError,
    ChapterOutput,
    Manifest,
    MasterDoc,
    Stamp,
    Timeline,
    TimelineRow,
)
from lector.core.build.qc_file import merge_qc, read_qc, set_book_checks

ROOT = Path(__file__).resolve().parents[1]
KEY = "ab" * 32
MEASURED = (
    ("rms_dbfs", -20.5),
    ("peak_dbfs", -3.6),
    ("true_peak_dbfs", -3.5),
    ("noise_floor_dbfs", -70.0),
    ("lufs_integrated", -20.0),
    ("duration_s", 12.5),
    ("head_s", 0.75),
    ("tail_s", 2.0),
)


def _output() -> ChapterOutput:
    return ChapterOutput(
        index=2,
        title="Zwei",
        duration_s=12.5,
        profile="acx",
        gain_db=1.25,
        measurements=MEASURED[:2],
        violations=("peak over",),
        files=("masters/02-zwei.flac", "masters/02-zwei.mp3"),
        synthesized=3,
        cached=4,
        fallbacks=("s1",),
        engines=(("fake", "1"),),
        master_id="m" * 32,
        recipe_kept=True,
        engine_sentences=(("fake", 7),),
        fallback_details=(("s1", "narrator", "espeak-draft", "boom"),),
    )


def _timeline() -> Timeline:
    row = TimelineRow("s1", 0.75, 1.75, KEY, "Grüße.", "ɡʁyːsə", "narrator", "neutral", 10, "fake", None)
    return Timeline(
        2, "Zwei", 44100, 3.5, (row, TimelineRow("s2", 2.0, 3.0, "", "B", "", "n", "calm", None, ""))
    )


def _master_doc(measured=MEASURED) -> MasterDoc:
    return MasterDoc(
        master_id="m" * 32,
        recipe=Recipe("acx", (Step("gain", 1.25, 0.0),)),
        notes=("note",),
        sample_rate=44100,
        gain_db=1.25,
        measurements=measured,
        violations=(),
        blocks=(MasteredBlock("k1", "r1", 0, 9216), MasteredBlock("k2", "r1", 9216, 18432)),
        output=_output(),
    )


def test_paths_are_the_documented_layout(tmp_path):
    bd = BuildDir(tmp_path / "build")
    b = tmp_path / "build"
    assert (bd.plan_json, bd.qc_json, bd.manifest_json, bd.qc_lock, bd.render_lock) == (
        b / "plan.json",
        b / "qc.json",
        b / "manifest.json",
        b / ".qc.lock",
        b / ".render.lock",
    )
    assert (bd.timeline_path(3), bd.master_doc_path(3), bd.chapter_flac(3), bd.stamp_path(3, "mp3")) == (
        b / "chapters/03/timeline.json",
        b / "chapters/03/master.json",
        b / "chapters/03/chapter.flac",
        b / "chapters/03/.mp3.stamp.json",
    )
    assert bd.take_path(KEY) == b / "cache" / "ab" / f"{KEY}.flac"
    assert (bd.aac_path("m1", 64), bd.master_file("03-x", "mp3"), bd.review_bundle_dir) == (
        b / "aac/m1-64k.aac",
        b / "masters/03-x.mp3",
        b / "masters/review",
    )
    assert (bd.blocks_dir, bd.qc_cache_dir, bd.review_state) == (
        b / "blocks",
        b / "qc-cache",
        b / "review/state.sqlite",
    )
    assert bd.rel(b / "masters/03-x.mp3") == "masters/03-x.mp3"


def test_timeline_round_trips_exactly(tmp_path):
    bd = BuildDir(tmp_path / "build")
    timeline = _timeline()
    path = bd.write_timeline(timeline)
    assert path == bd.timeline_path(2)
    assert bd.read_timeline(2) == timeline
    assert bd.built_chapters() == [2]
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "Grüße" in text  # indent 2, not ASCII-escaped
    assert json.loads(text)["schema"] == "lector-timeline-v1"
    assert timeline.keys() == [("s1", KEY), ("s2", "")]


def test_a_timeline_written_before_versioning_reads_as_v1(tmp_path):
    bd = BuildDir(tmp_path / "build")
    bd.chapter_dir(1).mkdir(parents=True)
    row = {"id": "a", "start_s": 0.5, "end_s": 1.0, "cache_key": KEY, "text": "A", "voice": "n", "lang": "en"}
    doc = {"chapter": 1, "title": "One", "sample_rate": 24000, "duration_s": 1.5, "sentences": [row]}
    bd.timeline_path(1).write_text(json.dumps(doc))
    assert bd.read_timeline(1) == Timeline(
        1, "One", 24000, 1.5, (TimelineRow("a", 0.5, 1.0, KEY, "A", "", "n", "", None, "", None, "en"),)
    )


def test_master_doc_and_stamp_round_trip_exactly(tmp_path):
    bd = BuildDir(tmp_path / "build")
    doc = _master_doc()
    bd.write_master_doc(2, doc)
    assert bd.read_master_doc(2) == doc
    assert bd.read_master_doc(2).measured().lufs_integrated == -20.0
    raw = bd.master_doc_path(2).read_bytes()
    assert raw.startswith(b'{\n "schema": "lector-master-v1",\n "master_id": "') and not raw.endswith(b"\n")
    stamp = Stamp({"master": "m", "tags": None}, 1234, "f" * 64, {"note": "x"})
    bd.write_stamp(2, "mp3", stamp)
    assert bd.read_stamp(2, "mp3") == stamp
    assert bd.stamp_path(2, "mp3").read_text() == (
        '{"identity": {"master": "m", "tags": null}, "note": "x", "schema": "lector-stamp-v1", '
        '"sha256": "' + "f" * 64 + '", "size": 1234}'
    )


def test_a_master_that_cannot_be_replayed_is_none_but_still_listed(tmp_path):
    bd = BuildDir(tmp_path / "build")
    bd.write_master_doc(1, MasterDoc("m1", None, (), 44100, 0.0, MEASURED, (), ()))
    bd.write_master_doc(2, _master_doc())
    bd.chapter_dir(3).mkdir(parents=True)
    bd.master_doc_path(3).write_text("{not json")
    assert (bd.read_master_doc(1), bd.read_master_doc(3)) == (None, None)
    assert [d.master_id for d in bd.master_docs()] == ["m1", "m" * 32]


def test_chapter_output_round_trips_through_its_dict():
    out = _output()
    d = out.to_dict()
    assert d["fallback_details"] == [
        {"sentence_id": "s1", "voice": "narrator", "engine": "espeak-draft", "error": "boom"}
    ]
    assert ChapterOutput.from_dict(json.loads(json.dumps(d))) == out


def test_manifest_round_trips_and_gives_typed_entries(tmp_path):
    bd = BuildDir(tmp_path / "build")
    doc = {
        "schema": "lector-manifest-v1",
        "project": "p",
        "chapters": [_output().to_dict()],
        "files": [{"path": "masters/02-zwei.flac", "size_bytes": 10, "sha256": "0" * 64, "duration_s": 12.5}],
        "fallback": {"sentences": 1, "chapters": {"2": 1}, "allowed": False, "publish_withheld": True},
        "retail": {"failures": ["cover"]},
        "metadata": {"notes": ["n"]},
    }
    path = bd.write_manifest(doc)
    assert path.read_text(encoding="utf-8") == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    manifest = bd.load_manifest()
    assert manifest == Manifest(doc) and bd.read_manifest() == doc
    assert [(f.path, f.size_bytes, f.duration_s) for f in manifest.files] == [
        ("masters/02-zwei.flac", 10, 12.5)
    ]
    assert manifest.chapters == (_output(),)
    assert manifest.fallback["publish_withheld"] is True
    assert manifest.delivery_notes() == ["cover", "n"]


def test_qc_report_merges_chapter_by_chapter_and_keeps_the_book_rules(tmp_path):
    path = BuildDir(tmp_path / "build").qc_json

    def chapter(n: int, flagged: int) -> dict:
        summary = {
            "chapter": n,
            "sentences": 2,
            "flagged": flagged,
            "flags": {"clip": flagged} if flagged else {},
        }
        return {
            "chapter": n,
            "title": f"C{n}",
            "summary": summary,
            "notes": [],
            "profile": [],
            "sentences": [],
        }

    merge_qc(path, "p", [chapter(2, 1)], {"asr": False}, {"chapters": 1})
    set_book_checks(path, "p", [{"rule": "cover", "ok": False}])
    report = merge_qc(path, "p", [chapter(1, 0)], {"asr": False}, {"chapters": 1})
    assert report == read_qc(path)
    assert [c["chapter"] for c in report.chapters] == [1, 2]
    assert report.summary == {
        "chapters": 2,
        "sentences": 4,
        "flagged": 1,
        "flags": {"clip": 1},
        "profile_failures": 0,
        "book_failures": 1,
    }
    assert report.book == ({"rule": "cover", "ok": False},)
    assert json.loads(path.read_text())["schema"] == "lector-qc-v1"


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("timeline.json", lambda bd: bd.read_timeline(1)),
        ("master.json", lambda bd: bd.read_master_doc(1)),
        ("../../qc.json", lambda bd: bd.read_qc()),
        ("../../manifest.json", lambda bd: bd.load_manifest()),
        (".mp3.stamp.json", lambda bd: bd.read_stamp(1, "mp3")),
    ],
)
def test_a_record_from_a_newer_lector_is_refused_with_a_clear_error(tmp_path, name, read):
    bd = BuildDir(tmp_path / "build")
    bd.chapter_dir(1).mkdir(parents=True)
    path = (bd.chapter_dir(1) / name).resolve()
    kind = {
        "timeline.json": "timeline",
        "master.json": "master",
        "qc.json": "qc",
        "manifest.json": "manifest",
    }
    kind_name = kind.get(path.name, "stamp")
    path.write_text(json.dumps({"schema": f"lector-{kind_name}-v9", "files": []}))
    with pytest.raises(BuildRecordError) as err:
        read(bd)
    assert str(err.value) == (
        f"{path} [schema]: {path.name} has schema 'lector-{kind_name}-v9'; this Lector reads "
        f"'lector-{kind_name}-v1' — fix: use the Lector version that wrote this build, or delete the "
        "file and render again"
    )


def test_a_damaged_timeline_names_its_file(tmp_path):
    bd = BuildDir(tmp_path / "build")
    bd.chapter_dir(1).mkdir(parents=True)
    bd.timeline_path(1).write_text("[1, 2]")
    with pytest.raises(BuildRecordError, match=r"timeline.json holds a JSON list, not an object"):
        bd.read_timeline(1)


RECORD_NAMES = ("timeline.json", "master.json", "qc.json", "manifest.json", "plan.json")
# the name as a string literal ("qc.json"), or at the end of a string joined onto a path
# (build / "chapters/01/timeline.json"); prose ("saved to build/plan.json") and the object
# store's keys (f"{base}/manifest.json") are not build paths
RECORD_PATTERNS = tuple(
    p
    for name in RECORD_NAMES
    for p in (rf"([\"']){re.escape(name)}\1", rf"/\s*f?[\"'][^\"']*{re.escape(name)}[\"']")
)


def test_one_place_reads_and_writes_each_record():
    """No module outside lector/core/build names a build record's file: they ask a BuildDir."""
    found = []
    for path in sorted((ROOT / "lector").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("lector/core/build/"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(re.search(pattern, code) for pattern in RECORD_PATTERNS):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []
