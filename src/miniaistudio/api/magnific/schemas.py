"""The Magnific door's public models: apps, runs and errors, in Magnific's field names."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from ...core.urls import Urls
from ...services.apps import AppInput, AppRunView, AppView
from ...services.webhook_dialects import iso_z

RunStatus = Literal["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED"]
#: Our job statuses in Magnific's task words.
STATUSES: dict[str, RunStatus] = {"queued": "CREATED", "running": "IN_PROGRESS", "completed": "COMPLETED",
                                  "failed": "FAILED", "canceled": "FAILED"}


class MagnificInvalidParam(BaseModel):
    name: str = Field(description="The refused input id (input-<uuid>-<n>) or body field")
    reason: str


class MagnificErrorPublic(BaseModel):
    """Every error: ``{"message", "code"[, "invalid_params"][, "details"]}``."""

    message: str
    code: str = Field(description="The studio's stable error code, e.g. APP_NOT_FOUND, INVALID_INPUTS")
    invalid_params: list[MagnificInvalidParam] | None = None
    details: dict[str, Any] | None = None


class MagnificAppInput(BaseModel):
    id: str = Field(description="input-<uuid>-<n>: the key of this input's value in a run's inputs")
    type: Literal["creation", "text", "number", "select"]
    label: str
    required: bool
    options: list[str] | None = Field(description="The accepted values of a select input")
    min: float | None = Field(description="A number input's lower bound")
    max: float | None = Field(description="A number input's upper bound")
    default: str | int | float | None

    @classmethod
    def of(cls, item: AppInput) -> MagnificAppInput:
        return cls(id=item.id, type=item.type, label=item.label,
                   required=item.required, options=list(item.options) if item.type == "select" else None,
                   min=item.min, max=item.max, default=item.default)


class MagnificToolMetadata(BaseModel):
    total_cost: int = Field(description="Credits one run costs: the sum of the app's nodes' prices")


class MagnificApp(BaseModel):
    id: str = Field(description="The app's SQID, e.g. uqzQLDr2Aw")
    name: str
    description: str
    inputs: list[MagnificAppInput]
    outputs: int = Field(description="How many outputs (nodes) a run returns")
    tool_metadata: MagnificToolMetadata
    visibility: Literal["private", "team", "everyone"]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, view: AppView) -> MagnificApp:
        return cls(id=view.id, name=view.name, description=view.description,
                   inputs=[MagnificAppInput.of(item) for item in view.inputs], outputs=len(view.output_nodes),
                   tool_metadata=MagnificToolMetadata(total_cost=view.total_cost),
                   visibility=view.visibility,
                   created_at=iso_z(view.created_at), updated_at=iso_z(view.updated_at))


class MagnificAppList(BaseModel):
    data: list[MagnificApp]


class MagnificAppAnswer(BaseModel):
    data: MagnificApp


InputValue = str | int | float | bool | None


class MagnificRunRequest(BaseModel):
    inputs: dict[Annotated[str, StringConstraints(max_length=200)], InputValue] = Field(
        default_factory=dict, max_length=100, description="{<input id>: value}; see GET /v1/ai/apps/{app-id}")
    webhook: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = Field(
        default=None, description="Told (POST, signed) when the run completes or fails")


class MagnificRunOutput(BaseModel):
    type: Literal["image", "video", "audio"]
    url: str = Field(description="A signed, time-limited download link (no auth header needed)")
    content_type: str
    node_id: str | None


class MagnificRunError(BaseModel):
    code: str
    message: str


class MagnificRun(BaseModel):
    run_id: str
    app_id: str
    status: RunStatus
    progress: int = Field(description="0-100")
    outputs: list[MagnificRunOutput]
    generated: list[str] = Field(description="The outputs' URLs, in order")
    credits: int = Field(description="Credits charged (the estimate until the run ends)")
    error: MagnificRunError | None
    created_at: str
    completed_at: str | None

    @classmethod
    def of(cls, view: AppRunView, urls: Urls) -> MagnificRun:
        job = view.job
        outputs = [MagnificRunOutput(type=out.kind, url=urls.media_download(out.media_id),
                                     content_type=out.mime, node_id=out.node_id) for out in view.outputs]
        error = (MagnificRunError(code=str(job.error.get("code", "RUN_FAILED")),
                                  message=str(job.error.get("message", ""))) if job.error else None)
        return cls(run_id=job.id, app_id=view.app_id, status=STATUSES[job.status], progress=job.progress,
                   outputs=outputs, generated=[out.url for out in outputs], credits=job.credits_charged, error=error,
                   created_at=iso_z(job.created_at),
                   completed_at=iso_z(job.completed_at) if job.completed_at else None)


class MagnificRunAnswer(BaseModel):
    data: MagnificRun
