"""Publishing: the masters and manifest.json to S3 (boto3) or the local object store, atomically.

Layout (both targets), with ``<base>`` = ``<prefix>/<project>/<version>``::

    <base>/objects/<sha256>/<path>      every file, under a prefix derived from its content:
                                        written once, never changed (a retry or a re-publish of
                                        the same bytes finds it there and skips it)
    <base>/manifest.json                the build manifest plus, per file, its ``key`` (relative
                                        to <base>) and ``published``; written LAST, only after
                                        every object is verified: it is what makes a publish
                                        visible, and it never names bytes that are not stored
    <prefix>/<project>/latest.json      {"version", "manifest", "manifest_sha256", "published_utc"},
                                        moved only after the version's manifest is verified

A reader that fetches manifest.json and then its keys always gets the bytes the manifest's sha256s
name: the previous manifest's objects are never overwritten (a re-publish after an edit adds new
content-addressed objects, then swaps the manifest in one PUT).

S3 verification uses checksums the store computed (flows.s3objects: ChecksumSHA256 and the ETag,
re-download where a store gives neither; ``deep_verify`` always re-downloads). On any failure
open multipart uploads are aborted (and those of a killed earlier publish at the next start), the
error says in one paragraph what failed, that nothing was made visible and how to retry, and the
CLI exits non-zero. The local target (``publish.target = "local"``) writes the same layout under
``<project>/build/object-store/`` with atomic renames.

Credentials never come from project.toml: boto3's standard chain (env
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance roles) or a Prefect
``Secret`` block named by ``--credentials-block`` / env ``LECTOR_S3_CREDENTIALS_BLOCK`` whose value
is ``{"aws_access_key_id": ..., "aws_secret_access_key": ...}``. The endpoint URL (MinIO, Swift
s3api, AWS) comes from ``--endpoint-url``, env ``LECTOR_S3_ENDPOINT_URL`` or ``publish.endpoint_url``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import botocore.exceptions

from lector.core.build import BuildDir
from lector.core.build.manifest import add_urls
from lector.core.errors import PublishError
from lector.core.fsutil import atomic_path, atomic_write_bytes
from lector.core.hashing import sha256_file
from lector.core.pipeline.target import (  # noqa: F401  (the publish target is known before publishing)
    BUCKET_ENV,
    ENDPOINT_ENV,
    LATEST_NAME,
    OBJECTS_DIR,
    PublishTarget,
    resolve_target,
)
from lector.core.project import Project

from . import s3objects as so
from .s3objects import download_sha256  # noqa: F401  (kept importable from here)
from .s3store import _CRED_FIX, CREDENTIALS_BLOCK_ENV, S3Store, s3_client  # noqa: F401  (re-exported)

DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024
_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
    "403",
    "Forbidden",
    "InvalidClientTokenId",
}
_RETRY_FIX = (
    "re-run `lector publish PROJECT` when the store is reachable: objects already stored are "
    "verified and skipped, open multipart uploads are aborted, then the manifest is written"
)


@dataclass(frozen=True)
class PublishedObject:
    key: str
    size_bytes: int
    sha256: str
    verified_by: str = ""  # "ChecksumSHA256+ETag", "download", "sha256 of the copy", "already stored"


@dataclass(frozen=True)
class PublishReport:
    target: PublishTarget
    objects: tuple[PublishedObject, ...]
    latest_key: str | None = None

    @property
    def url(self) -> str:
        return self.target.url


class _Sink:
    """Where objects go: the local object store or an S3 bucket (one client, preflighted)."""

    def __init__(self, target: PublishTarget, multipart_threshold_bytes: int, deep_verify: bool) -> None:
        self.target, self.threshold, self.deep = target, multipart_threshold_bytes, deep_verify
        self.client = None
        if target.kind == "s3":
            self.client = s3_client(target.endpoint_url, target.credentials_block)
            self._s3(_preflight, self.client, target)
            self._s3(lambda: so.abort_open_uploads(self.client, target.bucket, target.base_key + "/"))

    def _s3(self, call, *args):
        """Run an S3 call; every failure becomes a PublishError naming the bucket and the fix."""
        try:
            return call(*args)
        except PublishError:
            raise
        except so.TransientFailure as exc:
            raise PublishError(
                f"lost the connection to {self.target.where} while {exc.what} "
                f"({type(exc.cause).__name__}, {exc.attempts} attempts)",
                fix=_RETRY_FIX,
            ) from None
        except so.VerifyFailure as exc:
            raise PublishError(f"verification failed: {exc}", fix=_RETRY_FIX) from None
        except botocore.exceptions.ClientError as exc:
            raise _client_error(exc, self.target) from None
        except botocore.exceptions.NoCredentialsError:
            raise PublishError(f"no AWS credentials found for {self.target.where}", fix=_CRED_FIX) from None
        except so.TRANSIENT as exc:
            raise PublishError(f"cannot reach {self.target.where}: {exc}", fix=_RETRY_FIX) from None

    def put_file(self, path: Path, rel: str) -> PublishedObject:
        if self.client is None:
            return _publish_local(path, rel, self.target)
        return self._s3(self._put_s3, path, rel)

    def _put_s3(self, path: Path, rel: str) -> PublishedObject:
        facts = so.file_facts(path, self.threshold)
        key, bucket = self.target.object_key(facts.sha256, rel), self.target.bucket
        if not self.deep and so.with_retries(
            f"checking s3://{bucket}/{key}", lambda: so.already_stored(self.client, bucket, key, facts)
        ):
            return PublishedObject(key, facts.size_bytes, facts.sha256, "already stored")
        extra = {
            "Metadata": {"sha256": facts.sha256},
            "ContentType": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        }
        if facts.multipart:
            so.put_multipart(self.client, bucket, key, facts, extra)
        else:
            so.with_retries(
                f"uploading s3://{bucket}/{key}",
                lambda: so.put_single(self.client, bucket, key, facts, extra),
            )
        try:
            how = so.with_retries(
                f"verifying s3://{bucket}/{key}",
                lambda: so.verify(self.client, bucket, key, facts, deep=self.deep),
            )
        except so.VerifyFailure:
            so.delete_quietly(self.client, bucket, key)  # no wrong bytes under a content-addressed key
            raise
        return PublishedObject(key, facts.size_bytes, facts.sha256, how)

    def put_document(self, key: str, data: bytes) -> PublishedObject:
        """A small JSON document (manifest, latest pointer), replaced in one PUT and verified."""
        sha = hashlib.sha256(data).hexdigest()
        if self.client is None:
            dest = self.target.store_root / self.target.bucket / key
            atomic_write_bytes(dest, data)
            if sha256_file(dest) != sha:
                raise PublishError(
                    f"{dest} does not hold what was written", fix="check the disk, then re-run"
                )
            return PublishedObject(key, len(data), sha, "sha256 of the copy")
        return self._s3(self._put_document_s3, key, data, sha)

    def _put_document_s3(self, key: str, data: bytes, sha: str) -> PublishedObject:
        bucket = self.target.bucket
        extra = {"Metadata": {"sha256": sha}, "ContentType": "application/json"}
        so.with_retries(
            f"uploading s3://{bucket}/{key}", lambda: so.put_bytes(self.client, bucket, key, data, extra)
        )
        facts = so.FileFacts(Path(key), len(data), sha, hashlib.md5(data).hexdigest(), 0)
        head = so.with_retries(
            f"verifying s3://{bucket}/{key}", lambda: so.head_or_none(self.client, bucket, key)
        )
        matched, wrong = so.check_head(head or {}, facts)
        if wrong or not matched:
            client = self.client
            assert client is not None, "an S3 target has a client"

            def read_back() -> bytes:  # the whole GET again on each retry
                return client.get_object(Bucket=bucket, Key=key)["Body"].read()

            body = so.with_retries(f"reading back s3://{bucket}/{key}", read_back)
            if hashlib.sha256(body).hexdigest() != sha:
                raise so.VerifyFailure(f"s3://{bucket}/{key} does not hold the document just written")
            matched = ["download"]
        return PublishedObject(key, len(data), sha, "+".join(m.split()[0] for m in matched))


def publish_files(
    items: list[tuple[Path, str]],
    target: PublishTarget,
    *,
    multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD_BYTES,
    deep_verify: bool = False,
) -> PublishReport:
    """Upload ``(local path, relative path)`` pairs to ``<base>/objects/<sha256>/<path>``, each one
    verified (no manifest: ``publish_build`` writes that after these)."""
    sink = _Sink(target, multipart_threshold_bytes, deep_verify)
    return PublishReport(target=target, objects=tuple(sink.put_file(path, rel) for path, rel in items))


def publish_build(
    project: Project,
    target: PublishTarget,
    *,
    multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD_BYTES,
    deep_verify: bool = False,
) -> PublishReport:
    """Publish the files listed in build/manifest.json, then the manifest (last), then latest.json.

    Checks first that every listed file is present with its recorded sha256, so a stale or
    half-rebuilt build is never published. Nothing in build/ is modified. (The caller holds the
    project lock: the produce flow, or `lector publish`.)"""
    manifest, items = _listed_files(project)
    try:
        sink = _Sink(target, multipart_threshold_bytes, deep_verify)
        objects = [sink.put_file(path, rel) for path, rel in items]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        document = _visible_manifest(manifest, target, objects, now)
        manifest_obj = sink.put_document(f"{target.base_key}/manifest.json", document)
    except PublishError as exc:
        raise _not_published(exc, target) from None
    latest = (
        json.dumps(
            {
                "version": project.config.book.version,
                "manifest": manifest_obj.key,
                "manifest_sha256": manifest_obj.sha256,
                "published_utc": now,
            },
            indent=2,
        ).encode("utf-8")
        + b"\n"
    )
    try:
        sink.put_document(target.latest_key, latest)
    except PublishError as exc:
        raise PublishError(
            f"version {project.config.book.version} is published and verified at "
            f"{target.url}manifest.json, but {target.latest_key} was not moved to it: "
            f"{exc.message}",
            fix=exc.fix,
        ) from None
    return PublishReport(target=target, objects=(*objects, manifest_obj), latest_key=target.latest_key)


def _listed_files(project: Project) -> tuple[dict, list[tuple[Path, str]]]:
    build = BuildDir.of(project)
    manifest = build.load_manifest()
    if manifest is None:
        raise PublishError(
            "nothing to publish: no manifest",
            file=build.manifest_json,
            fix=f"render first: `lector render {project.root}`",
        )
    items = []
    for entry in manifest.files:
        path = build.root / entry.path
        if not path.is_file() or sha256_file(path) != entry.sha256:
            raise PublishError(
                f"{entry.path} is missing or differs from the manifest",
                file=path,
                fix=f"re-render: `lector render {project.root}`",
            )
        items.append((path, entry.path))
    return manifest.to_dict(), items


def _visible_manifest(
    manifest: dict, target: PublishTarget, objects: list[PublishedObject], now: str
) -> bytes:
    """The build manifest with each file's object key (relative to the version's folder)."""
    doc = copy.deepcopy(manifest)
    by_path = {entry["path"]: obj for entry, obj in zip(manifest["files"], objects, strict=True)}
    for entry in doc["files"]:
        obj = by_path[entry["path"]]
        entry["key"] = obj.key[len(target.base_key) + 1 :]
        entry["verified_by"] = obj.verified_by
    doc["published_utc"] = now
    add_urls(doc, target)  # the URLs where this publish put them (CLI options included)
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _not_published(exc: PublishError, target: PublishTarget) -> PublishError:
    """The one-paragraph failure: what failed, what is safe, how to retry."""
    safe = (
        f"Nothing was made visible: {target.url}manifest.json is unchanged (the previous publish, if "
        f"any, still matches its stored bytes), objects already uploaded stay under their "
        f"content-addressed keys for the retry, and no multipart upload was left open by this run "
        f"(one that could not be aborted now is aborted by the next publish)"
    )
    return PublishError(f"{exc.message}. {safe}", file=exc.file, line=exc.line, field=exc.field, fix=exc.fix)


# -- local object store -------------------------------------------------------------------------


def _publish_local(path: Path, rel: str, target: PublishTarget) -> PublishedObject:
    sha = sha256_file(path)
    key = target.object_key(sha, rel)
    dest = target.store_root / target.bucket / key
    if dest.is_file() and sha256_file(dest) == sha:
        return PublishedObject(key, dest.stat().st_size, sha, "already stored")
    with atomic_path(dest, suffix=".part") as tmp:
        with open(tmp, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if sha256_file(tmp) != sha:
            raise PublishError(
                f"copy of {path.name} does not match its sha256",
                file=dest,
                fix="check the disk, then re-run `lector publish`",
            )
    return PublishedObject(key, dest.stat().st_size, sha, "sha256 of the copy")


# -- S3 -----------------------------------------------------------------------------------------


def _preflight(client, target: PublishTarget) -> None:
    """Fail early on a missing bucket, missing credentials or an unreachable endpoint.

    A 403 here is not fatal: a key allowed to PutObject may lack s3:ListBucket; the upload
    itself then tells a bad key (InvalidAccessKeyId, SignatureDoesNotMatch) apart."""
    try:
        client.head_bucket(Bucket=target.bucket)
    except botocore.exceptions.ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) not in ("403", "Forbidden", "AccessDenied"):
            raise _client_error(exc, target) from None
    except botocore.exceptions.NoCredentialsError:
        raise PublishError(f"no AWS credentials found for {target.where}", fix=_CRED_FIX) from None
    except so.TRANSIENT as exc:
        raise PublishError(
            f"cannot reach {target.where}: {exc}",
            fix=f"check --endpoint-url / ${ENDPOINT_ENV} / publish.endpoint_url, then "
            "re-run `lector publish PROJECT`",
        ) from None


def _client_error(exc: botocore.exceptions.ClientError, target: PublishTarget) -> PublishError:
    return _coded_error(str(exc.response.get("Error", {}).get("Code", "")), str(exc), target)


def _coded_error(code: str, detail: str, target: PublishTarget) -> PublishError:
    if code in _AUTH_CODES:
        return PublishError(f"access denied ({code}) to {target.where}", fix=_CRED_FIX)
    if code in ("404", "NoSuchBucket"):
        return PublishError(
            f"{target.where} does not exist",
            fix="create the bucket, or set publish.bucket in project.toml / --bucket",
        )
    return PublishError(
        f"S3 error {code or '?'} on {target.where}: {detail}",
        fix="check the endpoint, bucket and credentials, then re-run `lector publish PROJECT`",
    )
