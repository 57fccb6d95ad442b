"""``GET /api/files/media/{media_id}?expires=&signature=``: one media item's bytes for whoever holds
a valid signed link (no auth header; Range requests like the v2 download)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ...services.media import download_name
from ...services.signed_urls import MAX_SIGNATURE
from ..common.deps import StudioDep
from ..v2.media import MediaFileResponse
from ..v2.schemas import streamed_answer

router = APIRouter(tags=["files"])


@router.get("/media/{media_id}", summary="A media file by signed link (no authentication; supports Range)",
            response_class=FileResponse, responses=streamed_answer("application/octet-stream", "The file's bytes"))
def signed_download(media_id: str, studio: StudioDep,
                    expires: int = Query(ge=0, le=2**62, description="Unix time the link expires"),
                    signature: str = Query(max_length=MAX_SIGNATURE)) -> MediaFileResponse:
    studio.signed_urls.check(media_id, expires, signature)
    row = studio.media.by_signed_link(media_id)
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                                 content_disposition_type="inline",
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, max-age=3600"})
