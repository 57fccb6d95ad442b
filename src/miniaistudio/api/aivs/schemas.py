"""The AI Visual Studio door's public models (requests and answers), as the seed names their fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from ...services.api_keys import MAX_ALLOWLIST_ENTRIES, MAX_NAME_CHARS, MAX_SPEND_CAP, ApiKeyInfo, IssuedKey

Scope = Literal["read", "generate:image", "generate:video", "webhooks"]


class AivsErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, object]


class AivsErrorPublic(BaseModel):
    """Every error: ``{"error": {"code", "message", "details"}}``."""

    error: AivsErrorBody


def _read_only() -> list[Scope]:
    return ["read"]


class AivsKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="Display name for the API key")
    kind: Literal["avs", "stu"] = Field(default="avs", description=(
        "Which API the key is for: avs (avs_live_..., this API) or stu (stu_..., Studii) (studio extension)"))
    scopes: list[Scope] = Field(default_factory=_read_only, max_length=8,
                                description='Permission scopes (default: ["read"])')
    ip_allowlist: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=MAX_ALLOWLIST_ENTRIES,
        description="Allowed IP addresses or CIDR networks, IPv4 or IPv6 (empty: any address)")
    expires_at: datetime | None = Field(default=None, description="Expiration date (ISO 8601)")
    spend_cap: int | None = Field(default=None, ge=0, le=MAX_SPEND_CAP,
                                  description="Most credits the key may spend (studio extension; none: no cap)")
    rate_limit_per_minute: int | None = Field(default=None, ge=1, description=(
        "Requests per minute for this key, at most the studio's limit (studio extension)"))


class AivsKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it; the secret is never shown again")
    kind: str = Field(description="Which door issued it: avs (this API) or mas (the personal key)")
    scopes: list[str]
    ip_allowlist: list[str]
    enabled: bool
    expires_at: datetime | None
    spend_cap: int | None
    spent: int
    rate_limit_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: ApiKeyInfo) -> AivsKeyPublic:
        return cls(id=info.id, name=info.name, prefix=info.prefix, kind=info.kind, scopes=list(info.scopes),
                   ip_allowlist=list(info.ip_allowlist), enabled=info.enabled, expires_at=info.expires_at,
                   spend_cap=info.spend_cap, spent=info.spent, rate_limit_per_minute=info.rate_limit_per_minute,
                   created_at=info.created_at, last_used_at=info.last_used_at, revoked_at=info.revoked_at)


class AivsKeyCreatedPublic(AivsKeyPublic):
    key: str = Field(description="The API key: shown once, store it now")

    @classmethod
    def issued(cls, issued: IssuedKey) -> AivsKeyCreatedPublic:
        return cls(**AivsKeyPublic.of(issued.info).model_dump(), key=issued.secret)


class AivsKeyListPublic(BaseModel):
    data: list[AivsKeyPublic]
    total: int


# -- generations ------------------------------------------------------------------------------------
ImageAspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"]
VideoAspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]
OutputFormat = Literal["webp", "png", "jpg"]
GenerationType = Literal["image", "video"]
GenerationStatus = Literal["processing", "completed", "failed"]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
ModelRef = Annotated[str, StringConstraints(min_length=1, max_length=200)]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class AivsImageRequest(BaseModel):
    prompt: Prompt = Field(description="Text description of the image to generate")
    model: ModelRef | None = Field(default=None, description=(
        "Model ID (default: prunaai/z-image-turbo, configurable). Use GET /api/v1/models to list all available "
        "models."))
    aspect_ratio: ImageAspectRatio = Field(default="1:1", description="Image aspect ratio")
    output_format: OutputFormat = Field(default="webp", description="Output image format (default: webp)")
    webhook_url: WebhookUrl | None = Field(default=None,
                                           description="URL to receive a webhook when generation completes")


class AivsVideoRequest(BaseModel):
    prompt: Prompt = Field(description="Text description of the video to generate")
    model: ModelRef | None = Field(default=None, description=(
        "Model ID (default: minimax/hailuo-2.3-fast, configurable). Use GET /api/v1/models?type=video to list all "
        "available models."))
    aspect_ratio: VideoAspectRatio = Field(default="16:9", description="Video aspect ratio (default: 16:9)")
    duration: int = Field(default=5, ge=1, le=10, description="Video duration in seconds, 1-10 (default: 5)")
    first_frame_image: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = Field(
        default=None, description="Source image URL (or a media id of yours) for image-to-video generation")
    webhook_url: WebhookUrl | None = Field(default=None,
                                           description="URL to receive a webhook when generation completes")


class AivsGenerationAccepted(BaseModel):
    """The answer to a generation request (the seed's example, field for field)."""

    id: str = Field(description="gen_...")
    status: GenerationStatus
    prompt: str
    model: str
    type: GenerationType
    credits_charged: int
    created_at: str = Field(description="ISO 8601, UTC: 2025-01-09T12:00:00Z")


class AivsGenerationError(BaseModel):
    code: str
    message: str


class AivsGenerationPublic(AivsGenerationAccepted):
    output_url: str | None = Field(description="A signed, time-limited download link (no auth needed)")
    output_format: str | None
    completed_at: str | None
    error: AivsGenerationError | None


class AivsGenerationListPublic(BaseModel):
    data: list[AivsGenerationPublic]
    total: int
    limit: int
    offset: int


class AivsModelPublic(BaseModel):
    id: str
    name: str
    type: GenerationType
    credits_per_generation: int
    description: str
    category: str


class AivsModelListPublic(BaseModel):
    data: list[AivsModelPublic]
    total: int
