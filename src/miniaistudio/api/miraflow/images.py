"""``/api/image/*``: text-to-image, image-to-image edit and inpaint jobs on the diffusion nodes, and
``GET /api/image/{jobId}``, the seed's status of any Miraflow job (the result once done).

Whichever installed model fits is used (the first text-to-image, edit or inpaint model); with none
installed the job fails with the node's ``MODEL_NOT_INSTALLED`` reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ...core.errors import InvalidRequest
from ...core.graph import Graph
from ...services.jobs import COMPLETED, JobRequest, JobView
from ..common.deps import StudioDep
from .bodies import documented, read_body, require_media
from .deps import ImageMaker, Reader
from .job_status import failure_reason, mockup_status
from .jobs import DIALECT, ID_PREFIX, download_url, iso_ms
from .schemas import ImageEditRequest, ImageResult, InpaintRequest, JobAccepted, JobProgress, TextToImageRequest

router = APIRouter(tags=["images"])

GENERATE, EDIT, INPAINT = "image.generate", "image.edit", "image.inpaint"
#: Multipart parts of an inpaint request that stand for its media id fields.
INPAINT_FILES = {"originalImage": "originalImageMediaId", "maskImage": "maskImageMediaId"}


def _node(node_id: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def _edge(source: str, target: str, handle: str) -> dict[str, Any]:
    return {"id": f"{source}-{target}-{handle}", "source": source, "source_handle": "image", "target": target,
            "target_handle": handle}


def _seed(seed: int | None) -> int:
    return -1 if seed is None else seed


def generate_graph(body: TextToImageRequest) -> Graph:
    node = _node("image", "image.generate", 0, prompt=body.prompt, negative_prompt=body.negativePrompt or "",
                 seed=_seed(body.seed), aspect_ratio=body.aspectRatio)
    return Graph.model_validate({"nodes": [node], "edges": []})


def edit_graph(body: ImageEditRequest, reference: str) -> Graph:
    nodes = [_node("reference", "upload.image", 0, media_ids=[reference]),
             _node("image", "image.edit", 300, instruction=body.prompt, negative_prompt=body.negativePrompt or "",
                   seed=_seed(body.seed))]
    return Graph.model_validate({"nodes": nodes, "edges": [_edge("reference", "image", "image")]})


def inpaint_graph(body: InpaintRequest) -> Graph:
    nodes = [_node("original", "upload.image", 0, media_ids=[body.originalImageMediaId]),
             _node("mask", "upload.image", 0, media_ids=[body.maskImageMediaId]),
             _node("image", "image.inpaint", 300, prompt=body.prompt, negative_prompt=body.negativePrompt or "",
                   seed=_seed(body.seed))]
    edges = [_edge("original", "image", "image"), _edge("mask", "image", "mask")]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def image_job(operation: str, inputs: dict[str, Any], graph: Graph) -> JobRequest:
    return JobRequest(dialect=DIALECT, operation=operation, id_prefix=ID_PREFIX, inputs=inputs, graph=graph,
                      output_node="image")


@router.post("/image/generate", summary="Start a text-to-image job", response_model=JobAccepted)
async def generate_image(body: TextToImageRequest, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    job = await studio.jobs.submit(user, image_job(GENERATE, body.model_dump(), generate_graph(body)))
    return JobAccepted(jobId=job.id)


@router.post("/image/edit", summary="Start an image-to-image edit job (JSON media ids, or multipart files)",
             response_model=JobAccepted, openapi_extra=documented(ImageEditRequest, files="image file parts"))
async def edit_image(request: Request, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    body, uploaded = await read_body(request, ImageEditRequest, user, studio)
    references = [*([body.referenceImageMediaId] if body.referenceImageMediaId else []),
                  *(body.referenceImageMediaIds or []), *(u.media_id for u in uploaded)]
    if not references:
        raise InvalidRequest("send referenceImageMediaId, referenceImageMediaIds or image files",
                             details={"errors": [{"field": "body.referenceImageMediaId", "message": "required"}]})
    await require_media(studio, user, references)
    inputs = {**body.model_dump(exclude={"referenceImageMediaIds"}), "referenceImageMediaIds": references}
    job = await studio.jobs.submit(user, image_job(EDIT, inputs, edit_graph(body, references[0])))
    return JobAccepted(jobId=job.id)


@router.post("/image/inpaint", summary="Start an inpainting job (white mask areas are replaced)",
             response_model=JobAccepted,
             openapi_extra=documented(InpaintRequest, files="or files in parts originalImage and maskImage"))
async def inpaint_image(request: Request, user: ImageMaker, studio: StudioDep) -> JobAccepted:
    body, _ = await read_body(request, InpaintRequest, user, studio, file_fields=INPAINT_FILES)
    original, mask = body.originalImageMediaId, body.maskImageMediaId
    await require_media(studio, user, [original, mask])
    job = await studio.jobs.submit(user, image_job(INPAINT, body.model_dump(), inpaint_graph(body)))
    return JobAccepted(jobId=job.id)


def job_result(job: JobView, studio: StudioDep) -> ImageResult | JobProgress:
    """The seed's answer for any job: the result once completed, else its status and progress."""
    if job.status == COMPLETED and job.outputs:
        media_id = job.outputs[0]
        return ImageResult(id=job.id, name=str(job.inputs.get("name") or job.operation),
                           prompt=str(job.inputs.get("prompt", "")), createdAt=iso_ms(job.created_at),
                           downloadUrl=download_url(studio, media_id), mediaId=media_id)
    return JobProgress(status=mockup_status(job), progress=job.progress, reason=failure_reason(job))


@router.get("/image/{jobId}", summary="The status of any job, or its result once completed",
            response_model=ImageResult | JobProgress)
def get_image_job(jobId: str, user: Reader, studio: StudioDep) -> ImageResult | JobProgress:
    return job_result(studio.jobs.get(user, DIALECT, jobId), studio)
