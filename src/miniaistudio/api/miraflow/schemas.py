"""The Miraflow door's public models, with the seed's camelCase field names and literal enums."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from .job_status import MockupStatus, VideoStatus

Result = Literal["success"]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
OptionalPrompt = Annotated[str, StringConstraints(max_length=4000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MediaId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ImageAspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
ThumbnailAspectRatio = Literal["16:9", "9:16"]
AssetType = Literal["logo", "product"]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]


class MiraflowFailure(BaseModel):
    """Every error: the seed's ``{"result": "failure", "error"}`` plus the studio's stable code."""

    result: Literal["failure"]
    error: str
    code: str = Field(description="The studio's stable error code (JOB_NOT_FOUND, MEDIA_NOT_FOUND, ...)")
    message: str
    details: dict[str, object] | None = None


class JobAccepted(BaseModel):
    result: Result = "success"
    jobId: str


# -- media ------------------------------------------------------------------------------------------
class MediaInitialize(BaseModel):
    fileName: Name
    contentType: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    fileSize: Annotated[int, Field(gt=0, description="Size of the file in bytes; the PUT must carry exactly this")]


class MediaInitialized(BaseModel):
    mediaId: str = Field(description="ID to use for finalization and in other API calls")
    uploadUrl: str = Field(description="Signed URL: PUT the bytes there with the same Content-Type, no auth header")


class MediaFinalize(BaseModel):
    mediaId: MediaId


class MediaFinalized(BaseModel):
    success: Literal[True] = True


# -- avatars and voices -------------------------------------------------------------------------------
class AvatarPublic(BaseModel):
    id: str
    name: str
    createdAt: str = Field(description="ISO 8601, UTC, milliseconds: 2024-11-01T05:37:46.194Z")
    voiceId: str
    isPhoto: bool


class AvatarList(BaseModel):
    avatars: list[AvatarPublic]


class AvatarCreate(BaseModel):
    """A user avatar from one of their uploaded photos (one front-facing face)."""

    name: Name
    mediaId: MediaId = Field(description="Media ID of an uploaded photo with exactly one front-facing face")
    voiceId: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="The avatar's default voice (default: the studio's default voice)")


class AvatarCreated(BaseModel):
    result: Result = "success"
    avatar: AvatarPublic


class MiraflowVoicePublic(BaseModel):
    id: str
    name: str
    createdAt: str


class VoiceList(BaseModel):
    """The seed lists voices under ``avatars`` (sic): followed to the letter."""

    avatars: list[MiraflowVoicePublic]


# -- videos (talking avatars; routes live in videos.py) -------------------------------------------------
class VideoJobStatus(BaseModel):
    result: Result = "success"
    status: VideoStatus
    progress: str | None = Field(default=None, description='Progress percentage while inference_working: "45%"')


# -- image jobs --------------------------------------------------------------------------------------
class TextToImageRequest(BaseModel):
    prompt: Prompt = Field(description="Text description of the image to generate")
    name: Name = Field(description="Name for the image generation job")
    aspectRatio: ImageAspectRatio = Field(default="1:1", description="Aspect ratio for the output image")
    negativePrompt: OptionalPrompt | None = Field(default=None, description="Elements to exclude")
    seed: Seed | None = Field(default=None, description="Seed for reproducible results")


class ImageEditRequest(BaseModel):
    referenceImageMediaId: MediaId | None = Field(default=None,
                                                  description="Media ID of the previously uploaded reference image")
    referenceImageMediaIds: list[MediaId] | None = Field(default=None, max_length=8, description=(
        "Several reference images (studio extension; the first is edited, the others guide the prompt)"))
    prompt: Prompt = Field(description="Description of how to edit the image")
    name: Name = Field(description="Name for the image editing job")
    aspectRatio: ImageAspectRatio | None = Field(default=None, description="Aspect ratio for the output image")
    negativePrompt: OptionalPrompt | None = None
    seed: Seed | None = None


class InpaintRequest(BaseModel):
    originalImageMediaId: MediaId = Field(description="Media ID of the previously uploaded original image")
    maskImageMediaId: MediaId = Field(description="Media ID of the mask: white areas are replaced, black kept")
    prompt: Prompt = Field(description="Description of what to replace the masked areas with")
    name: Name = Field(description="Name for the inpainting job")
    aspectRatio: ImageAspectRatio | None = None
    negativePrompt: OptionalPrompt | None = None
    seed: Seed | None = None


class JobProgress(BaseModel):
    """A job still in progress, or failed (``reason``)."""

    result: Result = "success"
    status: MockupStatus
    progress: int
    reason: str | None = None


class ImageResult(BaseModel):
    """A completed image job."""

    id: str
    name: str
    prompt: str
    createdAt: str
    downloadUrl: str = Field(description="A signed, time-limited download link (no auth needed)")
    mediaId: str


# -- mockup-section status (mockups, assets, ad videos) ------------------------------------------------
class MockupJobStatus(BaseModel):
    result: Result = "success"
    status: MockupStatus
    progress: int
    imageUrl: str | None = Field(default=None, description="Available when status is completed")
    mediaId: str | None = Field(default=None, description="Available when status is completed")
    reason: str | None = Field(default=None, description="Error reason when status is failed")


# -- assets ------------------------------------------------------------------------------------------
class AssetGenerateRequest(BaseModel):
    prompt: Prompt = Field(description="Description of the asset to generate")
    type: AssetType = Field(description="Type of asset to generate")


class AssetEditRequest(BaseModel):
    imageMediaId: MediaId | None = Field(default=None, description="Media ID of the image to edit")
    imageBase64: Annotated[str, StringConstraints(max_length=30_000_000)] | None = Field(
        default=None, description="Base64-encoded image data (alternative to imageMediaId)")
    prompt: Prompt = Field(description="Edit instructions")
    type: AssetType = Field(description="Type of asset")


class AssetItem(BaseModel):
    id: str
    type: AssetType
    name: str
    imageUrl: str
    mediaId: str
    createdAt: str


class AssetList(BaseModel):
    result: Result = "success"
    assets: list[AssetItem]


# -- thumbnails --------------------------------------------------------------------------------------
class ThumbnailRequest(BaseModel):
    prompt: Prompt = Field(description="Description of the thumbnail to generate")
    name: Name = Field(description="Name for the thumbnail")
    aspectRatio: ThumbnailAspectRatio = Field(default="16:9", description="16:9 for standard, 9:16 for Shorts")
    referenceImageMediaIds: list[MediaId] = Field(default_factory=list, max_length=4,
                                                  description="Optional media IDs of reference images")
    negativePrompt: OptionalPrompt | None = Field(default=None, description="Elements to avoid")
    seed: Seed | None = Field(default=None, description="Seed for reproducible results")


class ThumbnailItem(BaseModel):
    id: str
    name: str
    prompt: str
    imageUrl: str
    mediaId: str
    aspectRatio: ThumbnailAspectRatio
    createdAt: str


class ThumbnailStatus(BaseModel):
    result: Result = "success"
    status: Literal["waiting", "started", "failed"]
    progress: int
    reason: str | None = Field(default=None, description="Error reason when status is failed (studio extension)")


class ThumbnailDone(ThumbnailItem):
    result: Result = "success"
    downloadUrl: str


class ThumbnailList(BaseModel):
    result: Result = "success"
    thumbnails: list[ThumbnailItem]
    page: int
    totalPages: int
    totalCount: int
