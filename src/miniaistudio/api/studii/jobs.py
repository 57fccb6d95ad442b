"""``POST /api/v1/jobs`` and ``GET /api/v1/jobs/{job_id}``: Studii tools as jobs on the jobs core."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError

from ...core.errors import InvalidRequest, MediaNotFound
from ...core.policy import ApiScope, Principal, require_scope, require_tool_in_plan
from ...services.jobs import COMPLETED, JobNotFound, JobRequest, JobView
from ...services.plans import allowed_tools
from ...services.recipes import RecipeNotFound
from ...services.webhook_dialects import iso_z
from ...studio import Studio
from ..common.deps import Caller, RequireScope, StudioDep
from ..files.urls import SignedMediaUrls
from .schemas import StudiiJobAccepted, StudiiJobCreate, StudiiJobPublic
from .tools import TOOLS, StudioInputs, Tool, needs_source, output_kind_of, recipe_graph, studio_graph

DIALECT = "studii"
ID_PREFIX = "job"
#: Our job statuses in the seed's four words.
STATUSES = {"queued": "queued", "running": "running", "completed": "completed", "failed": "failed",
            "canceled": "failed"}

router = APIRouter(tags=["jobs"])
Reader = Annotated[Principal, Depends(RequireScope(ApiScope.READ))]


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", details={"errors": [{"field": field, "message": message}]})


def _tool(slug: str) -> Tool:
    tool = TOOLS.get(slug)
    if tool is None:
        raise _invalid("tool", f"unknown tool {slug[:64]!r}; one of {', '.join(TOOLS)}")
    return tool


def _inputs(tool: Tool, raw: dict[str, Any]) -> Any:
    try:
        return tool.inputs.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": "inputs." + ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                  for err in exc.errors()]
        raise InvalidRequest(f"{errors[0]['field']}: {errors[0]['message']}", details={"errors": errors}) from None


def _status_url(studio: Studio, job_id: str) -> str:
    return f"{studio.settings.resolved_public_url.rstrip('/')}/api/v1/jobs/{job_id}"


def _accepted(studio: Studio, job: JobView) -> StudiiJobAccepted:
    return StudiiJobAccepted(id=job.id, status="failed" if job.status in ("failed", "canceled") else "queued",
                             status_url=_status_url(studio, job.id), credits_charged=job.credits_charged)


@router.post("/jobs", status_code=202, response_model=StudiiJobAccepted,
             summary="Submit a tool job; poll status_url until it is completed or failed")
async def create_job(body: StudiiJobCreate, caller: Caller, studio: StudioDep) -> StudiiJobAccepted:
    tool = _tool(body.tool)
    inputs = _inputs(tool, body.inputs)
    video = isinstance(inputs, StudioInputs) and inputs.mode == "video"
    require_scope(caller, ApiScope.GENERATE_VIDEO if video else ApiScope.GENERATE_IMAGE)
    plan = (await asyncio.to_thread(studio.plans.of, caller.user_id)).plan
    require_tool_in_plan(tool.slug, plan, allowed_tools(plan))
    source: str | None = None
    if needs_source(tool, inputs):
        if not body.source_object_key:
            raise _invalid("source_object_key", f"the {tool.slug} tool needs a source image: upload one "
                                                "(POST /api/v1/uploads) and pass its object_key")
        source = await asyncio.to_thread(studio.signed_uploads.resolve, caller, body.source_object_key)
    recorded = {"tool": tool.slug, "inputs": inputs.model_dump(exclude_none=True),
                "source_object_key": body.source_object_key, "output_kind": output_kind_of(tool, inputs)}
    if tool.recipe_id is None:
        graph, output = await asyncio.to_thread(studio_graph, inputs, source, studio.models)
    else:
        try:
            recipe = await asyncio.to_thread(studio.recipes.get, caller, tool.recipe_id)
        except RecipeNotFound:
            job = await asyncio.to_thread(
                studio.jobs.record_failed, caller, dialect=DIALECT, operation=tool.slug, id_prefix=ID_PREFIX,
                inputs=recorded, error={"code": "TOOL_UNAVAILABLE",
                                        "message": f"the {tool.slug} tool is not installed on this studio "
                                                   f"(recipe {tool.recipe_id!r} is missing)"})
            return _accepted(studio, job)
        assert source is not None
        graph, output = await asyncio.to_thread(recipe_graph, recipe, inputs, source)
    request = JobRequest(dialect=DIALECT, operation=tool.slug, id_prefix=ID_PREFIX, inputs=recorded, graph=graph,
                         output_node=output)
    return _accepted(studio, await studio.jobs.submit(caller, request))


def job_public(studio: Studio, job: JobView) -> StudiiJobPublic:
    output = job.outputs[0] if job.status == COMPLETED and job.outputs else None
    kind = None
    if output is not None:
        try:
            kind = studio.media.get(Principal(job.user_id, ""), output).kind
        except MediaNotFound:  # the user deleted the output from their gallery since
            output = None
    urls = SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url)
    error = None if job.error is None else str(job.error.get("message") or job.error.get("code") or "failed")
    return StudiiJobPublic(id=job.id, status=STATUSES[job.status],
                           output_url=urls.media_download(output) if output else None,
                           output_kind=kind,
                           tool=job.operation, error=error, created_at=iso_z(job.created_at),
                           completed_at=iso_z(job.completed_at) if job.completed_at else None,
                           credits_charged=job.credits_charged)


@router.get("/jobs/{job_id}", response_model=StudiiJobPublic,
            summary="A job's status; output_url (a signed link) once completed")
def get_job(job_id: str, caller: Reader, studio: StudioDep) -> StudiiJobPublic:
    try:
        job = studio.jobs.get(caller, DIALECT, job_id)
    except JobNotFound:
        raise JobNotFound("job not found", details={"id": job_id[:64]}) from None
    return job_public(studio, job)
