"""S3 client construction and the shared render cache on S3 (``S3Store``), used by flows.publish
and the tasks. Credentials: boto3's standard chain or a Prefect Secret block (see flows.publish)."""

from __future__ import annotations

import hashlib
import json
import os

import boto3
import botocore.exceptions
from botocore.config import Config

from lector.core.cache import BytesStore, check_key
from lector.core.errors import CacheError, PublishError
from lector.core.pipeline.store import register_cache_scheme
from lector.core.pipeline.target import ENDPOINT_ENV

from .s3objects import S3_ATTEMPTS_ENV

CREDENTIALS_BLOCK_ENV = "LECTOR_S3_CREDENTIALS_BLOCK"
_CRED_FIX = (
    "check the credentials in the standard AWS chain (AWS_ACCESS_KEY_ID / "
    "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials) or the Prefect Secret block "
    f"named by ${CREDENTIALS_BLOCK_ENV}; the rendered masters are still in build/masters/, "
    "re-run `lector publish PROJECT` once fixed"
)


def s3_client(endpoint_url: str | None = None, credentials_block: str | None = None):
    """A boto3 S3 client from the AWS chain (or a Prefect Secret block); path-style for endpoints;
    transient errors retried by botocore (standard mode, $LECTOR_S3_ATTEMPTS attempts, default 4)."""
    creds = _block_credentials(credentials_block) if credentials_block else {}
    session = boto3.session.Session(**creds)
    region = session.region_name or "us-east-1"
    try:
        attempts = max(1, int(os.environ.get(S3_ATTEMPTS_ENV, "4")))
    except ValueError:
        attempts = 4
    config = Config(
        s3={"addressing_style": "path"} if endpoint_url else {},
        retries={"max_attempts": attempts, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
    )
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _block_credentials(name: str) -> dict:
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(name)
        assert isinstance(block, Secret), type(block)  # sync caller: load() returns the block
        value = block.get()
    except ValueError as exc:
        raise PublishError(
            f"cannot load Prefect Secret block {name!r}: {exc}",
            fix=f"create it: Secret(value={{...}}).save({name!r})",
        ) from None
    data = json.loads(value) if isinstance(value, str) else dict(value)
    return {
        k: data[k] for k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token") if data.get(k)
    }


# -- shared render cache on S3 --------------------------------------------------------------------


class S3Store(BytesStore):
    """Render cache in a bucket (``<prefix>/<key[:2]>/<key>.flac``), shared by several machines.

    Implements lector.core.cache.Store; S3 PUTs are atomic (an object appears whole or not at all).
    """

    def __init__(
        self, bucket: str, prefix: str = "lector-cache", *, endpoint_url: str | None = None, client=None
    ) -> None:
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
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key_for(key),
                Body=data,
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except botocore.exceptions.ClientError as exc:
            raise self._error(exc) from None

    def _error(self, exc: botocore.exceptions.ClientError) -> CacheError:
        code = exc.response.get("Error", {}).get("Code")
        where = f"s3://{self.bucket}/{self.prefix}/ at {self.endpoint_url or 'AWS'}"
        return CacheError(f"render cache {where} failed ({code})", fix=_CRED_FIX)


def open_render_cache(bucket: str, prefix: str) -> S3Store:
    """The ``s3://bucket/prefix`` render cache ($LECTOR_CACHE_URL), endpoint from $LECTOR_S3_ENDPOINT_URL."""
    return S3Store(bucket, prefix, endpoint_url=os.environ.get(ENDPOINT_ENV) or None)


register_cache_scheme("s3", open_render_cache)  # the library opens s3:// caches through this
