"""Media blobs behind a small seam: local disk, or an S3-compatible bucket (``store/s3_media_store.py``).

Keys are made by the studio (``YYYY/MM/<shard>/<uuid>.<ext>``), never taken from a request, and are
checked again here so no key can leave the store's root.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*\.[a-z0-9]{1,8}$")


def new_storage_key(ext: str, media_id: str | None = None) -> tuple[str, str]:
    """A fresh media id (or the one given) and the key its file is stored under
    (``YYYY/MM/<first two characters of the id>/<id>.<ext>``: 256 folders a month, so none grows
    to hundreds of thousands of files; keys made before the shard level keep working)."""
    media_id = media_id or str(uuid.uuid4())
    now = datetime.now(UTC)
    return media_id, f"{now:%Y/%m}/{media_id[:2].lower()}/{media_id}.{ext}"


class InvalidKey(ValueError):
    pass


def valid_key(key: str) -> str:
    """``key`` when it is one the studio makes (no "..", no absolute path, no empty component)."""
    if not _KEY.match(key):
        raise InvalidKey(f"invalid media key {key!r}")
    return key


class ObjectTooLarge(ValueError):
    """A client's upload is larger than the caller accepts (found before any byte is read)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class DirectTransfers(Protocol):
    """Clients move bytes straight to and from the store (presigned URLs), not through the studio."""

    def upload_url(self, key: str, *, content_type: str, ttl_seconds: int) -> str:
        """A URL to PUT one object of ``content_type`` to."""

    def download_url(self, key: str, *, ttl_seconds: int, mime: str, disposition: str) -> str:
        """A URL to GET one object by, answered with ``mime`` and ``disposition``."""

    def receive(self, key: str, dest: Path, max_bytes: int) -> int:
        """A client's upload, copied to ``dest``: its size (``FileNotFoundError`` before it arrived,
        :class:`ObjectTooLarge` above ``max_bytes``)."""

    def discard(self, key: str) -> None:
        """Delete a client's upload (or nothing)."""


class MediaStore(Protocol):
    #: Presigned transfers when the store has them (S3), else None: bytes pass through the studio.
    direct: DirectTransfers | None

    def put_file(self, key: str, source: Path) -> int:
        """Move ``source`` into the store under ``key``; returns its size."""

    def put_bytes(self, key: str, data: bytes) -> int: ...

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A readable local path for the duration of the block (a download for remote stores)."""
        yield Path()

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalMediaStore:
    direct: DirectTransfers | None = None

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._dirs: set[Path] = set()

    def path_for(self, key: str) -> Path:
        # The key grammar admits no "..", no absolute path and no empty component, so the
        # joined path stays under the root; symlinks are refused where files are opened.
        return self.root / valid_key(key)

    def _parent_ready(self, path: Path) -> None:
        parent = path.parent
        if parent not in self._dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)

    def put_file(self, key: str, source: Path) -> int:
        dest = self.path_for(key)
        self._parent_ready(dest)
        try:
            os.replace(source, dest)
        except OSError:  # another filesystem
            shutil.move(str(source), dest)
        return dest.stat().st_size

    def put_bytes(self, key: str, data: bytes) -> int:
        # Keys are fresh UUIDs and a file is referenced only after this returns, so a crash
        # mid-write leaves an unreferenced file, never a torn one that someone reads.
        dest = self.path_for(key)
        self._parent_ready(dest)
        with dest.open("xb") as fh:
            fh.write(data)
        return len(data)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self.path_for(key)
        if path.is_symlink() or not path.is_file():
            raise FileNotFoundError(key)
        yield path

    def open(self, key: str) -> BinaryIO:
        path = self.path_for(key)
        if path.is_symlink():
            raise FileNotFoundError(key)
        return path.open("rb")

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()
