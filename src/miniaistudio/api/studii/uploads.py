"""``POST /api/v1/uploads``: a signed URL to PUT a source image to (``services/signed_uploads.py``)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends

from ...core.policy import ApiScope, Principal
from ..common.deps import RequireScope, StudioDep
from ..files import UPLOAD_PATH
from .schemas import StudiiUploadCreate, StudiiUploadPublic

router = APIRouter(tags=["uploads"])
Uploader = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_IMAGE))]


@router.post("/uploads", response_model=StudiiUploadPublic,
             summary="Request a signed URL for a source image (PUT the bytes there, then pass object_key)")
async def create_upload(body: StudiiUploadCreate, caller: Uploader, studio: StudioDep) -> StudiiUploadPublic:
    created = await asyncio.to_thread(studio.signed_uploads.create, caller, filename=body.filename,
                                      content_type=body.content_type, declared_size=body.file_size)
    base = studio.settings.resolved_public_url.rstrip("/")
    # a presigned PUT straight at the media store (S3) when it has them, else the studio's own route
    url = created.direct_url or f"{base}{UPLOAD_PATH}?token={quote(created.token, safe='')}"
    return StudiiUploadPublic(object_key=created.object_key, token=created.token, expires_in=created.expires_in,
                              signed_url=url)
