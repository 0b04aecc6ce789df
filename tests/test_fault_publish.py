"""Publishing under network faults: a loopback proxy (tests/tcp_proxy.py) in front of moto's
ThreadedMotoServer cuts the connection mid-upload and mid-re-publish. The bucket never holds a
manifest that disagrees with its bytes, no multipart upload stays open, the retry completes."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import boto3
import numpy as np
import pytest

from lector.cli import main as lector
from lector.core.errors import PublishError
from lector.core.project import load_project
from lector.flows import s3objects
from lector.flows.publish import publish_build, resolve_target
from tests.tcp_proxy import CutProxy
from tests.test_publish import tiny_build

MIB = 1024 * 1024
BIG = 6 * MIB + 17  # 2 parts at a 1 MiB threshold (5 MiB parts)


@pytest.fixture()
def proxy(s3_bucket, monkeypatch):
    endpoint, _ = s3_bucket
    p = CutProxy(urlsplit(endpoint).port)
    monkeypatch.setenv("LECTOR_S3_ATTEMPTS", "2")  # botocore: one retry per request
    monkeypatch.setattr(s3objects, "BACKOFF_S", 0.01)
    yield p
    p.close()


def direct(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def consistent_manifest(client, bucket: str, base: str) -> tuple[bytes, dict]:
    """The bucket's manifest, after checking that every object it names has its sha256 and size."""
    raw = client.get_object(Bucket=bucket, Key=f"{base}/manifest.json")["Body"].read()
    manifest = json.loads(raw)
    for entry in manifest["files"]:
        body = client.get_object(Bucket=bucket, Key=f"{base}/{entry['key']}")["Body"].read()
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (entry["sha256"], entry["size_bytes"])
    return raw, manifest


def latest(client, bucket: str) -> dict:
    return json.loads(client.get_object(Bucket=bucket, Key="books/tiny/latest.json")["Body"].read())


def rebuild_big(root, seed: int) -> str:
    """An edit: masters/02-big.flac gets new bytes and build/manifest.json its new sha256."""
    data = np.random.default_rng(seed).bytes(BIG)
    (root / "build" / "masters" / "02-big.flac").write_bytes(data)
    path = root / "build" / "manifest.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["files"]:
        if entry["path"] == "masters/02-big.flac":
            entry["sha256"] = hashlib.sha256(data).hexdigest()
    path.write_text(json.dumps(manifest))
    return hashlib.sha256(data).hexdigest()


def test_connection_cut_once_mid_part_is_retried(tmp_path, s3_bucket, proxy):
    endpoint, bucket = s3_bucket
    project = load_project(tiny_build(tmp_path, big_bytes=BIG))
    target = resolve_target(project, endpoint_url=proxy.url, bucket=bucket, prefix="books")
    proxy.cut_after(3 * MIB)  # inside the first 5 MiB part; the next connection works
    report = publish_build(project, target, multipart_threshold_bytes=MIB)
    assert proxy.cuts == 1
    assert [o.verified_by for o in report.objects] == ["ChecksumSHA256+ETag"] * 4
    client = direct(endpoint)
    _, manifest = consistent_manifest(client, bucket, "books/tiny/3")
    assert len(manifest["files"]) == 3
    assert s3objects.open_uploads(client, bucket) == []


def test_outage_mid_upload_fails_cleanly_then_retry_completes(tmp_path, s3_bucket, proxy):
    endpoint, bucket = s3_bucket
    project = load_project(tiny_build(tmp_path, big_bytes=BIG))
    target = resolve_target(project, endpoint_url=proxy.url, bucket=bucket, prefix="books")
    proxy.cut_after(3 * MIB, outage=True)  # the link goes down mid-part and stays down
    with pytest.raises(PublishError) as err:
        publish_build(project, target, multipart_threshold_bytes=MIB)
    message = str(err.value)
    assert message.startswith(
        f"lost the connection to bucket {bucket!r} at {proxy.url} while uploading part "
    )
    assert "Nothing was made visible: s3://" in message and "manifest.json is unchanged" in message
    assert "re-run `lector publish PROJECT`" in err.value.fix
    assert "\n" not in message
    client = direct(endpoint)
    listed = client.list_objects_v2(Bucket=bucket, Prefix="books/").get("Contents", [])
    assert [o["Key"] for o in listed if o["Key"].endswith(".json")] == []  # no manifest, no latest
    assert len(s3objects.open_uploads(client, bucket)) == 1  # the abort could not get through the outage

    proxy.restore()
    report = publish_build(project, target, multipart_threshold_bytes=MIB)
    assert [o.verified_by for o in report.objects] == [
        "already stored",
        "already stored",
        "ChecksumSHA256+ETag",
        "ChecksumSHA256+ETag",
    ]
    assert s3objects.open_uploads(client, bucket) == []  # the stale upload was aborted
    raw, _ = consistent_manifest(client, bucket, "books/tiny/3")
    assert latest(client, bucket)["manifest_sha256"] == hashlib.sha256(raw).hexdigest()


def test_outage_mid_republish_keeps_the_old_manifest_true(tmp_path, s3_bucket, proxy):
    endpoint, bucket = s3_bucket
    root = tiny_build(tmp_path, big_bytes=BIG)
    project = load_project(root)
    target = resolve_target(project, endpoint_url=proxy.url, bucket=bucket, prefix="books")
    publish_build(project, target, multipart_threshold_bytes=MIB)
    client = direct(endpoint)
    old_raw, _ = consistent_manifest(client, bucket, "books/tiny/3")
    old_latest = latest(client, bucket)

    new_sha = rebuild_big(root, seed=1)  # an edit, then the same version published again
    proxy.cut_after(3 * MIB, outage=True)
    with pytest.raises(PublishError, match=r"^lost the connection to "):
        publish_build(project, target, multipart_threshold_bytes=MIB)
    raw, _ = consistent_manifest(client, bucket, "books/tiny/3")
    assert raw == old_raw  # readers still get the old version, whole and true
    assert latest(client, bucket) == old_latest

    proxy.restore()
    publish_build(project, target, multipart_threshold_bytes=MIB)
    raw, manifest = consistent_manifest(client, bucket, "books/tiny/3")
    assert {e["path"]: e["sha256"] for e in manifest["files"]}["masters/02-big.flac"] == new_sha
    assert latest(client, bucket)["manifest_sha256"] == hashlib.sha256(raw).hexdigest()
    assert s3objects.open_uploads(client, bucket) == []


def test_cli_errors_are_one_paragraph_with_exit_2(tmp_path, s3_bucket, proxy, capsys):
    endpoint, bucket = s3_bucket
    root = tiny_build(tmp_path)
    proxy.cut_after(1, outage=True)  # unreachable from the first byte
    assert lector(["publish", str(root), "--endpoint-url", proxy.url, "--bucket", bucket]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"lector: error: cannot reach bucket {bucket!r} at {proxy.url}: ")
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "re-run `lector publish PROJECT`" in err

    proxy.restore()
    assert lector(["publish", str(root), "--endpoint-url", endpoint, "--bucket", "no-such-bucket-x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        f"lector: error: bucket 'no-such-bucket-x' at {endpoint} does not exist. Nothing was made visible"
    )
    assert len(err.splitlines()) == 1

    assert lector(["publish", str(root), "--endpoint-url", proxy.url, "--bucket", bucket]) == 0
    out = capsys.readouterr().out
    assert out.startswith("published 3 objects (")
    assert out.strip().endswith(
        f"to s3://{bucket}/audiobooks/tiny/3/; audiobooks/tiny/latest.json points to it"
    )
    assert s3objects.open_uploads(direct(endpoint), bucket) == []


def test_bytes_corrupted_on_the_way_are_never_published(tmp_path, s3_bucket, proxy):
    endpoint, bucket = s3_bucket
    project = load_project(tiny_build(tmp_path, big_bytes=BIG))
    target = resolve_target(project, endpoint_url=proxy.url, bucket=bucket, prefix="books")
    proxy.flip_byte(3 * MIB)  # one byte inside the first part's body
    with pytest.raises(PublishError) as err:
        publish_build(project, target, multipart_threshold_bytes=MIB)
    assert str(err.value).startswith(f"verification failed: s3://{bucket}/books/tiny/3/objects/")
    assert "differs from 02-big.flac: ChecksumSHA256 " in str(err.value)
    assert "Nothing was made visible" in str(err.value)
    client = direct(endpoint)
    assert [
        o["Key"]
        for o in client.list_objects_v2(Bucket=bucket, Prefix="books/").get("Contents", [])
        if o["Key"].endswith("02-big.flac")
    ] == []  # the bad copy was deleted
    listed = client.list_objects_v2(Bucket=bucket, Prefix="books/").get("Contents", [])
    assert [o["Key"] for o in listed if o["Key"].endswith(".json")] == []
    assert s3objects.open_uploads(client, bucket) == []
    report = publish_build(project, target, multipart_threshold_bytes=MIB)  # the retry stores it whole
    assert report.objects[2].verified_by == "ChecksumSHA256+ETag"
    consistent_manifest(client, bucket, "books/tiny/3")
