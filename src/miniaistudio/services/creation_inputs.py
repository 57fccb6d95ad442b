"""What an app's ``creation`` input accepts, turned into a media id of the caller's gallery.

- an http(s) URL: fetched with the guarded fetcher (``runtimes/media/url_fetch.py``: every
  address checked, non-global ones refused unless ``allow_private_urls``), bounded in size and time;
- a base64 image, as a data URL (``data:image/png;base64,...``) or bare: decoded with a size bound;
- a creation id: a media id the caller may read (``MediaLibrary.get``, access-checked).

Fetched and decoded bytes are identified from their content and measured (pixel limits) by
``MediaLibrary.ingest``, never from a name or a declared type. Every refusal names the input id.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InvalidRequest, StudioError
from ..core.policy import Principal
from ..runtimes.media.url_fetch import fetch_to_file
from .media import MediaLibrary
from .sessions import is_uuid

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$", re.ASCII)
#: Below this many characters a string is neither a URL nor an image (a mistyped id, a word).
MIN_BASE64_CHARS = 16


def invalid_input(input_id: str, message: str, *, cause: str | None = None) -> InvalidRequest:
    """The refusal of one app input: ``INVALID_INPUTS`` with the input id in ``details.errors``."""
    details: dict[str, object] = {"errors": [{"field": input_id, "message": message}]}
    if cause is not None:
        details["cause"] = cause
    return InvalidRequest(f"input {input_id}: {message}", code="INVALID_INPUTS", details=details)


@dataclass(frozen=True)
class ResolvedCreation:
    media_id: str
    created: bool  # fetched or decoded into the gallery by this request (removed if the run is refused)


class CreationInputs:
    def __init__(self, media: MediaLibrary, scratch: Path, *, max_bytes: int, allow_private_urls: bool,
                 fetch_timeout: float) -> None:
        self.media = media
        self.scratch = scratch
        self.max_bytes = max_bytes
        self.allow_private_urls = allow_private_urls
        self.fetch_timeout = fetch_timeout

    def resolve(self, principal: Principal, input_id: str, value: str, kind: str) -> ResolvedCreation:
        """The media id for ``value`` (blocking: call on a worker thread)."""
        text = value.strip()
        if text.lower().startswith(("http://", "https://")):
            return self._fetched(principal, input_id, text, kind)
        if is_uuid(text):
            return ResolvedCreation(self._own(principal, input_id, text, kind), created=False)
        if text.startswith("data:") or (len(text) >= MIN_BASE64_CHARS and _BASE64.match(text[:4096])):
            return self._decoded(principal, input_id, text, kind)
        raise invalid_input(input_id, "expected an image URL, a base64-encoded image or a creation id")

    def _own(self, principal: Principal, input_id: str, media_id: str, kind: str) -> str:
        try:
            row = self.media.get(principal, media_id)
        except StudioError:
            raise invalid_input(input_id, f"creation {media_id} is not in your gallery") from None
        if row.kind != kind:
            raise invalid_input(input_id, f"needs {kind}; creation {media_id} is {row.kind}")
        return row.id

    def _fetched(self, principal: Principal, input_id: str, url: str, kind: str) -> ResolvedCreation:
        dest = self.scratch / f"app-input-{uuid.uuid4().hex}"
        self.scratch.mkdir(parents=True, exist_ok=True)
        try:
            try:
                fetch_to_file(url, dest, max_bytes=self.max_bytes, allow_private=self.allow_private_urls,
                              timeout=self.fetch_timeout)
            except StudioError as exc:
                raise invalid_input(input_id, exc.message, cause=exc.code) from exc
            name = Path(url.split("?")[0].split("#")[0]).name or input_id
            return ResolvedCreation(self._ingest(principal, input_id, dest, name, kind), created=True)
        finally:
            dest.unlink(missing_ok=True)

    def _decoded(self, principal: Principal, input_id: str, text: str, kind: str) -> ResolvedCreation:
        if kind != "image":
            raise invalid_input(input_id, f"a base64 value is accepted for images only; this input takes {kind}")
        match = _DATA_URL.match(text)
        if text.startswith("data:") and match is None:
            raise invalid_input(input_id, "a data URL must read data:<type>;base64,<data>")
        payload = text[match.end():] if match else text
        if len(payload) > (self.max_bytes * 4) // 3 + 4:
            raise invalid_input(input_id, f"the image is larger than {self.max_bytes} bytes")
        try:
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), altchars=b"-_" if "-" in payload
                                    or "_" in payload else None, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_input(input_id, "not valid base64") from None
        self.scratch.mkdir(parents=True, exist_ok=True)
        dest = self.scratch / f"app-input-{uuid.uuid4().hex}"
        try:
            dest.write_bytes(data)
            return ResolvedCreation(self._ingest(principal, input_id, dest, f"{input_id}.upload", kind),
                                    created=True)
        finally:
            dest.unlink(missing_ok=True)

    def _ingest(self, principal: Principal, input_id: str, path: Path, name: str, kind: str) -> str:
        try:
            item = self.media.ingest(principal, path, name, session_id=None, expect_kind=kind)
        except StudioError as exc:
            raise invalid_input(input_id, exc.message, cause=exc.code) from exc
        return item.id
