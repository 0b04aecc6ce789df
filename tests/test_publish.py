"""Publishing to the local object store and to S3 (moto over HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import settings as moto_settings

from lector.core.errors import PublishError
from lector.core.project import load_project
from lector.flows.publish import S3Store, publish_build, publish_files, resolve_target, sha256_file

TOML = """[book]
title = "Tiny"
author = "Someone"
version = "3"

[voices.narrator]
engine = "fake"
lang = "en"
"""


def tiny_build(tmp_path: Path, *, big_bytes: int = 0) -> Path:
    """A project whose build/ holds two masters and a manifest listing them."""
    root = tmp_path / "tiny"
    (root / "build" / "masters").mkdir(parents=True)
    (root / "project.toml").write_text(TOML)
    files = {"masters/01-one.flac": b"flac-1" * 1000, "masters/tiny.m4b": b"m4b" * 333}
    if big_bytes:
        files["masters/02-big.flac"] = np.random.default_rng(0).bytes(big_bytes)
    entries = []
    for rel, data in files.items():
        (root / "build" / rel).write_bytes(data)
        entries.append(
            {
                "path": rel,
                "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "duration_s": 1.0,
            }
        )
    (root / "build" / "manifest.json").write_text(json.dumps({"files": entries}))
    return root


def test_local_object_store_layout_and_hashes(tmp_path):
    project = load_project(tiny_build(tmp_path))
    target = resolve_target(project)
    report = publish_build(project, target)
    base = project.root / "build" / "object-store" / "lector" / "audiobooks" / "tiny" / "3"
    sha = {
        rel: sha256_file(project.root / "build" / rel) for rel in ("masters/01-one.flac", "masters/tiny.m4b")
    }
    assert target.kind == "local"
    assert report.url == str(base) + "/"
    assert sorted(o.key for o in report.objects) == sorted(
        [
            "audiobooks/tiny/3/manifest.json",
            f"audiobooks/tiny/3/objects/{sha['masters/01-one.flac']}/masters/01-one.flac",
            f"audiobooks/tiny/3/objects/{sha['masters/tiny.m4b']}/masters/tiny.m4b",
        ]
    )
    assert report.latest_key == "audiobooks/tiny/latest.json"
    manifest = json.loads((base / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert entry["key"] == f"objects/{entry['sha256']}/{entry['path']}"
        assert sha256_file(base / entry["key"]) == entry["sha256"]
    latest = json.loads((base.parent / "latest.json").read_text())
    assert latest["version"] == "3" and latest["manifest"] == "audiobooks/tiny/3/manifest.json"
    assert latest["manifest_sha256"] == sha256_file(base / "manifest.json")
    assert [p.name for p in base.rglob(".*")] == []  # no temp files left behind
    again = publish_build(project, target)  # the same bytes: every object found stored
    assert [o.verified_by for o in again.objects[:-1]] == ["already stored"] * 2


def test_s3_upload_multipart_and_verify(tmp_path, s3_bucket):
    endpoint, bucket = s3_bucket
    root = tiny_build(tmp_path, big_bytes=6 * 1024 * 1024 + 17)
    big_bytes = (root / "build" / "masters" / "02-big.flac").read_bytes()
    project = load_project(root)
    target = resolve_target(project, endpoint_url=endpoint, bucket=bucket, prefix="books")
    report = publish_build(project, target, multipart_threshold_bytes=1024 * 1024)
    assert report.url == f"s3://{bucket}/books/tiny/3/"
    assert {o.verified_by for o in report.objects} == {"ChecksumSHA256+ETag"}  # the store's own checksums
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    manifest = json.loads(client.get_object(Bucket=bucket, Key="books/tiny/3/manifest.json")["Body"].read())
    assert len(manifest["files"]) == 3
    for entry in manifest["files"]:
        assert entry["key"] == f"objects/{entry['sha256']}/{entry['path']}"
        obj = client.get_object(Bucket=bucket, Key=f"books/tiny/3/{entry['key']}")
        assert hashlib.sha256(obj["Body"].read()).hexdigest() == entry["sha256"]
        assert obj["Metadata"]["sha256"] == entry["sha256"]
        assert obj["ContentLength"] == entry["size_bytes"]
    big = next(e for e in manifest["files"] if e["path"] == "masters/02-big.flac")
    head = client.head_object(Bucket=bucket, Key=f"books/tiny/3/{big['key']}", ChecksumMode="ENABLED")
    assert (
        head["ETag"].strip('"').endswith("-2")
    )  # went through multipart upload (1 MiB threshold, 5 MiB parts)
    assert (
        head["ChecksumSHA256"].split("-")[0]
        == base64.b64encode(
            hashlib.sha256(
                hashlib.sha256(big_bytes[: 5 * 1024 * 1024]).digest()
                + hashlib.sha256(big_bytes[5 * 1024 * 1024 :]).digest()
            ).digest()
        ).decode()
    )
    latest = json.loads(client.get_object(Bucket=bucket, Key="books/tiny/latest.json")["Body"].read())
    assert latest["manifest"] == "books/tiny/3/manifest.json"
    deep = publish_build(project, target, multipart_threshold_bytes=1024 * 1024, deep_verify=True)
    assert {o.verified_by for o in deep.objects[:-1]} == {"ChecksumSHA256+ETag+download"}


def test_s3_wrong_key_fails_cleanly_and_keeps_build(tmp_path, s3_bucket, monkeypatch):
    endpoint, bucket = s3_bucket
    root = tiny_build(tmp_path)
    before = {p: sha256_file(p) for p in (root / "build").rglob("*") if p.is_file()}
    project = load_project(root)
    target = resolve_target(project, endpoint_url=endpoint, bucket=bucket)
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # moto checks keys now
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
    with pytest.raises(PublishError) as err:
        publish_build(project, target)
    assert f"bucket {bucket!r} at {endpoint}" in str(err.value)
    assert str(err.value).startswith(f"access denied (InvalidAccessKeyId) to bucket {bucket!r} at {endpoint}")
    assert "AWS_ACCESS_KEY_ID" in err.value.fix
    after = {p: sha256_file(p) for p in (root / "build").rglob("*") if p.is_file()}
    assert after == before


def test_s3_missing_bucket_names_the_bucket(tmp_path, s3_bucket):
    endpoint, _ = s3_bucket
    project = load_project(tiny_build(tmp_path))
    target = resolve_target(project, endpoint_url=endpoint, bucket="no-such-bucket-here")
    with pytest.raises(PublishError) as err:
        publish_build(project, target)
    assert str(err.value).startswith(f"bucket 'no-such-bucket-here' at {endpoint} does not exist")


def test_endpoint_from_env_and_stale_build_refused(tmp_path, s3_bucket, monkeypatch):
    endpoint, bucket = s3_bucket
    root = tiny_build(tmp_path)
    monkeypatch.setenv("LECTOR_S3_ENDPOINT_URL", endpoint)
    project = load_project(root)
    target = resolve_target(project, target="s3", bucket=bucket)
    assert target.endpoint_url == endpoint
    (root / "build" / "masters" / "01-one.flac").write_bytes(b"changed")
    with pytest.raises(PublishError) as err:
        publish_build(project, target)
    assert "masters/01-one.flac is missing or differs from the manifest" in str(err.value)


def test_publish_files_without_manifest_entry(tmp_path):
    project = load_project(tiny_build(tmp_path))
    src = project.root / "build" / "masters" / "01-one.flac"
    report = publish_files([(src, "x/y.flac")], resolve_target(project, prefix=""))
    assert [o.key for o in report.objects] == [f"tiny/3/objects/{sha256_file(src)}/x/y.flac"]
    assert report.objects[0].size_bytes == 6000


def test_s3_store_is_a_render_cache(s3_bucket):
    endpoint, bucket = s3_bucket
    store = S3Store(bucket, "cache", endpoint_url=endpoint)
    key = "ab" + "0" * 62
    assert store.exists(key) is False
    assert store.get_bytes(key) is None
    audio = (0.1 * np.sin(np.arange(2400) / 5)).astype(np.float32)
    store.write(key, audio, 24000)
    assert store.exists(key) is True
    back, sr = store.read(key)
    assert sr == 24000
    assert back.shape == (2400,)
    assert float(np.max(np.abs(back - audio))) < 1e-5
