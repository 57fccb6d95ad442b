"""The ``Urls`` port: how a door addresses what the core names only by id.

The core never spells an HTTP path; each door implements this (the v2 one in ``api/v2/urls.py``),
so a compatibility API, signed links or presigned storage URLs can each make their own.
"""

from __future__ import annotations

from typing import Protocol


class Urls(Protocol):
    def media_download(self, media_id: str) -> str:
        """Where a client fetches the bytes of media ``media_id``."""
        ...


class MediaUris:
    """Addresses for an engine no door serves (core tests, tools): ``media:<id>``, not an HTTP path."""

    def media_download(self, media_id: str) -> str:
        return f"media:{media_id}"
