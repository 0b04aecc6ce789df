"""End to end with the embedded engines on tiny real projects (2 chapters x 2 sentences)."""

from __future__ import annotations

import hashlib
import json
import time

import boto3
import pytest
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4

from lector.core.audio.blockcodec import parse_mp3_header, split_mp3_frames
from lector.core.profiles import ACX
from lector.flows.produce import produce_book

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]


def test_e2e_zh_render_master_export_publish_and_edit(tiny_project, s3_bucket):
    endpoint, bucket = s3_bucket
    root = tiny_project(
        "zh",
        engine="fastspeech2-zh",
        lang="zh",
        extra_toml=(f'\n[publish]\ntarget = "s3"\nbucket = "{bucket}"\nendpoint_url = "{endpoint}"\n'),
    )
    started = time.monotonic()
    summary = produce_book(str(root))
    print(f"e2e zh first render: {time.monotonic() - started:.1f} s")
    assert (summary["synthesized"], summary["cached"]) == (6, 0)
    assert summary["flags"] == []
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert list(manifest["engines"]) == ["fastspeech2-zh"]
    assert manifest["flags"] == []
    for chapter in manifest["chapters"]:
        m = chapter["measurements"]
        assert ACX.min_level <= m["rms_dbfs"] <= ACX.max_level
        assert m["peak_dbfs"] <= ACX.peak_max_dbfs and m["true_peak_dbfs"] <= ACX.true_peak_max_dbfs
        assert m["noise_floor_dbfs"] <= ACX.noise_floor_max_dbfs
        assert 0.5 <= m["head_s"] <= 1.0 and 1.0 <= m["tail_s"] <= 5.0
    masters = root / "build" / "masters"
    book = MP4(masters / "tiny-book.m4b")
    assert [c.title for c in book.chapters] == ["第一章", "第二章"]
    assert len(book.tags["covr"]) == 1
    mp3 = MP3(masters / "01-chapter.mp3")
    assert (mp3.info.bitrate_mode, mp3.info.sample_rate) == (BitrateMode.CBR, 44100)
    data = (masters / "01-chapter.mp3").read_bytes()
    assert {parse_mp3_header(f).kbps for f in split_mp3_frames(data[data.index(b"\xff\xfb") :])} == {192}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    published = json.loads(
        client.get_object(Bucket=bucket, Key="audiobooks/zh/1/manifest.json")["Body"].read()
    )
    assert [e["path"] for e in published["files"]] == [e["path"] for e in manifest["files"]]
    for entry in published["files"]:
        # content-addressed: objects/<sha256>/<path>, named by the published manifest
        assert entry["key"] == f"objects/{entry['sha256']}/{entry['path']}"
        body = client.get_object(Bucket=bucket, Key=f"audiobooks/zh/1/{entry['key']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]

    md = root / "manuscript" / "02.md"
    md.write_text(md.read_text(encoding="utf-8").replace("他笑了。", "他大笑了。"), encoding="utf-8")
    started = time.monotonic()
    again = produce_book(str(root), publish=False)
    print(f"e2e zh re-render after a one-sentence edit: {time.monotonic() - started:.1f} s")
    assert (again["synthesized"], again["cached"]) == (1, 5)


def test_e2e_en_piper_chapters_and_flags_agree(tiny_project):
    root = tiny_project("en", engine="piper-en", lang="en")
    started = time.monotonic()
    summary = produce_book(str(root), publish=False)
    print(f"e2e en render: {time.monotonic() - started:.1f} s")
    assert (summary["synthesized"], summary["cached"]) == (6, 0)
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert list(manifest["engines"]) == ["piper-en"]
    assert manifest["flags"] == [
        {"chapter": c["index"], "title": c["title"], "profile": "acx", "issue": v}
        for c in manifest["chapters"]
        for v in c["violations"]
    ]
    book = MP4(root / "build" / "masters" / "tiny-book.m4b")
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert abs(book.info.length - manifest["duration_s"]) < 0.2
