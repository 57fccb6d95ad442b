"""Signed absolute links as a ``Urls`` port (``core/urls.py``): a dialect door hands these out as
output URLs; with the S3 media store the link redirects to a presigned GET (``downloads.py``)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ...services.signed_urls import SignedUrls

PATH = "/api/files/media/"


class SignedMediaUrls:
    def __init__(self, signer: SignedUrls, base_url: str) -> None:
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def media_download(self, media_id: str) -> str:
        link = self.signer.sign(media_id)
        query = urlencode({"expires": link.expires, "signature": link.signature})
        return f"{self.base_url}{PATH}{quote(media_id, safe='')}?{query}"
