"""Public models of the Miraflow mockup and product-ad endpoints, in the seed's camelCase words."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from .job_status import MockupStatus
from .schemas import MediaId, OptionalPrompt, Prompt, Result

AnimationStyle = Literal["luxury_macro", "neo_noir_night", "warm_lifestyle_sunset", "futuristic_clean_studio",
                         "cyberpunk_showcase", "film_35mm_editorial", "high_fashion_runway", "nature_premium",
                         "custom"]
AdAspectRatio = Literal["16:9", "9:16"]
MAX_LOGOS = 16


class LayerPlacement(BaseModel):
    """Where one logo goes: its centre in percent of the product image, its scale (1 = a quarter of the
    product's width) and its clockwise rotation in degrees."""

    assetId: str = Field(default="", max_length=64,
                         description="One of logoMediaIds; any other value takes the logo of the same position")
    x: float = Field(default=50.0, ge=-50.0, le=150.0, description="Logo centre, % of the product's width")
    y: float = Field(default=50.0, ge=-50.0, le=150.0, description="Logo centre, % of the product's height")
    scale: float = Field(default=1.0, gt=0.0, le=8.0, description="1 = a quarter of the product's width")
    rotation: float = Field(default=0.0, ge=-360.0, le=360.0, description="Degrees, clockwise")


class MockupGenerateRequest(BaseModel):
    productMediaId: MediaId = Field(description="Media ID of the product image")
    logoMediaIds: list[MediaId] = Field(default_factory=list, max_length=MAX_LOGOS,
                                        description="Media IDs of the logo images to composite")
    layers: list[LayerPlacement] = Field(default_factory=list, max_length=MAX_LOGOS,
                                         description="Placement of each logo; none = each logo centred")
    instruction: Prompt = Field(description="Instructions for mockup generation")


class MockupGenerated(BaseModel):
    """The saved mockup: ``jobId`` is also its ``mockupId``. ``imageUrl``/``mediaId`` are null only when
    the mockup was not finished within the request (poll ``/api/mockup/{jobId}/status``)."""

    result: Result = "success"
    jobId: str
    imageUrl: str | None
    mediaId: str | None


class MockupItem(BaseModel):
    id: str
    imageUrl: str
    prompt: str
    createdAt: str


class MockupList(BaseModel):
    result: Result = "success"
    mockups: list[MockupItem]


class ProductAdRequest(BaseModel):
    mockupId: str = Field(min_length=1, max_length=64, description="ID of the saved mockup")
    animationStyle: AnimationStyle = Field(description="Animation style preset")
    userPrompt: OptionalPrompt | None = Field(
        default=None, description="Optional custom prompt (required if animationStyle is 'custom')")
    aspectRatio: AdAspectRatio = Field(default="9:16", description="Video aspect ratio")

    @model_validator(mode="after")
    def _custom_needs_a_prompt(self) -> ProductAdRequest:
        if self.animationStyle == "custom" and not (self.userPrompt or "").strip():
            raise ValueError("userPrompt is required when animationStyle is 'custom'")
        return self


class MockupVideoItem(BaseModel):
    id: str
    name: str
    status: MockupStatus
    mockupId: str
    mockupImageUrl: str
    aspectRatio: AdAspectRatio
    createdAt: str
    progress: int


class MockupVideoList(BaseModel):
    result: Result = "success"
    videos: list[MockupVideoItem]
