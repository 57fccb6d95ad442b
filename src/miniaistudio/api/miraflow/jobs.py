"""What every Miraflow job shares: the dialect's name on the jobs core, its id form, its timestamps
and the links its answers carry (``imageUrl`` to ``/api/media/{id}/view``, ``downloadUrl`` signed)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from ...studio import Studio
from ..files.urls import SignedMediaUrls

DIALECT = "miraflow"
#: Job ids: ``mf_<hex>``.
ID_PREFIX = "mf"
VIEW_PATH = "/api/media/{}/view"


def iso_ms(moment: datetime) -> str:
    """The seed's timestamps: ISO 8601 in UTC with milliseconds and a ``Z`` (2025-01-07T23:17:06.601Z)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def view_url(media_id: str) -> str:
    """The seed's ``imageUrl``: a path on this door, read with the caller's key."""
    return VIEW_PATH.format(quote(media_id, safe=""))


def download_url(studio: Studio, media_id: str) -> str:
    """A signed, time-limited absolute link that needs no key (the seed's ``downloadUrl``)."""
    return SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url).media_download(media_id)
