"""Studios whose media live in a bucket on a real S3-compatible server (SeaweedFS ``weed mini``, started
once per pytest run by ``tests/servers.py``); each test gets its own bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import servers
from conftest import make_settings
from miniaistudio.config import Settings
from miniaistudio.store.s3_media_store import S3Location, S3MediaStore


@pytest.fixture(scope="session")
def s3_server() -> servers.S3Server:
    return servers.BACKEND.servers.ensure_s3()


@pytest.fixture
def bucket() -> str:
    return f"studio-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3_settings(s3_server: servers.S3Server, bucket: str) -> dict[str, Any]:
    return s3_server.settings(bucket)


@pytest.fixture
def settings(tmp_path: Path, s3_settings: dict[str, Any]) -> Settings:
    return make_settings(tmp_path, **s3_settings)


def location(s3_server: servers.S3Server, bucket: str) -> S3Location:
    return S3Location(bucket=bucket, endpoint_url=s3_server.endpoint_url, region=s3_server.REGION,
                      access_key_id=s3_server.ACCESS_KEY, secret_access_key=s3_server.SECRET_KEY)


@pytest.fixture
def store(s3_server: servers.S3Server, bucket: str, tmp_path: Path) -> Iterator[S3MediaStore]:
    made = S3MediaStore(location(s3_server, bucket), tmp_path / "cache", cache_bytes=10_000,
                        cache_grace_seconds=0)  # evicts at once: the budget is checked exactly
    made.ensure_bucket()
    yield made


def bucket_keys(store: S3MediaStore) -> list[str]:
    """Every key in the store's bucket, read straight from the server."""
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))
