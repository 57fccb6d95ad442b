"""Media in an S3-compatible bucket (``MINIAI_MEDIA_STORE=s3``), behind the same seam as local disk.

Every API process and worker reads and writes the one bucket, so no disk is shared. Reads go through a
local read-through cache (``<data dir>/media-cache``, at most ``s3_cache_bytes`` per process, least
recently used first out; processes on one data dir, such as a worker's pool, share its files): a node
that reads the output of the node before it, on the same machine, reads a local file. What the store
writes lands in the cache too. A file used in the last ``grace_seconds`` is not evicted
(a response hands its path to the server, which opens it a moment later), so the cache may exceed its
budget by what was used that recently.

Clients move media bytes straight to and from the bucket with presigned URLs (``direct``: signed uploads
and signed download links), so large files need not pass through an API process. Presigned URLs are
signed for ``s3_public_endpoint_url`` when the clients' address of the bucket differs from the studio's:
a signed host is never rewritten.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..core.errors import MediaStoreUnavailable
from .media_store import DirectTransfers, InvalidKey, ObjectTooLarge, valid_key

_MISSING = {"404", "NoSuchKey", "NotFound"}
#: A download into the cache's ``.incoming`` untouched this long was left by a crash.
_STALE_INCOMING_SECONDS = 3600


@dataclass(frozen=True)
class S3Location:
    """Where the bucket is and how to sign for it."""

    bucket: str
    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None


def _client(location: S3Location, endpoint_url: str | None) -> Any:
    return boto3.client(
        "s3", endpoint_url=endpoint_url, region_name=location.region,
        aws_access_key_id=location.access_key_id, aws_secret_access_key=location.secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=32))


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING


@contextmanager
def _answered() -> Iterator[None]:
    """A missing object is ``FileNotFoundError``; the bucket down, or refusing us, is ``MEDIA_STORE_UNAVAILABLE``
    (503): the caller's request was fine, so it is not a 500 and not the caller's fault."""
    try:
        yield
    except ClientError as exc:
        if _missing(exc):
            raise FileNotFoundError(str(exc)) from None
        raise MediaStoreUnavailable(f"the media store refused the request "
                                    f"({exc.response.get('Error', {}).get('Code', 'error')})") from exc
    except BotoCoreError as exc:
        raise MediaStoreUnavailable("the media store did not answer; try again shortly") from exc


class ReadThroughCache:
    """Files under ``root`` named by their keys, at most ``max_bytes`` of them (least recently used out,
    but none used in the last ``grace_seconds``)."""

    def __init__(self, root: Path, max_bytes: int, grace_seconds: float = 30.0) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.grace_seconds = grace_seconds
        self._lock = threading.Lock()
        self._sizes: OrderedDict[str, int] = OrderedDict()  # least recently used first
        self._used: dict[str, float] = {}  # monotonic time of the last use
        self._total = 0
        self._incoming = self.root / ".incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)
        for stale in self._incoming.iterdir():  # left by a crash mid-download (not another process's current one)
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > _STALE_INCOMING_SECONDS:
                    stale.unlink()
        known = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.is_relative_to(self._incoming):
                stat = path.stat()
                known.append((stat.st_mtime, path.relative_to(self.root).as_posix(), stat.st_size))
        for _, key, size in sorted(known):
            self._sizes[key] = size
            self._used[key] = 0.0  # from before this start: evictable at once
            self._total += size

    @property
    def total_bytes(self) -> int:
        return self._total

    def path_for(self, key: str) -> Path:
        return self.root / key

    def scratch_file(self) -> Path:
        """A fresh path to download into before :meth:`adopt`."""
        return self._incoming / uuid.uuid4().hex

    def hit(self, key: str) -> Path | None:
        path = self.path_for(key)
        with self._lock:
            if key not in self._sizes:
                return None
            self._sizes.move_to_end(key)
            self._used[key] = time.monotonic()
        if not path.is_file():  # removed behind our back
            self.forget(key)
            return None
        return path

    def adopt(self, key: str, source: Path) -> Path:
        """Move ``source`` into the cache as ``key``'s file, evicting the least recently used."""
        dest = self.path_for(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        size = source.stat().st_size
        try:
            os.replace(source, dest)
        except OSError:  # another filesystem
            shutil.move(source, dest)
        evict: list[str] = []
        with self._lock:
            now = time.monotonic()
            self._total += size - self._sizes.pop(key, 0)
            self._sizes[key] = size
            self._used[key] = now
            for old in list(self._sizes):  # least recently used first: stop at the first one still in use
                if self._total <= self.max_bytes or old == key or now - self._used[old] < self.grace_seconds:
                    break
                self._total -= self._sizes.pop(old)
                del self._used[old]
                evict.append(old)
        for old in evict:
            self.path_for(old).unlink(missing_ok=True)
        return dest

    def clear(self) -> None:
        """Forget every file (a machine that has read nothing yet)."""
        with self._lock:
            keys = list(self._sizes)
        for key in keys:
            self.forget(key)

    def forget(self, key: str) -> None:
        with self._lock:
            self._total -= self._sizes.pop(key, 0)
            self._used.pop(key, None)
        self.path_for(key).unlink(missing_ok=True)


class S3DirectTransfers:
    """Presigned URLs: clients PUT and GET bytes at the bucket, not through an API process."""

    def __init__(self, store: S3MediaStore) -> None:
        self._store = store

    def upload_url(self, key: str, *, content_type: str, ttl_seconds: int) -> str:
        """A URL to PUT one object to; the Content-Type is signed, so the client must send the same one."""
        return str(self._store.signer.generate_presigned_url(
            "put_object", Params={"Bucket": self._store.bucket, "Key": valid_key(key), "ContentType": content_type},
            ExpiresIn=ttl_seconds))

    def download_url(self, key: str, *, ttl_seconds: int, mime: str, disposition: str) -> str:
        """A URL to GET one object by, answered with our type and file name (the bucket supports Range)."""
        return str(self._store.signer.generate_presigned_url(
            "get_object", Params={"Bucket": self._store.bucket, "Key": valid_key(key), "ResponseContentType": mime,
                                  "ResponseContentDisposition": disposition},
            ExpiresIn=ttl_seconds))

    def receive(self, key: str, dest: Path, max_bytes: int) -> int:
        """Download a client's upload to ``dest`` (its size; ``FileNotFoundError`` before it arrived,
        :class:`ObjectTooLarge` above ``max_bytes``, checked before any byte is read)."""
        size = self._store.size_of(key)
        if size is None:
            raise FileNotFoundError(key)
        if size > max_bytes:
            raise ObjectTooLarge(size)
        self._store.download(key, dest)
        return dest.stat().st_size

    def discard(self, key: str) -> None:
        self._store.delete_object(key)


class S3MediaStore:
    def __init__(self, location: S3Location, cache_dir: Path, cache_bytes: int,
                 cache_grace_seconds: float = 30.0) -> None:
        self.bucket = location.bucket
        self.client = _client(location, location.endpoint_url)
        public = location.public_endpoint_url
        self.signer = _client(location, public) if public and public != location.endpoint_url else self.client
        self.cache = ReadThroughCache(cache_dir, cache_bytes, cache_grace_seconds)
        self.direct: DirectTransfers | None = S3DirectTransfers(self)

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (a throwaway server starts empty)."""
        try:
            with _answered():
                self.client.head_bucket(Bucket=self.bucket)
        except FileNotFoundError:
            with _answered(), contextlib.suppress(self.client.exceptions.BucketAlreadyOwnedByYou):
                self.client.create_bucket(Bucket=self.bucket)

    # -- the MediaStore seam -----------------------------------------------------------------------
    def put_file(self, key: str, source: Path) -> int:
        with _answered():
            self.client.upload_file(str(source), self.bucket, valid_key(key))
        size = source.stat().st_size
        self.cache.adopt(key, source)  # the next node likely reads it here
        return size

    def put_bytes(self, key: str, data: bytes) -> int:
        with _answered():
            self.client.put_object(Bucket=self.bucket, Key=valid_key(key), Body=data)
        staged = self.cache.scratch_file()
        staged.write_bytes(data)
        self.cache.adopt(key, staged)
        return len(data)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        yield self._fetch(key)

    def open(self, key: str) -> BinaryIO:
        return self._fetch(key).open("rb")

    def delete(self, key: str) -> None:
        self.delete_object(key)
        self.cache.forget(key)

    def exists(self, key: str) -> bool:
        return self.size_of(key) is not None

    # -- object operations -------------------------------------------------------------------------
    def _fetch(self, key: str) -> Path:
        valid_key(key)
        cached = self.cache.hit(key)
        if cached is not None:
            return cached
        staged = self.cache.scratch_file()
        try:
            self.download(key, staged)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return self.cache.adopt(key, staged)

    def download(self, key: str, dest: Path) -> None:
        with _answered():
            self.client.download_file(self.bucket, valid_key(key), str(dest))

    def size_of(self, key: str) -> int | None:
        try:
            with _answered():
                head = self.client.head_object(Bucket=self.bucket, Key=valid_key(key))
        except FileNotFoundError:
            return None
        return int(head["ContentLength"])

    def delete_object(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError), _answered():
            self.client.delete_object(Bucket=self.bucket, Key=valid_key(key))


__all__ = ["InvalidKey", "S3DirectTransfers", "S3Location", "S3MediaStore"]
