"""The media store a process uses, built from its settings: the server, the CLI and Celery workers alike.

A module of its own, so a worker's pool process builds its store without importing the composition root.
"""

from __future__ import annotations

from .config import Settings
from .store.media_store import LocalMediaStore, MediaStore


def media_store(settings: Settings) -> MediaStore:
    """Local disk, or the S3 bucket (boto3 is imported only then) with this machine's read-through cache."""
    if settings.media_store == "local":
        return LocalMediaStore(settings.resolved_media_dir)
    from .store.s3_media_store import S3Location, S3MediaStore

    assert settings.s3_bucket is not None  # Settings refuses media_store=s3 without one
    store = S3MediaStore(S3Location(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
                                    public_endpoint_url=settings.s3_public_endpoint_url, region=settings.s3_region,
                                    access_key_id=settings.s3_access_key_id,
                                    secret_access_key=settings.s3_secret_access_key),
                         settings.media_cache_dir, settings.s3_cache_bytes)
    store.ensure_bucket()
    return store
