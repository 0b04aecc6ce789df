"""Where a book is published: the object store layout's names, known before anything is uploaded.

Objects are content-addressed (``<base>/objects/<sha256>/<path>``), so the manifest can name every
file's URL at render time. The upload itself (boto3) is lector.flows.publish.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lector.core.errors import PublishError
from lector.core.project import Project

ENDPOINT_ENV = "LECTOR_S3_ENDPOINT_URL"
BUCKET_ENV = "LECTOR_S3_BUCKET"
CREDENTIALS_BLOCK_ENV = "LECTOR_S3_CREDENTIALS_BLOCK"
OBJECTS_DIR = "objects"
LATEST_NAME = "latest.json"


@dataclass(frozen=True)
class PublishTarget:
    kind: str  # "local" | "s3"
    bucket: str
    base_key: str  # "<prefix>/<project>/<version>"
    endpoint_url: str | None = None
    local_root: Path | None = None  # object-store root for kind == "local"
    credentials_block: str | None = None

    @property
    def url(self) -> str:
        if self.kind == "local":
            return str(self.store_root / self.bucket / self.base_key) + "/"
        return f"s3://{self.bucket}/{self.base_key}/"

    @property
    def store_root(self) -> Path:
        assert self.local_root is not None, "a local target has its root"
        return self.local_root

    def url_of(self, key: str) -> str:
        """Where the object ``key`` is: ``s3://bucket/key``, or a ``file://`` URL in the local store."""
        if self.kind == "local":
            return (self.store_root / self.bucket / key).resolve().as_uri()
        return f"s3://{self.bucket}/{key}"

    def https_url(self, key: str) -> str | None:
        """The object's http(s) URL (path style) when the S3 endpoint is known, else None."""
        if self.kind != "s3" or not self.endpoint_url:
            return None
        return f"{self.endpoint_url.rstrip('/')}/{quote(self.bucket)}/{quote(key)}"

    @property
    def where(self) -> str:
        endpoint = self.endpoint_url or "the default AWS endpoint"
        return f"bucket {self.bucket!r} at {endpoint}"

    @property
    def latest_key(self) -> str:
        """``<prefix>/<project>/latest.json`` (beside the versions)."""
        return "/".join([*self.base_key.split("/")[:-1], LATEST_NAME])

    def object_key(self, sha256: str, rel: str) -> str:
        return f"{self.base_key}/{OBJECTS_DIR}/{sha256}/{rel}"


def resolve_target(
    project: Project,
    *,
    target: str | None = None,
    endpoint_url: str | None = None,
    bucket: str | None = None,
    prefix: str | None = None,
    credentials_block: str | None = None,
) -> PublishTarget:
    """Merge CLI options > env (LECTOR_S3_ENDPOINT_URL, LECTOR_S3_BUCKET) > project.toml [publish]."""
    cfg = project.config.publish
    endpoint = endpoint_url or os.environ.get(ENDPOINT_ENV) or cfg.endpoint_url
    kind = target or ("s3" if endpoint_url else cfg.target)
    if kind not in ("local", "s3"):
        raise PublishError(
            f"unknown publish target {kind!r}",
            file=project.root / "project.toml",
            field="publish.target",
            fix="use 'local' or 's3'",
        )
    prefix_part = (prefix if prefix is not None else cfg.prefix).strip("/")
    base = "/".join(p for p in (prefix_part, project.name, project.config.book.version) if p)
    return PublishTarget(
        kind=kind,
        bucket=bucket or os.environ.get(BUCKET_ENV) or cfg.bucket,
        base_key=base,
        endpoint_url=endpoint if kind == "s3" else None,
        local_root=(project.root / cfg.local_dir) if kind == "local" else None,
        credentials_block=credentials_block or os.environ.get(CREDENTIALS_BLOCK_ENV),
    )
