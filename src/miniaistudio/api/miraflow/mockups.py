"""``/api/mockup/...``: product mockups (logos composited onto a product photo by
``image.mockup_composite``), the saved mockups, and the status of any job of the mockup section.

A mockup is a job of operation ``mockup.generate``; its job id is the ``mockupId`` the ad videos take.
The compositor takes a fraction of a second, so ``generate`` waits for it (up to
:data:`MOCKUP_WAIT_SECONDS`) and answers the seed's ``imageUrl`` and ``mediaId`` at once.

With an image-edit model installed (instruct-pix2pix style), an ``image.edit`` node follows the
compositor and refines the composite by the request's ``instruction`` (lightly: :data:`REFINE_STRENGTH`,
a fixed seed); without one the classical composite is the mockup."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter

from ...core.errors import NodeFailed
from ...core.graph import Graph
from ...services.jobs import ACTIVE, COMPLETED, JobRequest, JobView
from ..common.deps import StudioDep
from .bodies import require_media
from .deps import ImageMaker, Reader
from .jobs import DIALECT, ID_PREFIX, iso_ms, view_url
from .mockup_schemas import MockupGenerated, MockupGenerateRequest, MockupItem, MockupList
from .operations import MOCKUP

router = APIRouter(tags=["mockups"])

MOCKUP_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.1
LIST_LIMIT = 200
REFINE_STRENGTH = 0.35
REFINE_SEED = 0


def _node(node_id: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def mockup_graph(body: MockupGenerateRequest, edit_model: str | None) -> Graph:
    """Product -> compositor (-> the edit model's refinement when one is installed)."""
    layers = [{"asset_id": layer.assetId, "x": layer.x, "y": layer.y, "scale": layer.scale,
               "rotation": layer.rotation} for layer in body.layers]
    nodes = [_node("product", "upload.image", 0, media_ids=[body.productMediaId]),
             _node("mockup", "image.mockup_composite", 300, logo_media_ids=body.logoMediaIds, layers=layers,
                   instruction=body.instruction)]
    edges = [{"id": "product-mockup", "source": "product", "source_handle": "image", "target": "mockup",
              "target_handle": "product"}]
    if edit_model is not None:
        nodes.append(_node("refined", "image.edit", 600, model=edit_model, instruction=body.instruction,
                           strength=REFINE_STRENGTH, seed=REFINE_SEED))
        edges.append({"id": "mockup-refined", "source": "mockup", "source_handle": "image", "target": "refined",
                      "target_handle": "image"})
    return Graph.model_validate({"nodes": nodes, "edges": edges})


async def finished(studio: StudioDep, user: Any, job: JobView, seconds: float) -> JobView:
    """The job once it ended, or as it is after ``seconds``."""
    deadline = time.monotonic() + seconds
    while job.status in ACTIVE and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        job = await asyncio.to_thread(studio.jobs.get, user, DIALECT, job.id)
    return job


@router.post("/mockup/generate", summary="Composite logos onto a product image; saved as a mockup",
             response_model=MockupGenerated)
async def generate_mockup(body: MockupGenerateRequest, user: ImageMaker, studio: StudioDep) -> MockupGenerated:
    if not body.logoMediaIds:
        raise NodeFailed("send at least one logo in logoMediaIds", code="NO_LOGO",
                         details={"errors": [{"field": "body.logoMediaIds", "message": "required"}]})
    await require_media(studio, user, [body.productMediaId, *body.logoMediaIds])
    edit_models = await asyncio.to_thread(studio.models.models_of_kind, "image_edit")
    edit_model = edit_models[0].id if edit_models else None
    request = JobRequest(dialect=DIALECT, operation=MOCKUP, id_prefix=ID_PREFIX, inputs=body.model_dump(),
                         graph=mockup_graph(body, edit_model), output_node="refined" if edit_model else "mockup")
    job = await finished(studio, user, await studio.jobs.submit(user, request), MOCKUP_WAIT_SECONDS)
    if job.status == COMPLETED and job.outputs:
        media_id = job.outputs[0]
        return MockupGenerated(jobId=job.id, imageUrl=view_url(media_id), mediaId=media_id)
    if job.status in ACTIVE:
        return MockupGenerated(jobId=job.id, imageUrl=None, mediaId=None)
    error = job.error or {}
    raise NodeFailed(str(error.get("message") or "the mockup failed"), code=str(error.get("code") or "JOB_FAILED"),
                     details={"jobId": job.id})


@router.get("/mockup/mockups", summary="Your saved product mockups, newest first", response_model=MockupList)
def list_mockups(user: Reader, studio: StudioDep) -> MockupList:
    jobs, _ = studio.jobs.list(user, DIALECT, operations=[MOCKUP], statuses=[COMPLETED], limit=LIST_LIMIT)
    return MockupList(mockups=[MockupItem(id=job.id, imageUrl=view_url(job.outputs[0]),
                                          prompt=str(job.inputs.get("instruction", "")),
                                          createdAt=iso_ms(job.created_at)) for job in jobs if job.outputs])
