"""``GET /api/avatars`` (stock avatars, then the caller's own) and ``POST /api/avatar/create``: an avatar
from one of the caller's photos (a media id, or a multipart ``photo`` file) with exactly one
front-facing face."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from ...core.errors import InvalidRequest
from ...core.policy import Principal
from ...runtimes.creative.portrait_check import NO_FACE_FOUND, PortraitRefused
from ...services.miraflow_avatars import Avatar, MiraflowAvatars
from ...studio import Studio
from ..common.deps import StudioDep
from .bodies import documented, read_body
from .deps import ImageMaker, Reader
from .jobs import iso_ms
from .schemas import AvatarCreate, AvatarCreated, AvatarList, AvatarPublic

#: This door's codes for the studio's portrait refusals (``runtimes/creative/portrait_check.py``) where
#: they differ: the others (MULTIPLE_FACES, FACE_NOT_FRONTAL, FACE_TOO_SMALL) are the same words.
PORTRAIT_CODES = {NO_FACE_FOUND: "NO_FACE"}

router = APIRouter(tags=["avatars"])

#: A multipart avatar request may send its photo as a file in this part.
PHOTO_FILES = {"photo": "mediaId", "image": "mediaId"}


def avatars_of(studio: Studio) -> MiraflowAvatars:
    return MiraflowAvatars(studio.db, studio.media, studio.model_host.cache)


def avatar_public(avatar: Avatar) -> AvatarPublic:
    return AvatarPublic(id=avatar.id, name=avatar.name, createdAt=iso_ms(avatar.created_at), voiceId=avatar.voice_id,
                        isPhoto=avatar.is_photo)


@router.get("/avatars", summary="List avatars: the stock ones and yours", response_model=AvatarList)
def list_avatars(user: Reader, studio: StudioDep) -> AvatarList:
    return AvatarList(avatars=[avatar_public(a) for a in avatars_of(studio).list(user)])


def _known_voice(studio: Studio, voice_id: str) -> None:
    if voice_id not in {voice.id for voice in studio.voices.voices().voices}:
        raise InvalidRequest(f"unknown voice {voice_id[:200]!r}; GET /api/voices lists them", code="VOICE_NOT_FOUND",
                             details={"errors": [{"field": "body.voiceId", "message": "unknown voice"}]})


def _create(studio: Studio, user: Principal, body: AvatarCreate) -> Avatar:
    if body.voiceId is not None:
        _known_voice(studio, body.voiceId)
    try:
        return avatars_of(studio).create(user, body.name, body.mediaId, body.voiceId)
    except PortraitRefused as refused:  # the studio's portrait codes, in this door's words
        raise InvalidRequest(refused.message, code=PORTRAIT_CODES.get(refused.code, refused.code),
                             details=refused.details) from None


@router.post("/avatar/create", summary="Create an avatar from your photo (exactly one front-facing face)",
             response_model=AvatarCreated,
             openapi_extra=documented(AvatarCreate, files="or the photo as a file part 'photo'"))
async def create_avatar(request: Request, user: ImageMaker, studio: StudioDep) -> AvatarCreated:
    body, uploaded = await read_body(request, AvatarCreate, user, studio, file_fields=PHOTO_FILES)
    try:
        avatar = await asyncio.to_thread(_create, studio, user, body)
    except BaseException:
        await asyncio.to_thread(studio.media.discard, user, [u.media_id for u in uploaded])
        raise
    return AvatarCreated(avatar=avatar_public(avatar))
