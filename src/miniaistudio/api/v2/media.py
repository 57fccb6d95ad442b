"""Media: uploads (UploadStudioFile), the gallery by session, downloads and zips."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable
from starlette.types import Receive, Scope, Send

from ...core.policy import Action
from ...services.media import download_name, media_item
from ..common.deps import CurrentUser, StudioDep
from ..common.uploads import discard, receive_files
from .credentials_schemas import ContentCredentialsPublic
from .errors import error_body
from .schemas import (
    MediaGroupPublic,
    MediaPagePublic,
    MediaPublic,
    MediaRemovedPublic,
    MediaUploadPublic,
    streamed_answer,
)
from .urls import V2_URLS

router = APIRouter(tags=["media"])


class MediaFileResponse(FileResponse):
    """A FileResponse whose Range errors answer ``{code, message}`` like every other error."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        http_range = headers.get("range")
        if http_range is not None and "if-range" not in headers and scope.get("method") in ("GET", "HEAD"):
            try:
                self._parse_range_header(http_range, os.stat(self.path).st_size)
            except MalformedRangeHeader as exc:
                reply = JSONResponse(error_body("INVALID_RANGE", str(exc.content) or "malformed Range header"),
                                     status_code=400)
                return await reply(scope, receive, send)
            except RangeNotSatisfiable as exc:
                reply = JSONResponse(error_body("RANGE_NOT_SATISFIABLE", "the range is outside the file"),
                                     status_code=416, headers={"Content-Range": f"bytes */{exc.max_size}"})
                return await reply(scope, receive, send)
        await super().__call__(scope, receive, send)

MediaType = Literal["image", "video", "audio"]


@router.post("/media/upload", status_code=201,
             summary="Upload files (multipart 'file' parts, or a raw body with X-Filename)",
             response_model=MediaUploadPublic, response_model_exclude_unset=True)
async def upload(
    request: Request, user: CurrentUser, studio: StudioDep,
    session_id: str | None = Query(default=None, description="Defaults to the X-Session-ID header"),
    node_id: str | None = Query(default=None, max_length=100),
    kind: MediaType | None = Query(default=None, description="Refuse files of another kind"),
) -> MediaUploadPublic:
    sid = session_id or request.headers.get("x-session-id")
    if sid:  # check access before accepting a byte
        await asyncio.to_thread(studio.sessions.load, user, sid, Action.EDIT)
    files = await receive_files(request, studio.settings.scratch_dir, studio.settings.max_upload_bytes)
    try:
        items = await asyncio.to_thread(
            studio.media.ingest_many, user, [(f.path, f.filename) for f in files], session_id=sid,
            node_id=node_id, expect_kind=kind)
    finally:
        discard(files)  # what was kept has been moved into the store
    return MediaUploadPublic.of(items, V2_URLS)


@router.get("/media", summary="Your media grouped by session, newest first",
            response_model=MediaPagePublic, response_model_exclude_unset=True)
def list_media(
    user: CurrentUser, studio: StudioDep,
    media_type: MediaType | None = None,
    page: int = Query(default=1, ge=1, le=100_000),
    page_size: int = Query(default=50, ge=1, le=500),
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    include_shared: bool = False,
) -> MediaPagePublic:
    found = studio.media.list_grouped(user, media_type=media_type, page=page, page_size=page_size,
                                      date_from=date_from, date_to=date_to, include_shared=include_shared)
    return MediaPagePublic.of(found, V2_URLS)


@router.get("/media/sessions/{session_id}", summary="All media of one accessible session",
            response_model=MediaGroupPublic, response_model_exclude_unset=True)
def list_session_media(session_id: str, user: CurrentUser, studio: StudioDep,
                       media_type: MediaType | None = None) -> MediaGroupPublic:
    return MediaGroupPublic.of(studio.media.list_session(user, session_id, media_type), V2_URLS)


class ZipRequest(BaseModel):
    ids: list[str] = Field(default_factory=list, max_length=1000)


@router.post("/media/download-zip", summary="Download selected media as a zip archive", response_class=FileResponse,
             responses=streamed_answer("application/zip", "The zip archive"))
async def download_zip(body: ZipRequest, user: CurrentUser, studio: StudioDep) -> FileResponse:
    dest = studio.settings.scratch_dir / f"zip-{uuid.uuid4().hex}.zip"
    try:
        await asyncio.to_thread(studio.media.build_zip, user, body.ids, dest)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return FileResponse(dest, media_type="application/zip", filename="media.zip",
                        headers={"X-Content-Type-Options": "nosniff"},
                        background=BackgroundTask(dest.unlink, missing_ok=True))


@router.get("/media/{media_id}", summary="One media item's record",
            response_model=MediaPublic, response_model_exclude_unset=True)
def get_media(media_id: str, user: CurrentUser, studio: StudioDep) -> MediaPublic:
    return MediaPublic.of(media_item(studio.media.get(user, media_id)), V2_URLS)


@router.delete("/media/{media_id}", summary="Delete one media item and its file (its maker or a session editor)",
               response_model=MediaRemovedPublic, response_model_exclude_unset=True)
def delete_media(media_id: str, user: CurrentUser, studio: StudioDep) -> MediaRemovedPublic:
    return MediaRemovedPublic(removed=MediaPublic.of(studio.media.remove(user, media_id), V2_URLS))


@router.get("/media/{media_id}/download", summary="The file itself (supports Range requests)",
            response_class=FileResponse, responses=streamed_answer("application/octet-stream", "The file's bytes"))
def download(media_id: str, user: CurrentUser, studio: StudioDep,
             inline: bool = Query(default=True)) -> MediaFileResponse:
    row = studio.media.get(user, media_id)
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                            content_disposition_type="inline" if inline else "attachment",
                            headers={"X-Content-Type-Options": "nosniff",
                                     "Cache-Control": "private, max-age=3600"})


@router.get("/media/{media_id}/credentials", summary="The file's C2PA Content Credentials and whether they verify",
            response_model=ContentCredentialsPublic)
def credentials(media_id: str, user: CurrentUser, studio: StudioDep) -> ContentCredentialsPublic:
    # a sync route: reading and hashing the file runs on a worker thread, off the event loop
    return ContentCredentialsPublic.of(media_id, studio.content_signing.of_media(studio.media, user, media_id))
