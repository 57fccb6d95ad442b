"""``/api/thumbnail/*``: video thumbnails from a prompt and optional reference photos, made by the
``image.thumbnail`` layout node (a CPU engine); when a text-to-image model is installed, a generated
scene from the prompt goes behind the subjects. ``GET /api/thumbnails?page=`` lists the finished ones."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Query

from ...core.graph import Graph
from ...services.jobs import COMPLETED, QUEUED, JobNotFound, JobRequest, JobView
from ...studio import Studio
from ..common.deps import StudioDep
from .bodies import require_media
from .deps import ImageMaker, Reader
from .job_status import failure_reason
from .jobs import DIALECT, ID_PREFIX, download_url, iso_ms, view_url
from .schemas import JobAccepted, ThumbnailDone, ThumbnailItem, ThumbnailList, ThumbnailRequest, ThumbnailStatus

router = APIRouter(tags=["thumbnails"])

OPERATION = "thumbnail"
PAGE_SIZE = 20


def thumbnail_graph(body: ThumbnailRequest, scene_model: str | None) -> Graph:
    nodes: list[dict[str, Any]] = [{"id": "thumbnail", "type": "image.thumbnail", "position": {"x": 300, "y": 0},
                                    "params": {"prompt": body.prompt, "aspect_ratio": body.aspectRatio,
                                               "reference_media_ids": body.referenceImageMediaIds,
                                               "seed": body.seed or 0}}]
    edges: list[dict[str, Any]] = []
    if scene_model is not None:
        nodes.append({"id": "scene", "type": "image.generate", "position": {"x": 0, "y": 0}, "params": {
            "model": scene_model, "prompt": body.prompt, "negative_prompt": body.negativePrompt or "",
            "seed": -1 if body.seed is None else body.seed, "aspect_ratio": body.aspectRatio}})
        edges.append({"id": "scene-thumbnail", "source": "scene", "source_handle": "image", "target": "thumbnail",
                      "target_handle": "scene"})
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def _scene_model(studio: Studio) -> str | None:
    info = studio.models.first_of_kind(("text_to_image",))
    return info.id if info is not None else None


@router.post("/thumbnail/generate", summary="Start a thumbnail job (prompt, optional reference images)",
             response_model=JobAccepted)
async def generate_thumbnail(body: ThumbnailRequest, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    await require_media(studio, user, body.referenceImageMediaIds)
    scene_model = await asyncio.to_thread(_scene_model, studio)
    request = JobRequest(dialect=DIALECT, operation=OPERATION, id_prefix=ID_PREFIX, inputs=body.model_dump(),
                         graph=thumbnail_graph(body, scene_model), output_node="thumbnail")
    job = await studio.jobs.submit(user, request)
    return JobAccepted(jobId=job.id)


def thumbnail_item(job: JobView) -> ThumbnailItem:
    media_id = job.outputs[0]
    return ThumbnailItem(id=job.id, name=str(job.inputs.get("name", "")), prompt=str(job.inputs.get("prompt", "")),
                         imageUrl=view_url(media_id), mediaId=media_id,
                         aspectRatio=job.inputs.get("aspectRatio", "16:9"), createdAt=iso_ms(job.created_at))


@router.get("/thumbnail/{jobId}", summary="A thumbnail job's status, or the thumbnail once completed",
            response_model=ThumbnailDone | ThumbnailStatus)
def get_thumbnail(jobId: str, user: Reader, studio: StudioDep) -> ThumbnailDone | ThumbnailStatus:
    job = studio.jobs.get(user, DIALECT, jobId)
    if job.operation != OPERATION:
        raise JobNotFound("thumbnail job not found")
    if job.status == COMPLETED and job.outputs:
        item = thumbnail_item(job)
        return ThumbnailDone(**item.model_dump(), downloadUrl=download_url(studio, item.mediaId))
    reason = failure_reason(job)
    status = "failed" if reason is not None else "waiting" if job.status == QUEUED else "started"
    return ThumbnailStatus(status=status, progress=job.progress, reason=reason)


@router.get("/thumbnails", summary="Your thumbnails, newest first, 20 a page", response_model=ThumbnailList)
def list_thumbnails(user: Reader, studio: StudioDep,
                    page: int = Query(default=1, ge=1, le=1_000_000, description="Page number")) -> ThumbnailList:
    jobs, total = studio.jobs.list(user, DIALECT, operations=[OPERATION], statuses=[COMPLETED], limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE)
    return ThumbnailList(thumbnails=[thumbnail_item(job) for job in jobs if job.outputs], page=page,
                         totalPages=math.ceil(total / PAGE_SIZE), totalCount=total)
