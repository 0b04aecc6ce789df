"""Publishing: upload the masters and manifest.json to S3 (boto3) or the local object store.

Layout (both targets): ``<bucket>/<prefix>/<project>/<version>/<file>``. The local target
(``publish.target = "local"``, the embedded default) writes the same layout under
``<project>/build/object-store/`` atomically (temp file + ``os.replace``).

Credentials never come from project.toml: boto3's standard chain (env
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance roles) or a Prefect
``Secret`` block named by ``--credentials-block`` / env ``LECTOR_S3_CREDENTIALS_BLOCK`` whose value
is ``{"aws_access_key_id": ..., "aws_secret_access_key": ...}``. The endpoint URL (MinIO, Swift
s3api, AWS) comes from ``--endpoint-url``, env ``LECTOR_S3_ENDPOINT_URL`` or ``publish.endpoint_url``.

Every object carries its sha256 in the object metadata ``sha256`` and is verified after upload
(``head_object`` size + metadata; ``deep_verify`` re-downloads and re-hashes). ETags are not shas.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.exceptions
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from tts_engine.cache import BytesStore, check_key
from tts_engine.errors import CacheError, PublishError
from tts_engine.hashing import sha256_file
from tts_engine.project import Project

ENDPOINT_ENV = "LECTOR_S3_ENDPOINT_URL"
BUCKET_ENV = "LECTOR_S3_BUCKET"
CREDENTIALS_BLOCK_ENV = "LECTOR_S3_CREDENTIALS_BLOCK"
DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024
_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
               "ExpiredToken", "403", "Forbidden", "InvalidClientTokenId"}
_CRED_FIX = ("check the credentials in the standard AWS chain (AWS_ACCESS_KEY_ID / "
             "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials) or the Prefect Secret block "
             f"named by ${CREDENTIALS_BLOCK_ENV}; the rendered masters are still in build/masters/, "
             "re-run `lector publish PROJECT` once fixed")


@dataclass(frozen=True)
class PublishTarget:
    kind: str                   # "local" | "s3"
    bucket: str
    base_key: str               # "<prefix>/<project>/<version>"
    endpoint_url: str | None = None
    local_root: Path | None = None     # object-store root for kind == "local"
    credentials_block: str | None = None

    @property
    def url(self) -> str:
        if self.kind == "local":
            return str(self.local_root / self.bucket / self.base_key) + "/"
        return f"s3://{self.bucket}/{self.base_key}/"

    @property
    def where(self) -> str:
        endpoint = self.endpoint_url or "the default AWS endpoint"
        return f"bucket {self.bucket!r} at {endpoint}"


@dataclass(frozen=True)
class PublishedObject:
    key: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class PublishReport:
    target: PublishTarget
    objects: tuple[PublishedObject, ...]

    @property
    def url(self) -> str:
        return self.target.url



def resolve_target(project: Project, *, target: str | None = None, endpoint_url: str | None = None,
                   bucket: str | None = None, prefix: str | None = None,
                   credentials_block: str | None = None) -> PublishTarget:
    """Merge CLI options > env (LECTOR_S3_ENDPOINT_URL, LECTOR_S3_BUCKET) > project.toml [publish]."""
    cfg = project.config.publish
    endpoint = endpoint_url or os.environ.get(ENDPOINT_ENV) or cfg.endpoint_url
    kind = target or ("s3" if endpoint_url else cfg.target)
    if kind not in ("local", "s3"):
        raise PublishError(f"unknown publish target {kind!r}", file=project.root / "project.toml",
                           field="publish.target", fix="use 'local' or 's3'")
    prefix_part = (prefix if prefix is not None else cfg.prefix).strip("/")
    base = "/".join(p for p in (prefix_part, project.name, project.config.book.version) if p)
    return PublishTarget(
        kind=kind, bucket=bucket or os.environ.get(BUCKET_ENV) or cfg.bucket, base_key=base,
        endpoint_url=endpoint if kind == "s3" else None,
        local_root=(project.root / cfg.local_dir) if kind == "local" else None,
        credentials_block=credentials_block or os.environ.get(CREDENTIALS_BLOCK_ENV),
    )


def publish_files(items: list[tuple[Path, str]], target: PublishTarget, *,
                  multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD_BYTES,
                  deep_verify: bool = False) -> PublishReport:
    """Upload ``(local path, relative key)`` pairs under ``target.base_key``, verifying each one."""
    if target.kind == "local":
        objects = [_publish_local(path, rel, target) for path, rel in items]
    else:
        client = s3_client(target.endpoint_url, target.credentials_block)
        _preflight(client, target)
        config = TransferConfig(multipart_threshold=multipart_threshold_bytes,
                                multipart_chunksize=max(multipart_threshold_bytes, 5 * 1024 * 1024))
        objects = [_publish_s3(client, path, rel, target, config, deep_verify) for path, rel in items]
    return PublishReport(target=target, objects=tuple(objects))


def publish_build(project: Project, target: PublishTarget, *,
                  multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD_BYTES,
                  deep_verify: bool = False) -> PublishReport:
    """Publish the files listed in build/manifest.json, then the manifest itself (last).

    Checks first that every listed file is present with its recorded sha256, so a stale or
    half-rebuilt build is never published. Nothing in build/ is modified.
    """
    build = project.build_dir
    manifest_path = build / "manifest.json"
    if not manifest_path.is_file():
        raise PublishError("nothing to publish: no manifest", file=manifest_path,
                           fix=f"render first: `lector render {project.root}`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    items = []
    for entry in manifest["files"]:
        path = build / entry["path"]
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise PublishError(f"{entry['path']} is missing or differs from the manifest",
                               file=path, fix=f"re-render: `lector render {project.root}`")
        items.append((path, entry["path"]))
    items.append((manifest_path, "manifest.json"))
    return publish_files(items, target, multipart_threshold_bytes=multipart_threshold_bytes,
                         deep_verify=deep_verify)


# -- local object store -------------------------------------------------------------------------

def _publish_local(path: Path, rel: str, target: PublishTarget) -> PublishedObject:
    dest = target.local_root / target.bucket / target.base_key / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    sha = sha256_file(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if sha256_file(Path(tmp)) != sha:
            raise PublishError(f"copy of {path.name} does not match its sha256", file=dest,
                               fix="check the disk, then re-run `lector publish`")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return PublishedObject(key=f"{target.base_key}/{rel}", size_bytes=dest.stat().st_size, sha256=sha)


# -- S3 -----------------------------------------------------------------------------------------

def s3_client(endpoint_url: str | None = None, credentials_block: str | None = None):
    """A boto3 S3 client from the AWS chain (or a Prefect Secret block); path-style for endpoints."""
    creds = _block_credentials(credentials_block) if credentials_block else {}
    session = boto3.session.Session(**creds)
    region = session.region_name or "us-east-1"
    config = Config(s3={"addressing_style": "path"} if endpoint_url else {},
                    retries={"max_attempts": 3, "mode": "standard"})
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _block_credentials(name: str) -> dict:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError as exc:
        raise PublishError(f"cannot load Prefect Secret block {name!r}: {exc}",
                           fix=f"create it: Secret(value={{...}}).save({name!r})") from None
    data = json.loads(value) if isinstance(value, str) else dict(value)
    return {k: data[k] for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
            if data.get(k)}


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
    except botocore.exceptions.EndpointConnectionError as exc:
        raise PublishError(f"cannot reach {target.where}: {exc}",
                           fix=f"check --endpoint-url / ${ENDPOINT_ENV} / publish.endpoint_url") from None


def _client_error(exc: botocore.exceptions.ClientError, target: PublishTarget) -> PublishError:
    return _coded_error(str(exc.response.get("Error", {}).get("Code", "")), str(exc), target)


def _coded_error(code: str, detail: str, target: PublishTarget) -> PublishError:
    if code in _AUTH_CODES:
        return PublishError(f"access denied ({code}) to {target.where}", fix=_CRED_FIX)
    if code in ("404", "NoSuchBucket"):
        return PublishError(f"{target.where} does not exist",
                            fix="create the bucket, or set publish.bucket in project.toml / --bucket")
    return PublishError(f"S3 error {code or '?'} on {target.where}: {detail}",
                        fix="check the endpoint, bucket and credentials, then re-run `lector publish`")


def _publish_s3(client, path: Path, rel: str, target: PublishTarget, config: TransferConfig,
                deep_verify: bool) -> PublishedObject:
    key = f"{target.base_key}/{rel}"
    sha = sha256_file(path)
    size = path.stat().st_size
    extra = {"Metadata": {"sha256": sha},
             "ContentType": mimetypes.guess_type(path.name)[0] or "application/octet-stream"}
    try:
        client.upload_file(str(path), target.bucket, key, ExtraArgs=extra, Config=config)
        head = client.head_object(Bucket=target.bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        raise _client_error(exc, target) from None
    except S3UploadFailedError as exc:        # boto3 wraps the ClientError in its message only
        code = re.search(r"An error occurred \((\w+)\)", str(exc))
        raise _coded_error(code.group(1) if code else "", str(exc), target) from None
    if head["ContentLength"] != size or head.get("Metadata", {}).get("sha256") != sha:
        raise PublishError(f"verification failed for s3://{target.bucket}/{key}: size "
                           f"{head['ContentLength']} != {size} or sha256 metadata mismatch",
                           fix="re-run `lector publish`; if it repeats, check the S3 gateway")
    if deep_verify and download_sha256(client, target.bucket, key) != sha:
        raise PublishError(f"downloaded bytes of s3://{target.bucket}/{key} differ from {path}",
                           fix="re-run `lector publish`; if it repeats, check the S3 gateway")
    return PublishedObject(key=key, size_bytes=size, sha256=sha)


def download_sha256(client, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in body.iter_chunks(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


# -- shared render cache on S3 --------------------------------------------------------------------

class S3Store(BytesStore):
    """Render cache in a bucket (``<prefix>/<key[:2]>/<key>.flac``), shared by several machines.

    Implements tts_engine.cache.Store; S3 PUTs are atomic (an object appears whole or not at all).
    """

    def __init__(self, bucket: str, prefix: str = "lector-cache", *, endpoint_url: str | None = None,
                 client=None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.client = client or s3_client(endpoint_url)

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/{self.prefix}/)"

    def key_for(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key[:2]}/{key}.flac"

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_for(key))
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(exc) from None
        return True

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key_for(key))["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error(exc) from None

    def put_bytes(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key_for(key), Body=data,
                                   Metadata={"sha256": hashlib.sha256(data).hexdigest()})
        except botocore.exceptions.ClientError as exc:
            raise self._error(exc) from None

    def _error(self, exc: botocore.exceptions.ClientError) -> CacheError:
        code = exc.response.get("Error", {}).get("Code")
        where = f"s3://{self.bucket}/{self.prefix}/ at {self.endpoint_url or 'AWS'}"
        return CacheError(f"render cache {where} failed ({code})", fix=_CRED_FIX)
