"""``GET /api/files/media/{media_id}?expires=&signature=``: one media item's bytes for whoever holds
a valid signed link (no auth header; Range requests like the v2 download).

With an S3 media store the answer is a redirect to a presigned GET at the bucket, valid for what is
left of the link's life (at most ``s3_presign_ttl_seconds``), so the bytes need not pass through an
API process; the bucket answers with the sniffed type and the download name, and serves Range."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse

from ...services.media import download_name
from ...services.signed_urls import MAX_SIGNATURE
from ..common.deps import StudioDep
from ..v2.media import MediaFileResponse
from ..v2.schemas import streamed_answer

router = APIRouter(tags=["files"])


@router.get("/media/{media_id}", summary="A media file by signed link (no authentication; supports Range)",
            response_class=FileResponse, response_model=None,
            responses={**streamed_answer("application/octet-stream", "The file's bytes"),
                       307: {"description": "With an S3 media store: a presigned URL at the bucket that "
                                            "serves the bytes (supports Range)"}})
def signed_download(media_id: str, studio: StudioDep,
                    expires: int = Query(ge=0, le=2**62, description="Unix time the link expires"),
                    signature: str = Query(max_length=MAX_SIGNATURE)) -> MediaFileResponse | RedirectResponse:
    studio.signed_urls.check(media_id, expires, signature)
    row = studio.media.by_signed_link(media_id)
    left = expires - int(studio.signed_urls.clock())
    presigned = studio.media.direct_download_url(row, max(1, min(left, studio.settings.s3_presign_ttl_seconds)))
    if presigned is not None:
        return RedirectResponse(presigned, status_code=307, headers={"Cache-Control": "no-store"})
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                                 content_disposition_type="inline",
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, max-age=3600"})
