"""Signed download links: a media id and an expiry, signed with a key derived from the server secret.

What hosted APIs hand out as CDN links: absolute, time-limited, usable without an auth header
(webhook receivers and ``<img>`` tags have none). Possession is the credential, so links carry no
user and are checked in constant time; changing the server secret revokes every link. With the S3
media store a checked link redirects to a presigned GET at the bucket (the files door does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..core.policy import require_signed_link
from .derived_keys import derive_key

#: Longer strings are not ours; they are refused before any work.
MAX_MEDIA_ID = 64
MAX_SIGNATURE = 64


@dataclass(frozen=True)
class SignedLink:
    media_id: str
    expires: int  # unix seconds
    signature: str


class SignedUrls:
    def __init__(self, server_secret: str, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._key = derive_key(server_secret, "signed-media-urls")
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def sign(self, media_id: str, ttl_seconds: int | None = None) -> SignedLink:
        expires = int(self.clock()) + (self.ttl_seconds if ttl_seconds is None else ttl_seconds)
        return SignedLink(media_id, expires, self._signature(media_id, expires))

    def check(self, media_id: str, expires: int, signature: str) -> None:
        """Raise SIGNED_URL_INVALID (tampered, forged, for another media) or SIGNED_URL_EXPIRED."""
        valid = (len(media_id) <= MAX_MEDIA_ID and len(signature) <= MAX_SIGNATURE and 0 <= expires < 2**63
                 and hmac.compare_digest(self._signature(media_id, expires), signature))
        require_signed_link(signature_valid=valid, expired=expires <= self.clock())

    def _signature(self, media_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{media_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
