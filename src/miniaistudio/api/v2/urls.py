"""The v2 door's addresses (the core's ``Urls`` port): the only place a v2 media URL is spelled."""

from __future__ import annotations


class V2Urls:
    def media_download(self, media_id: str) -> str:
        return f"/api/v2/media/{media_id}/download"


V2_URLS = V2Urls()
