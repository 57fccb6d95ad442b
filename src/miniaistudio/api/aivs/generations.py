"""``/api/v1/generate/*``, ``/api/v1/generations`` and ``/api/v1/models``: thin routers over the jobs core."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ...core.errors import InvalidRequest
from ...core.policy import ApiScope, Principal
from ...runtimes.media.url_fetch import guard_url
from ...services.jobs import JobRequest
from ..common.deps import RequireScope, StudioDep
from ..files.urls import SignedMediaUrls
from .generation_jobs import (
    DIALECT,
    ID_PREFIX,
    KINDS,
    FormatConverter,
    generation_public,
    image_graph,
    model_public,
    model_type,
    resolve_model,
    text_video_graph,
    video_graph,
    video_model,
)
from .schemas import (
    AivsGenerationAccepted,
    AivsGenerationListPublic,
    AivsGenerationPublic,
    AivsImageRequest,
    AivsModelListPublic,
    AivsVideoRequest,
    GenerationStatus,
    GenerationType,
)

router = APIRouter(tags=["generations"])

Reader = Annotated[Principal, Depends(RequireScope(ApiScope.READ))]
ImageMaker = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_IMAGE))]
VideoMaker = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_VIDEO))]
#: The seed's status words -> our job statuses.
JOB_STATUSES = {"processing": ("queued", "running"), "completed": ("completed",), "failed": ("failed", "canceled")}


def _urls(studio: StudioDep) -> SignedMediaUrls:
    return SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url)


@router.post("/generate/image", summary="Create an AI-generated image from a text prompt",
             response_model=AivsGenerationAccepted)
async def generate_image(body: AivsImageRequest, user: ImageMaker, studio: StudioDep) -> AivsGenerationAccepted:
    ref = body.model or studio.settings.aivs_default_image_model
    info = await asyncio.to_thread(resolve_model, studio.models, ref, "image")
    if body.webhook_url is not None:
        studio.webhooks.rules.check_form(body.webhook_url)
    inputs = {"prompt": body.prompt, "model": ref, "model_id": info.id, "aspect_ratio": body.aspect_ratio,
              "output_format": body.output_format}
    request = JobRequest(dialect=DIALECT, operation="image", id_prefix=ID_PREFIX, inputs=inputs,
                         graph=image_graph(info.id, body.prompt, body.aspect_ratio), output_node="image",
                         webhook_url=body.webhook_url,
                         map_outputs=FormatConverter(studio.media, studio.settings.scratch_dir, body.output_format))
    job = await studio.jobs.submit(user, request)
    public = generation_public(job, _urls(studio))
    return AivsGenerationAccepted(**public.model_dump(include=set(AivsGenerationAccepted.model_fields)))


@router.post("/generate/video", summary="Create an AI-generated video from a text prompt or a first frame",
             response_model=AivsGenerationAccepted)
async def generate_video(body: AivsVideoRequest, user: VideoMaker, studio: StudioDep) -> AivsGenerationAccepted:
    ref, info = await asyncio.to_thread(video_model, studio.models, body.model,
                                        studio.settings.aivs_default_video_model, body.first_frame_image)
    image_model_id: str | None = None
    if body.first_frame_image is None and info.kind == "image_to_video":
        # text to image first: the configured image model, else the first one
        image = await asyncio.to_thread(studio.models.find, studio.settings.aivs_default_image_model)
        image = image if image is not None and model_type(image) == "image" else await asyncio.to_thread(
            studio.models.first_of_kind, KINDS["image"])
        if image is None:
            raise InvalidRequest("a video without first_frame_image needs a text-to-image model; none is installed",
                                 details={"installed": []})
        image_model_id = image.id
    elif body.first_frame_image is not None and body.first_frame_image.startswith(("http://", "https://")):
        guard_url(body.first_frame_image)
    if body.webhook_url is not None:
        studio.webhooks.rules.check_form(body.webhook_url)
    inputs = {"prompt": body.prompt, "model": ref, "model_id": info.id, "aspect_ratio": body.aspect_ratio,
              "duration": body.duration, "first_frame_image": body.first_frame_image}
    if info.kind == "text_to_video":
        graph = text_video_graph(info.id, body.prompt, body.aspect_ratio, body.duration)
    else:
        graph = video_graph(info.id, body.prompt, body.aspect_ratio, body.duration, body.first_frame_image,
                            image_model_id)
    request = JobRequest(dialect=DIALECT, operation="video", id_prefix=ID_PREFIX, inputs=inputs, graph=graph,
                         output_node="video", webhook_url=body.webhook_url)
    job = await studio.jobs.submit(user, request)
    public = generation_public(job, _urls(studio))
    return AivsGenerationAccepted(**public.model_dump(include=set(AivsGenerationAccepted.model_fields)))


@router.get("/generations", summary="Your generations, newest first, with pagination",
            response_model=AivsGenerationListPublic)
def list_generations(
    user: Reader, studio: StudioDep,
    type: GenerationType | None = Query(default=None, description="Filter by type: image or video"),
    status: GenerationStatus | None = Query(default=None, description="Filter by status"),
    limit: int = Query(default=20, ge=1, le=100, description="Number of results (default: 20, max: 100)"),
    offset: int = Query(default=0, ge=0, le=1_000_000_000, description="Pagination offset"),
) -> AivsGenerationListPublic:
    jobs, total = studio.jobs.list(user, DIALECT, operations=[type] if type else None,
                                   statuses=JOB_STATUSES[status] if status else None, limit=limit, offset=offset)
    urls = _urls(studio)
    return AivsGenerationListPublic(data=[generation_public(job, urls) for job in jobs], total=total,
                                    limit=limit, offset=offset)


@router.get("/generations/{generation_id}", summary="One generation, with its output URL when completed",
            response_model=AivsGenerationPublic)
def get_generation(generation_id: str, user: Reader, studio: StudioDep) -> AivsGenerationPublic:
    return generation_public(studio.jobs.get(user, DIALECT, generation_id), _urls(studio))


@router.get("/models", summary="The installed models for image and video generation",
            response_model=AivsModelListPublic)
def list_models(
    user: Reader, studio: StudioDep,
    type: GenerationType | None = Query(default=None, description="Filter by type: image or video"),
) -> AivsModelListPublic:
    kinds = KINDS[type] if type else tuple(k for ks in KINDS.values() for k in ks)
    found = [info for kind in kinds for info in studio.models.models_of_kind(kind) if model_type(info)]
    data = [model_public(info) for info in found]
    return AivsModelListPublic(data=data, total=len(data))
