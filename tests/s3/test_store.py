"""The S3 media store against a real S3-compatible server: round trip through the seam, the bounded
read-through cache, and presigned URLs that the server itself refuses when tampered with or expired."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from pydantic import ValidationError

import servers
from miniaistudio.config import Settings
from miniaistudio.store.media_store import InvalidKey, ObjectTooLarge
from miniaistudio.store.s3_media_store import S3MediaStore

from .conftest import bucket_keys, location


def test_round_trip_through_the_seam(store: S3MediaStore, tmp_path: Path) -> None:
    assert store.put_bytes("2026/12/a.png", b"first") == 5
    source = tmp_path / "out.bin"
    source.write_bytes(b"x" * 3000)
    assert store.put_file("2026/12/b.mp4", source) == 3000
    assert not source.exists()  # moved into the store (and its cache), as on local disk
    assert bucket_keys(store) == ["2026/12/a.png", "2026/12/b.mp4"]
    assert store.exists("2026/12/a.png") and not store.exists("2026/12/none.png")
    with store.local_path("2026/12/b.mp4") as path:
        assert path.read_bytes() == b"x" * 3000
    with store.open("2026/12/a.png") as fh:
        assert fh.read() == b"first"
    with pytest.raises(FileNotFoundError), store.local_path("2026/12/none.png"):
        pass
    with pytest.raises(InvalidKey):
        store.put_bytes("../escape.png", b"no")
    store.delete("2026/12/a.png")
    store.delete("2026/12/a.png")  # deleting twice is fine
    assert bucket_keys(store) == ["2026/12/b.mp4"]
    with pytest.raises(FileNotFoundError), store.local_path("2026/12/a.png"):
        pass


def test_reads_come_through_a_bounded_cache(s3_server: servers.S3Server, bucket: str, store: S3MediaStore,
                                            tmp_path: Path) -> None:
    for i in range(5):  # 5 x 4000 bytes through a 10 000-byte cache
        store.put_bytes(f"2026/12/f{i}.bin", bytes([i]) * 4000)
    assert store.cache.total_bytes <= 10_000
    cached = sorted(p.name for p in (tmp_path / "cache" / "2026" / "12").iterdir())
    assert cached == ["f3.bin", "f4.bin"]  # the least recently used went first
    with store.local_path("2026/12/f0.bin") as path:  # evicted: read through from the bucket
        assert path.read_bytes() == bytes([0]) * 4000
    assert store.cache.total_bytes <= 10_000

    # Another machine (an empty cache) reads the same objects; a restart finds its cache again.
    other = S3MediaStore(location(s3_server, bucket), tmp_path / "other-cache", cache_bytes=10_000)
    with other.local_path("2026/12/f1.bin") as path:
        assert path.read_bytes() == bytes([1]) * 4000
    again = S3MediaStore(location(s3_server, bucket), tmp_path / "other-cache", cache_bytes=10_000)
    assert again.cache.total_bytes == 4000

    # A file used a moment ago is not evicted (a response is about to open it): the budget gives way.
    held = S3MediaStore(location(s3_server, bucket), tmp_path / "held-cache", cache_bytes=5_000,
                        cache_grace_seconds=3600)
    for i in range(3):
        with held.local_path(f"2026/12/f{i}.bin"):
            pass
    assert held.cache.total_bytes == 12_000
    assert all((tmp_path / "held-cache" / "2026" / "12" / f"f{i}.bin").is_file() for i in range(3))


def _tampered(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    signature = query["X-Amz-Signature"][0]
    query["X-Amz-Signature"] = [("0" if signature[0] != "0" else "1") + signature[1:]]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def test_presigned_urls_are_checked_by_the_server(store: S3MediaStore, tmp_path: Path) -> None:
    direct = store.direct
    assert direct is not None
    put = direct.upload_url("uploads/u/one.png", content_type="image/png", ttl_seconds=60)
    assert httpx.put(put, content=b"png?", headers={"Content-Type": "image/jpeg"}).status_code == 403  # not signed
    assert httpx.put(_tampered(put), content=b"png?", headers={"Content-Type": "image/png"}).status_code == 403
    assert httpx.put(put, content=b"png!", headers={"Content-Type": "image/png"}).status_code == 200

    get = direct.download_url("uploads/u/one.png", ttl_seconds=60, mime="image/png",
                              disposition="inline; filename=one.png")
    ok = httpx.get(get)
    assert ok.status_code == 200 and ok.content == b"png!"
    assert ok.headers["content-type"] == "image/png"
    assert httpx.get(_tampered(get)).status_code == 403
    assert httpx.get(get.split("?")[0]).status_code == 403  # anonymous

    short = direct.download_url("uploads/u/one.png", ttl_seconds=1, mime="image/png", disposition="inline")
    short_put = direct.upload_url("uploads/u/two.png", content_type="image/png", ttl_seconds=1)
    time.sleep(2.1)
    assert httpx.get(short).status_code == 403
    assert httpx.put(short_put, content=b"late", headers={"Content-Type": "image/png"}).status_code == 403

    assert direct.receive("uploads/u/one.png", tmp_path / "got", max_bytes=100) == 4
    with pytest.raises(ObjectTooLarge):
        direct.receive("uploads/u/one.png", tmp_path / "big", max_bytes=3)
    with pytest.raises(FileNotFoundError):
        direct.receive("uploads/u/two.png", tmp_path / "none", max_bytes=100)
    direct.discard("uploads/u/one.png")
    assert bucket_keys(store) == []


def test_presigned_urls_are_signed_for_the_address_clients_use(s3_server: servers.S3Server, bucket: str,
                                                               store: S3MediaStore, tmp_path: Path) -> None:
    public = f"http://localhost:{s3_server.port}"  # another name of the same server, as clients would reach it
    behind = S3MediaStore(replace(location(s3_server, bucket), public_endpoint_url=public), tmp_path / "c", 10_000)
    assert behind.direct is not None
    put = behind.direct.upload_url("uploads/u/p.png", content_type="image/png", ttl_seconds=60)
    assert put.startswith(public + "/")
    assert httpx.put(put, content=b"via the public name", headers={"Content-Type": "image/png"}).status_code == 200
    with behind.open("uploads/u/p.png") as fh:  # the studio itself still talks to its own endpoint
        assert fh.read() == b"via the public name"
    # a signed host is part of the signature: the same URL at the internal address is refused
    assert httpx.get(behind.direct.download_url("uploads/u/p.png", ttl_seconds=60, mime="image/png",
                                                disposition="inline").replace(public, s3_server.endpoint_url)
                     ).status_code == 403


def test_an_s3_store_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="s3_bucket"):
        Settings(data_dir=tmp_path, media_store="s3")
    with pytest.raises(ValidationError, match="http"):
        Settings(data_dir=tmp_path, media_store="s3", s3_bucket="b", s3_endpoint_url="127.0.0.1:9000")
