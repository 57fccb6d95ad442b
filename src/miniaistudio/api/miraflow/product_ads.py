"""``/api/mockup/video`` and ``/api/mockup/videos``: 8-second product ad videos from a saved mockup
(``video.product_ad``: the product cut out and filmed in one of nine styled sets), and their list.

Frames are rendered at ``product_ad_short_side`` px (the short side) and ``product_ad_fps``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from ...core.errors import Conflict, NotFound
from ...core.graph import Graph
from ...core.policy import Principal
from ...services.jobs import COMPLETED, JobNotFound, JobRequest, JobView
from ..common.deps import StudioDep
from .deps import Reader, VideoMaker
from .job_status import mockup_status
from .jobs import DIALECT, ID_PREFIX, iso_ms, view_url
from .mockup_schemas import MockupVideoItem, MockupVideoList, ProductAdRequest
from .mockups import LIST_LIMIT
from .operations import MOCKUP, PRODUCT_AD
from .schemas import JobAccepted

router = APIRouter(tags=["product ads"])

AD_SECONDS = 8.0


class MockupNotFound(NotFound):
    code = "MOCKUP_NOT_FOUND"


class MockupNotReady(Conflict):
    code = "MOCKUP_NOT_READY"


def saved_mockup(studio: StudioDep, user: Principal, mockup_id: str) -> JobView:
    """The caller's completed mockup job (another user's, or any other job, is not found)."""
    try:
        job = studio.jobs.get(user, DIALECT, mockup_id)
    except JobNotFound:
        raise MockupNotFound("mockup not found", details={"mockupId": mockup_id[:64]}) from None
    if job.operation != MOCKUP:
        raise MockupNotFound("mockup not found", details={"mockupId": mockup_id[:64]})
    if job.status != COMPLETED or not job.outputs:
        raise MockupNotReady(f"the mockup is {mockup_status(job)}, not completed",
                             details={"mockupId": job.id, "status": mockup_status(job)})
    return job


def ad_graph(mockup_media_id: str, body: ProductAdRequest, short_side: int, fps: int) -> Graph:
    nodes: list[dict[str, Any]] = [
        {"id": "mockup", "type": "upload.image", "position": {"x": 0, "y": 0},
         "params": {"media_ids": [mockup_media_id]}},
        {"id": "ad", "type": "video.product_ad", "position": {"x": 300, "y": 0},
         "params": {"style": body.animationStyle, "user_prompt": body.userPrompt or "",
                    "aspect_ratio": body.aspectRatio, "duration": AD_SECONDS, "short_side": short_side,
                    "fps": fps}}]
    edges = [{"id": "mockup-ad", "source": "mockup", "source_handle": "image", "target": "ad",
              "target_handle": "image"}]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


@router.post("/mockup/video", summary="Start an 8-second product ad video from a saved mockup",
             response_model=JobAccepted)
async def create_ad_video(body: ProductAdRequest, user: VideoMaker, studio: StudioDep) -> JobAccepted:
    mockup = await asyncio.to_thread(saved_mockup, studio, user, body.mockupId)
    settings = studio.settings
    inputs = {**body.model_dump(), "mockupMediaId": mockup.outputs[0]}
    request = JobRequest(dialect=DIALECT, operation=PRODUCT_AD, id_prefix=ID_PREFIX, inputs=inputs,
                         graph=ad_graph(mockup.outputs[0], body, settings.product_ad_short_side,
                                        settings.product_ad_fps), output_node="ad")
    job = await studio.jobs.submit(user, request)
    return JobAccepted(jobId=job.id)


def video_item(job: JobView) -> MockupVideoItem:
    style = str(job.inputs.get("animationStyle", ""))
    return MockupVideoItem(id=job.id, name=f"Product Ad - {style.replace('_', ' ')}", status=mockup_status(job),
                           mockupId=str(job.inputs.get("mockupId", "")),
                           mockupImageUrl=view_url(str(job.inputs.get("mockupMediaId", ""))),
                           aspectRatio=job.inputs.get("aspectRatio", "9:16"), createdAt=iso_ms(job.created_at),
                           progress=job.progress)


@router.get("/mockup/videos", summary="Your product ad videos with their status and progress, newest first",
            response_model=MockupVideoList)
def list_ad_videos(user: Reader, studio: StudioDep) -> MockupVideoList:
    jobs, _ = studio.jobs.list(user, DIALECT, operations=[PRODUCT_AD], limit=LIST_LIMIT)
    return MockupVideoList(videos=[video_item(job) for job in jobs])
