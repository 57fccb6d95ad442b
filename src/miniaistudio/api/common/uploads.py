"""Streaming request bodies to disk with a size limit, never holding a file in memory.

Accepts ``multipart/form-data`` (one or more ``file`` parts) or a raw body with the file
name in ``X-Filename``. The caller owns the returned temporary files.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from ...core.errors import InvalidRequest, StudioError, UploadTooLarge

_FLUSH_AT = 1 << 20
MAX_FILES = 50


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    field: str
    size: int = 0


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None
    handle: BinaryIO | None = None
    buffer: bytearray = field(default_factory=bytearray)


class _Receiver:
    def __init__(self, scratch: Path, max_bytes: int) -> None:
        self.scratch = scratch
        self.max_bytes = max_bytes
        self.files: list[ReceivedFile] = []
        self.current: _Part | None = None
        self._field = bytearray()
        self._value = bytearray()
        self.done_parts: list[_Part] = []
        self.error: Exception | None = None

    def new_path(self) -> Path:
        return self.scratch / f"upload-{uuid.uuid4().hex}"

    # parser callbacks (synchronous; file writes happen in flush())
    def on_part_begin(self) -> None:
        self.current = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        assert self.current is not None
        # latin-1 keeps the bytes as sent: parse_options_header turns the value back into them, and
        # the file name is decoded as UTF-8 below (what browsers and httpx send)
        self.current.headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        part = self.current
        assert part is not None
        _, params = parse_options_header(part.headers.get("content-disposition", ""))
        filename = params.get(b"filename")
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if filename is not None:
            if len(self.files) >= MAX_FILES:
                self.error = InvalidRequest(f"at most {MAX_FILES} files per upload", code="TOO_MANY_FILES")
                return
            part.file = ReceivedFile(self.new_path(), filename.decode("utf-8", "replace"), name)
            part.handle = part.file.path.open("wb")
            self.files.append(part.file)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.current
        if part is None or part.file is None:
            return
        part.file.size += end - start
        if part.file.size > self.max_bytes:
            self.error = UploadTooLarge(f"files may be at most {self.max_bytes} bytes")
            return
        part.buffer += data[start:end]

    def on_part_end(self) -> None:
        if self.current is not None:
            self.done_parts.append(self.current)
        self.current = None

    def pending(self) -> list[_Part]:
        parts = [p for p in self.done_parts if p.handle is not None]
        if self.current is not None and self.current.handle is not None:
            parts.append(self.current)
        return parts

    def flush(self, final: bool = False) -> None:
        for part in self.pending():
            assert part.handle is not None
            if part.buffer and (final or len(part.buffer) >= _FLUSH_AT or part in self.done_parts):
                part.handle.write(part.buffer)
                part.buffer.clear()
        for part in self.done_parts:
            if part.handle is not None and not part.buffer:
                part.handle.close()
                part.handle = None

    def close_all(self) -> None:
        for part in [*self.done_parts, *([self.current] if self.current else [])]:
            if part.handle is not None:
                part.handle.close()
                part.handle = None

    def discard(self) -> None:
        self.close_all()
        for f in self.files:
            f.path.unlink(missing_ok=True)


async def receive_files(request: Request, scratch: Path, max_bytes: int) -> list[ReceivedFile]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + 1024 * 1024:
        raise UploadTooLarge(f"files may be at most {max_bytes} bytes")
    scratch.mkdir(parents=True, exist_ok=True)
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidRequest("multipart upload without a boundary", code="INVALID_UPLOAD")
        return await _receive_multipart(request, scratch, max_bytes, boundary)
    filename = request.headers.get("x-filename")
    if not filename:
        raise InvalidRequest("send multipart/form-data with a 'file' part, or a raw body with X-Filename",
                             code="INVALID_UPLOAD")
    return [await _receive_raw(request, scratch, max_bytes, filename)]


async def _receive_multipart(request: Request, scratch: Path, max_bytes: int, boundary: bytes) -> list[ReceivedFile]:
    rx = _Receiver(scratch, max_bytes)
    parser = MultipartParser(boundary, {
        "on_part_begin": rx.on_part_begin, "on_part_data": rx.on_part_data, "on_part_end": rx.on_part_end,
        "on_header_field": rx.on_header_field, "on_header_value": rx.on_header_value,
        "on_header_end": rx.on_header_end, "on_headers_finished": rx.on_headers_finished,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if rx.error is not None:
                raise rx.error
            if any(len(p.buffer) >= _FLUSH_AT for p in rx.pending()) or rx.done_parts:
                await asyncio.to_thread(rx.flush)
        parser.finalize()
        await asyncio.to_thread(rx.flush, True)
        rx.close_all()
    except BaseException as exc:  # a cancelled request too: no partial file stays in scratch
        rx.discard()  # not in a thread: a cancelled task must still remove its files
        if isinstance(exc, (UploadTooLarge, InvalidRequest)) or not isinstance(exc, Exception):
            raise
        if isinstance(exc, OSError):  # the disk, not the client: and its message names a server path
            raise StudioError("the server could not store the upload", code="STORAGE_FAILED", status=507) from exc
        raise InvalidRequest(f"malformed multipart upload: {exc}", code="INVALID_UPLOAD") from exc
    if not rx.files:
        raise InvalidRequest("the upload has no file part", code="INVALID_UPLOAD")
    return rx.files


async def _receive_raw(request: Request, scratch: Path, max_bytes: int, filename: str) -> ReceivedFile:
    received = ReceivedFile(scratch / f"upload-{uuid.uuid4().hex}", filename, "file")
    buffer = bytearray()
    handle = received.path.open("wb")
    try:
        async for chunk in request.stream():
            received.size += len(chunk)
            if received.size > max_bytes:
                raise UploadTooLarge(f"files may be at most {max_bytes} bytes")
            buffer += chunk
            if len(buffer) >= _FLUSH_AT:
                await asyncio.to_thread(handle.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await asyncio.to_thread(handle.write, bytes(buffer))
    except BaseException:
        handle.close()
        received.path.unlink(missing_ok=True)
        raise
    handle.close()
    if received.size == 0:
        received.path.unlink(missing_ok=True)
        raise InvalidRequest("the upload is empty", code="INVALID_UPLOAD")
    return received


async def receive_body(request: Request, scratch: Path, max_bytes: int, filename: str) -> ReceivedFile:
    """The raw request body streamed to a scratch file under ``max_bytes`` (a signed upload's PUT)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise UploadTooLarge(f"this upload may be at most {max_bytes} bytes", details={"max_bytes": max_bytes})
    scratch.mkdir(parents=True, exist_ok=True)
    return await _receive_raw(request, scratch, max_bytes, filename)


def discard(files: list[ReceivedFile]) -> None:
    for f in files:
        with contextlib.suppress(OSError):
            f.path.unlink(missing_ok=True)
