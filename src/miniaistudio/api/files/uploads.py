"""``PUT /api/files/upload?token=...``: the bytes of a signed upload (``services/signed_uploads.py``).

No auth header: the signed token is the credential (the way S3 presigned PUTs work), so the path is
public to the perimeter's early authentication and cross-site guard. The same Content-Type as
declared is required; the body streams to disk under the studio's upload limit and the declared
size, is sniffed, and becomes a media row of the upload's owner. Every refusal keeps nothing.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ...core.errors import UploadTypeMismatch
from ...services.media import normalized_mime
from ...services.signed_uploads import MAX_TOKEN
from ..common.deps import StudioDep
from ..common.uploads import discard, receive_body

PATH = "/upload"

router = APIRouter(tags=["files"])


class SignedUploadDonePublic(BaseModel):
    object_key: str = Field(description="The object key to pass as source_object_key")
    content_type: str
    size_bytes: int


@router.put(PATH, response_model=SignedUploadDonePublic,
            summary="Upload the bytes of a signed upload (no authentication; the token is the credential)",
            description="Send the same Content-Type as declared. One PUT per upload URL; expired, tampered or "
                        "used URLs, another type, or bytes of another type than declared are refused and "
                        "nothing is kept.")
async def put_signed_upload(request: Request, studio: StudioDep,
                            token: str = Query(max_length=MAX_TOKEN)) -> SignedUploadDonePublic:
    uploads = studio.signed_uploads
    ticket = await asyncio.to_thread(uploads.check, token)
    sent = normalized_mime(request.headers.get("content-type", ""))
    if sent != ticket.content_type:
        raise UploadTypeMismatch(f"Content-Type must be {ticket.content_type}, as declared "
                                 f"(got {sent[:100] or 'none'})",
                                 details={"declared": ticket.content_type, "sent": sent[:100]})
    await asyncio.to_thread(uploads.claim, ticket)
    limit = studio.settings.max_upload_bytes
    if ticket.declared_size is not None:
        limit = min(limit, ticket.declared_size)
    try:
        received = await receive_body(request, studio.settings.scratch_dir, limit, ticket.filename)
        try:
            item = await asyncio.to_thread(uploads.finish, ticket, received.path)
        finally:
            discard([received])
    except BaseException:
        await asyncio.to_thread(uploads.release, ticket)
        raise
    return SignedUploadDonePublic(object_key=ticket.object_key, content_type=item.mime, size_bytes=item.size_bytes)
