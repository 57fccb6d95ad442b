"""``/api/media/...``: direct uploads (``initialize`` → PUT to the signed ``uploadUrl`` → ``finalize``, on
the studio's signed-upload seam, ``services/signed_uploads.py``) and the caller's media by id."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ...services.media import download_name
from ..common.deps import StudioDep
from ..files import UPLOAD_PATH
from ..v2.media import MediaFileResponse
from ..v2.schemas import streamed_answer
from .deps import ImageMaker, Reader
from .schemas import MediaFinalize, MediaFinalized, MediaInitialize, MediaInitialized

router = APIRouter(tags=["media"])


@router.post("/media/initialize", response_model=MediaInitialized,
             summary="Start an upload: a media id and a signed URL to PUT the file to")
async def initialize_upload(body: MediaInitialize, caller: ImageMaker, studio: StudioDep) -> MediaInitialized:
    created = await asyncio.to_thread(studio.signed_uploads.create, caller, filename=body.fileName,
                                      content_type=body.contentType, declared_size=body.fileSize, finalize=True)
    base = studio.settings.resolved_public_url.rstrip("/")
    # a presigned PUT straight at the media store (S3) when it has them, else the studio's own route
    url = created.direct_url or f"{base}{UPLOAD_PATH}?token={quote(created.token, safe='')}"
    return MediaInitialized(mediaId=created.upload_id,
                            uploadUrl=url)


@router.post("/media/finalize", response_model=MediaFinalized,
             summary="Finish an upload: checks the file arrived with the declared size and type")
async def finalize_upload(body: MediaFinalize, caller: ImageMaker, studio: StudioDep) -> MediaFinalized:
    await asyncio.to_thread(studio.signed_uploads.finalize, caller, body.mediaId)
    return MediaFinalized()


@router.get("/media/{mediaId}/view", summary="View one of your media (the imageUrl of every answer)",
            response_class=FileResponse, responses=streamed_answer("application/octet-stream", "The file's bytes"))
def view_media(mediaId: str, user: Reader, studio: StudioDep) -> MediaFileResponse:
    row = studio.media.get(user, mediaId)
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                                 content_disposition_type="inline",
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, max-age=3600"})
