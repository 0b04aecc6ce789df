"""The render cache a pipeline reads and writes: ``$LECTOR_CACHE_URL`` or ``<project>/build/cache``.

An ``s3://bucket/prefix`` cache (shared by several machines) needs boto3, which the library never
imports: lector.flows registers its opener here (``register_cache_scheme``), so a flow, a Dask
worker or the review app that imports the flows gets it, and plain library callers get a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lector.core.cache import LocalStore, Store, project_store
from lector.core.errors import ConfigError
from lector.core.project import Project

CACHE_URL_ENV = "LECTOR_CACHE_URL"

# scheme -> opener(bucket, prefix): filled by lector.flows (s3)
_OPENERS: dict[str, Callable[[str, str], Store]] = {}


def register_cache_scheme(scheme: str, opener: Callable[[str, str], Store]) -> None:
    """Make ``scheme://bucket/prefix`` render caches openable (``opener(bucket, prefix)``)."""
    _OPENERS[scheme] = opener


def cache_url() -> str:
    return os.environ.get(CACHE_URL_ENV, "").strip()


def render_store(project: Project) -> Store:
    """The render cache: ``$LECTOR_CACHE_URL`` (``s3://bucket/prefix``, or a folder), else
    ``<project>/build/cache``."""
    url = cache_url()
    scheme, sep, rest = url.partition("://")
    if sep:
        opener = _OPENERS.get(scheme)
        if opener is None:
            raise ConfigError(
                f"render cache {url!r}: no {scheme}:// store is available in this process",
                field=CACHE_URL_ENV,
                fix="render through `lector render` (the flows open S3 caches), or unset $LECTOR_CACHE_URL",
            )
        bucket, _, prefix = rest.partition("/")
        return opener(bucket, prefix or "lector-cache")
    if url:
        return LocalStore(Path(url).expanduser())
    return project_store(project.build_dir)


def probe_is_local() -> bool:
    """The render cache is on this machine's disk (not ``s3://``), so probing it is stat calls."""
    return not cache_url().startswith("s3://")


def takes_are_local() -> bool:
    """The takes are under build/cache (no $LECTOR_CACHE_URL), where take QC reads them."""
    return not cache_url()
