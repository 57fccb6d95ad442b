"""The Studii door's public models, as its seed names their fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ...services.signed_uploads import MAX_FILENAME, MAX_OBJECT_KEY

ToolSlug = Literal["studio", "virtual-staging", "photo-restore", "product-background", "career-photo"]


class StudiiErrorPublic(BaseModel):
    """Every error: ``{"error": "<what went wrong, naming the fields>", "code": "<stable code>"}``."""

    error: str
    code: str


class StudiiJobCreate(BaseModel):
    tool: str = Field(max_length=64, description="One of studio, virtual-staging, photo-restore, "
                                                 "product-background, career-photo")
    inputs: dict[str, Any] = Field(default_factory=dict, description="The tool's inputs")
    source_object_key: str | None = Field(default=None, max_length=MAX_OBJECT_KEY,
                                          description="An uploaded object (POST /api/v1/uploads)")


class StudiiJobAccepted(BaseModel):
    id: str
    status: Literal["queued", "failed"]
    status_url: str = Field(description="Poll it (GET) until status is completed or failed")
    credits_charged: int


class StudiiJobPublic(BaseModel):
    id: str
    status: Literal["queued", "running", "completed", "failed"]
    output_url: str | None = Field(description="A signed download link once completed")
    output_kind: Literal["image", "video", "audio"] | None
    tool: str
    error: str | None
    created_at: str
    completed_at: str | None
    credits_charged: int


class StudiiUploadCreate(BaseModel):
    filename: str = Field(min_length=1, max_length=MAX_FILENAME)
    content_type: str = Field(min_length=1, max_length=100, description="e.g. image/jpeg; the PUT must send it")
    file_size: int | None = Field(default=None, ge=1, le=2**53,
                                  description="Bytes the file will have (studio extension; a larger PUT is refused)")


class StudiiUploadPublic(BaseModel):
    object_key: str
    signed_url: str = Field(description="PUT the bytes here, with the same Content-Type and no auth header")
    token: str
    expires_in: int = Field(description="Seconds the signed URL stays valid")
