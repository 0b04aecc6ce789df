"""S3 objects uploaded and verified by checksums the store computed (used by flows.publish).

* Every PUT (single part) and every part of a multipart upload is sent with its SHA-256
  (``ChecksumAlgorithm="SHA256"`` + ``ChecksumSHA256``) and its ``Content-MD5``: S3 recomputes both
  over the bytes it received and refuses the request (BadDigest) when they differ.
* After the upload, ``head_object(ChecksumMode="ENABLED")`` is compared with what this file must
  give: ``ChecksumSHA256`` (the whole object's, or for multipart the checksum of the parts'
  checksums, ``-N``) and the ``ETag`` (MD5 of the bytes, or of the parts' MD5s ``-N``; not an MD5 under
  SSE-KMS / SSE-C, so not compared there). Where the store gives neither, the object is downloaded
  and re-hashed. Sizes always.
* A multipart upload that fails is aborted; ``abort_open_uploads`` removes those a killed process
  left behind (run before every publish of the same version).
* Transient network errors (connection refused, reset or closed mid-request, timeouts) are
  retried: by botocore (``standard`` mode, ``S3_ATTEMPTS_ENV``) and then per object here with
  exponential backoff (``OBJECT_ATTEMPTS``, ``BACKOFF_S``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import botocore.exceptions

S3_ATTEMPTS_ENV = "LECTOR_S3_ATTEMPTS"
OBJECT_ATTEMPTS = 3  # rounds per object after botocore's own retries
BACKOFF_S = 1.0  # first pause between rounds; doubles
PART_WORKERS = 4
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PARTS = 10000
TRANSIENT = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.HTTPClientError,
    botocore.exceptions.ConnectionError,
)
_MD5_ETAG = re.compile(r"^[0-9a-f]{32}(-\d+)?$")
T = TypeVar("T")


class TransientFailure(RuntimeError):
    """The network failed on every attempt (``what`` was being done)."""

    def __init__(self, what: str, attempts: int, cause: BaseException) -> None:
        self.what, self.attempts, self.cause = what, attempts, cause
        super().__init__(f"{what}: {type(cause).__name__}: {cause} (after {attempts} attempts)")


class VerifyFailure(RuntimeError):
    """The stored object does not give this file's checksums."""


@dataclass(frozen=True)
class FileFacts:
    """What the store must report for ``path``: size, sha256, MD5 and, for a multipart upload with
    ``part_bytes`` parts, the parts' SHA-256 and MD5 digests."""

    path: Path
    size_bytes: int
    sha256: str
    md5: str
    part_bytes: int  # 0 = single PUT
    part_sha256: tuple[bytes, ...] = ()
    part_md5: tuple[bytes, ...] = ()

    @property
    def multipart(self) -> bool:
        return self.part_bytes > 0

    def checksum(self) -> str:
        """The ChecksumSHA256 S3 keeps: base64 of the sha256, or of the parts' sha256s (no ``-N``)."""
        if not self.multipart:
            return base64.b64encode(bytes.fromhex(self.sha256)).decode()
        return base64.b64encode(hashlib.sha256(b"".join(self.part_sha256)).digest()).decode()

    def etag(self) -> str:
        if not self.multipart:
            return self.md5
        return f"{hashlib.md5(b''.join(self.part_md5)).hexdigest()}-{len(self.part_md5)}"


def file_facts(path: Path, multipart_threshold_bytes: int) -> FileFacts:
    """Hash ``path`` once: whole-file sha256 + MD5 and, above the threshold, per-part digests."""
    size = path.stat().st_size
    part = 0
    if size >= multipart_threshold_bytes and size > MIN_PART_BYTES:
        part = max(multipart_threshold_bytes, MIN_PART_BYTES, -(-size // MAX_PARTS))
    whole_sha, whole_md5 = hashlib.sha256(), hashlib.md5()
    part_sha: list[bytes] = []
    part_md5: list[bytes] = []
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(part or (8 << 20))
            if not chunk:
                break
            whole_sha.update(chunk)
            whole_md5.update(chunk)
            if part:
                part_sha.append(hashlib.sha256(chunk).digest())
                part_md5.append(hashlib.md5(chunk).digest())
    return FileFacts(
        path, size, whole_sha.hexdigest(), whole_md5.hexdigest(), part, tuple(part_sha), tuple(part_md5)
    )


def with_retries(what: str, call: Callable[[], T], attempts: int = 0) -> T:
    """``call()``, again after a transient network error (backoff BACKOFF_S, 2x, ...)."""
    attempts = attempts or OBJECT_ATTEMPTS
    for n in range(attempts):
        try:
            return call()
        except TRANSIENT as exc:
            if n + 1 == attempts:
                raise TransientFailure(what, attempts, exc) from None
            time.sleep(BACKOFF_S * 2**n)
    raise AssertionError("unreachable")


def head_or_none(client, bucket: str, key: str) -> dict | None:
    try:
        return client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except botocore.exceptions.ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def check_head(head: dict, facts: FileFacts) -> tuple[list[str], list[str]]:
    """(what matched, what did not) between a head_object answer and ``facts``."""
    matched: list[str] = []
    wrong: list[str] = []
    if head.get("ContentLength") != facts.size_bytes:
        wrong.append(f"size {head.get('ContentLength')} != {facts.size_bytes}")
    stored = str(head.get("ChecksumSHA256") or "").split("-")[0]
    if stored:
        (matched if stored == facts.checksum() else wrong).append(f"ChecksumSHA256 {stored}")
    etag = str(head.get("ETag", "")).strip('"').lower()
    sse = str(head.get("ServerSideEncryption", "")).startswith("aws:kms") or head.get("SSECustomerAlgorithm")
    if _MD5_ETAG.match(etag) and not sse:
        (matched if etag == facts.etag() else wrong).append(f"ETag {etag}")
    return matched, wrong


def download_sha256(client, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in body.iter_chunks(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def verify(client, bucket: str, key: str, facts: FileFacts, *, deep: bool = False) -> str:
    """How the stored object was verified ("ChecksumSHA256+ETag", "download"); VerifyFailure if not."""
    head = head_or_none(client, bucket, key)
    if head is None:
        raise VerifyFailure(f"s3://{bucket}/{key} is not there after its upload")
    matched, wrong = check_head(head, facts)
    if wrong:
        raise VerifyFailure(f"s3://{bucket}/{key} differs from {facts.path.name}: " + ", ".join(wrong))
    if deep or not matched:
        if download_sha256(client, bucket, key) != facts.sha256:
            raise VerifyFailure(f"the downloaded bytes of s3://{bucket}/{key} differ from {facts.path}")
        matched.append("download")
    return "+".join(m.split()[0] for m in matched)


def already_stored(client, bucket: str, key: str, facts: FileFacts) -> bool:
    """True when ``key`` holds exactly this file, by the store's own checksums (a retry skips it)."""
    head = head_or_none(client, bucket, key)
    if head is None:
        return False
    matched, wrong = check_head(head, facts)
    return bool(matched) and not wrong


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def put_single(client, bucket: str, key: str, facts: FileFacts, extra: dict) -> None:
    with open(facts.path, "rb") as body:
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=facts.checksum(),
            ContentMD5=_b64(bytes.fromhex(facts.md5)),
            **extra,
        )


def put_bytes(client, bucket: str, key: str, data: bytes, extra: dict) -> None:
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=data,
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=_b64(hashlib.sha256(data).digest()),
        ContentMD5=_b64(hashlib.md5(data).digest()),
        **extra,
    )


def put_multipart(client, bucket: str, key: str, facts: FileFacts, extra: dict) -> None:
    """Multipart upload, each part with its SHA-256 and MD5; aborted on any failure."""
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256", **extra)
    upload_id = upload["UploadId"]

    def send(n: int) -> dict:
        with open(facts.path, "rb") as fh:
            data = os.pread(fh.fileno(), facts.part_bytes, n * facts.part_bytes)
        answer = with_retries(
            f"uploading part {n + 1} of s3://{bucket}/{key}",
            lambda: client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=n + 1,
                Body=data,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(facts.part_sha256[n]),
                ContentMD5=_b64(facts.part_md5[n]),
            ),
        )
        return {"PartNumber": n + 1, "ETag": answer["ETag"], "ChecksumSHA256": _b64(facts.part_sha256[n])}

    try:
        with ThreadPoolExecutor(PART_WORKERS, thread_name_prefix="lector-s3-part") as pool:
            parts = list(pool.map(send, range(len(facts.part_sha256))))
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        abort_quietly(client, bucket, key, upload_id)
        raise


def abort_quietly(client, bucket: str, key: str, upload_id: str) -> bool:
    """Abort one multipart upload; False when the store cannot be told now (the next publish will)."""
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return False
    return True


def delete_quietly(client, bucket: str, key: str) -> None:
    """Remove an object that failed verification (best effort: a retry overwrites it anyway)."""
    with contextlib.suppress(botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        client.delete_object(Bucket=bucket, Key=key)


def abort_open_uploads(client, bucket: str, prefix: str) -> int:
    """Abort every multipart upload still open under ``prefix`` (left by a failed or killed publish
    of the same version: they would cost storage until a lifecycle rule removes them)."""
    aborted = 0
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            aborted += 1
    return aborted


def open_uploads(client, bucket: str, prefix: str = "") -> list[str]:
    """Keys of the multipart uploads open under ``prefix`` (for tests and `lector publish` checks)."""
    return [
        u["Key"]
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix)
        for u in page.get("Uploads", [])
    ]
