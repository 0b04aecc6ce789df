"""produce_book publishing to S3 (moto over HTTP): uploaded bytes match the manifest; a wrong key
fails cleanly with PublishError and keeps the rendered build."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest
from moto import settings as moto_settings

from lector.cli import main as lector
from lector.core.errors import PublishError
from lector.flows.produce import produce_book

pytestmark = pytest.mark.usefixtures("prefect_server")


def s3_toml(endpoint: str, bucket: str) -> str:
    return f'\n[publish]\ntarget = "s3"\nbucket = "{bucket}"\nprefix = "books"\nendpoint_url = "{endpoint}"\n'


def test_flow_publishes_to_s3_and_hashes_match(tiny_project, s3_bucket):
    endpoint, bucket = s3_bucket
    root = tiny_project(extra_toml=s3_toml(endpoint, bucket))
    summary = produce_book(str(root))
    assert summary["published"] == f"s3://{bucket}/books/tiny/1/"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    listed = client.list_objects_v2(Bucket=bucket, Prefix="books/tiny/1/")
    manifest = json.loads(client.get_object(Bucket=bucket, Key="books/tiny/1/manifest.json")["Body"].read())
    assert sorted(e["path"] for e in manifest["files"]) == [
        f"masters/{n}"
        for n in (
            "01-one.flac",
            "01-one.mp3",
            "01-one.vtt",
            "02-two.flac",
            "02-two.mp3",
            "02-two.vtt",
            "tiny-book.m4b",
        )
    ]
    # objects under content-addressed keys, the manifest (written last) naming them
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(
        ["books/tiny/1/manifest.json"]
        + [f"books/tiny/1/objects/{e['sha256']}/{e['path']}" for e in manifest["files"]]
    )
    assert manifest["publish_url"] == f"s3://{bucket}/books/tiny/1/"
    for entry in manifest["files"]:
        body = client.get_object(Bucket=bucket, Key=f"books/tiny/1/{entry['key']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]


def test_wrong_key_fails_cleanly_and_nothing_is_lost(tiny_project, s3_bucket, monkeypatch, capsys):
    endpoint, bucket = s3_bucket
    root = tiny_project(extra_toml=s3_toml(endpoint, bucket))
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
    with pytest.raises(PublishError) as err:
        produce_book(str(root))
    assert f"bucket {bucket!r} at {endpoint}" in str(err.value)
    masters = sorted(p.name for p in (root / "build" / "masters").iterdir() if p.is_file())
    assert len(masters) == 7  # + the review/ bundle folder (not published)
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert hashlib.sha256((root / "build" / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    # the CLI says the same in one line, exit code 2
    assert lector(["publish", str(root)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(
        f"lector: error: access denied (InvalidAccessKeyId) to bucket {bucket!r} at {endpoint}"
    )
    assert "re-run `lector publish PROJECT`" in line
    # with the right key the same build publishes without re-rendering
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    assert lector(["publish", str(root), "--deep-verify"]) == 0
    assert capsys.readouterr().out.startswith("published 8 objects (")


def test_render_cache_shared_on_s3(tiny_project, s3_bucket, monkeypatch):
    endpoint, bucket = s3_bucket
    monkeypatch.setenv("LECTOR_CACHE_URL", f"s3://{bucket}/shared-cache")
    monkeypatch.setenv("LECTOR_S3_ENDPOINT_URL", endpoint)
    first = produce_book(str(tiny_project("a")), publish=False)
    assert (first["synthesized"], first["cached"]) == (6, 0)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="shared-cache/")["Contents"]]
    assert len(keys) == 6
    assert all(k.endswith(".flac") and k.split("/")[1] == k.split("/")[2][:2] for k in keys)
    # another checkout of the same book (another machine) finds every sentence in the shared cache
    second_root = tiny_project("b")
    second = produce_book(str(second_root), publish=False)
    assert (second["synthesized"], second["cached"]) == (0, 6)
    assert not (second_root / "build" / "cache").exists()


def test_credentials_from_a_prefect_secret_block(tiny_project, s3_bucket, monkeypatch):
    from prefect.blocks.system import Secret

    from lector.core.project import load_project
    from lector.flows.publish import publish_build, resolve_target

    endpoint, bucket = s3_bucket
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    root = tiny_project(extra_toml=s3_toml(endpoint, bucket))
    produce_book(str(root), publish=False)
    project = load_project(root)
    with pytest.raises(PublishError, match=f"no AWS credentials found for bucket '{bucket}' at {endpoint}"):
        publish_build(project, resolve_target(project))
    Secret(value={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}).save(
        "lector-s3-test", overwrite=True
    )
    report = publish_build(project, resolve_target(project, credentials_block="lector-s3-test"))
    assert report.url == f"s3://{bucket}/books/tiny/1/"
    assert len(report.objects) == 8
