"""``/api/media/...``: the caller's media by id. ``initialize``/``finalize`` (direct uploads) come with
the studio's signed-upload seam (``services/signed_uploads.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ...services.media import download_name
from ..common.deps import StudioDep
from ..v2.media import MediaFileResponse
from ..v2.schemas import streamed_answer
from .deps import Reader

router = APIRouter(tags=["media"])


@router.get("/media/{mediaId}/view", summary="View one of your media (the imageUrl of every answer)",
            response_class=FileResponse, responses=streamed_answer("application/octet-stream", "The file's bytes"))
def view_media(mediaId: str, user: Reader, studio: StudioDep) -> MediaFileResponse:
    row = studio.media.get(user, mediaId)
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                                 content_disposition_type="inline",
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, max-age=3600"})
