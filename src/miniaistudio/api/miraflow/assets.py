"""Mockup assets: ``POST /api/mockup/asset/generate`` (a logo or product image from a prompt, on the
text-to-image model), ``POST /api/mockup/asset/edit`` (an image by media id, base64 or multipart file,
edited by the node the instruction calls for: ``edit_routing.py``) and ``GET /api/mockup/assets``."""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from ...core.errors import InvalidRequest
from ...core.graph import Graph
from ...core.policy import Principal
from ...services.jobs import COMPLETED, JobRequest, JobView
from ...studio import Studio
from ..common.deps import StudioDep
from .bodies import documented, read_body, require_media
from .deps import ImageMaker, Reader
from .edit_routing import route_instruction
from .jobs import DIALECT, ID_PREFIX, iso_ms, view_url
from .operations import ASSET_EDIT as EDIT
from .operations import ASSET_GENERATE as GENERATE
from .schemas import AssetEditRequest, AssetGenerateRequest, AssetItem, AssetList, JobAccepted

router = APIRouter(tags=["mockups"])

#: How each asset type is asked of a text-to-image model.
STYLES = {"logo": "{prompt}, flat vector logo, bold simple shapes, centered, plain white background",
          "product": "{prompt}, product photo, studio lighting, centered, plain white background"}
IMAGE_FILES = {"image": "imageMediaId"}
MAX_LISTED = 200


def _node(node_id: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def generate_graph(body: AssetGenerateRequest) -> Graph:
    node = _node("asset", "image.generate", 0, prompt=STYLES[body.type].format(prompt=body.prompt),
                 negative_prompt="blurry, low quality, watermark, text artifacts", aspect_ratio="1:1")
    return Graph.model_validate({"nodes": [node], "edges": []})


def edit_graph(media_id: str, node_type: str, params: dict[str, Any]) -> Graph:
    nodes = [_node("source", "upload.image", 0, media_ids=[media_id]), _node("asset", node_type, 300, **params)]
    edges = [{"id": "source-asset", "source": "source", "source_handle": "image", "target": "asset",
              "target_handle": "image"}]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def _from_base64(studio: Studio, user: Principal, data: str) -> str:
    """The base64 image (a data: URL prefix allowed) as a media item of the caller's."""
    payload = data.split(",", 1)[1] if data.startswith("data:") else data
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("imageBase64 is not valid base64", details={
            "errors": [{"field": "body.imageBase64", "message": "not valid base64"}]}) from None
    scratch = studio.settings.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"miraflow-{uuid.uuid4().hex}"
    try:
        path.write_bytes(raw)
        return studio.media.ingest(user, path, "asset", session_id=None, expect_kind="image").id
    finally:
        Path.unlink(path, missing_ok=True)


@router.post("/mockup/asset/generate", summary="Generate a logo or product image from a prompt",
             response_model=JobAccepted)
async def generate_asset(body: AssetGenerateRequest, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    request = JobRequest(dialect=DIALECT, operation=GENERATE, id_prefix=ID_PREFIX, inputs=body.model_dump(),
                         graph=generate_graph(body), output_node="asset")
    return JobAccepted(jobId=(await studio.jobs.submit(user, request)).id)


@router.post("/mockup/asset/edit", summary="Edit an image by instruction (media id, base64 or multipart 'image')",
             response_model=JobAccepted, openapi_extra=documented(AssetEditRequest, files="or the file part 'image'"))
async def edit_asset(request: Request, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    body, _ = await read_body(request, AssetEditRequest, user, studio, file_fields=IMAGE_FILES)
    if body.imageMediaId:
        media_id = body.imageMediaId
        await require_media(studio, user, [media_id])
    elif body.imageBase64:
        media_id = await asyncio.to_thread(_from_base64, studio, user, body.imageBase64)
    else:
        raise InvalidRequest("send imageMediaId, imageBase64 or an 'image' file", details={
            "errors": [{"field": "body.imageMediaId", "message": "one of imageMediaId, imageBase64, image"}]})
    route = route_instruction(body.prompt)
    inputs = {"prompt": body.prompt, "type": body.type, "imageMediaId": media_id, "route": route.what,
              "node": route.node_type}
    job_request = JobRequest(dialect=DIALECT, operation=EDIT, id_prefix=ID_PREFIX, inputs=inputs,
                             graph=edit_graph(media_id, route.node_type, route.params), output_node="asset",
                             map_outputs=first_image)
    return JobAccepted(jobId=(await studio.jobs.submit(user, job_request)).id)


def first_image(job: JobView, outputs: dict[str, Any]) -> list[str]:
    """The edited image only (a background removal also outputs its mask)."""
    image = outputs.get("image")
    return [str(image["media_id"])] if isinstance(image, dict) and image.get("media_id") else []


def asset_item(job: JobView) -> AssetItem:
    kind = job.inputs.get("type", "logo")
    verb = "Generated" if job.operation == GENERATE else "Edited"
    return AssetItem(id=job.id, type=kind, name=f"AI {verb} {kind}", imageUrl=view_url(job.outputs[0]),
                     mediaId=job.outputs[0], createdAt=iso_ms(job.created_at))


@router.get("/mockup/assets", summary="Your saved logo and product assets, newest first", response_model=AssetList)
def list_assets(user: Reader, studio: StudioDep) -> AssetList:
    jobs, _ = studio.jobs.list(user, DIALECT, operations=[GENERATE, EDIT], statuses=[COMPLETED], limit=MAX_LISTED)
    return AssetList(assets=[asset_item(job) for job in jobs if job.outputs])
