"""What the SDK's methods answer and send: Pydantic models of /api/v2's public models.

They mirror the server's ``api/v2/*schemas.py`` models (named in ``openapi_name``) instead of
importing them, because importing those loads the whole server (FastAPI, SQLAlchemy, the studio:
seconds) and a client must stay light; ``tests/sdk/test_python_sdk_drift.py`` compares every
field with the served OpenAPI document, so they cannot drift apart unnoticed. ``extra="allow"``
keeps any field the server adds later readable (``model.model_extra``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

MediaKind = Literal["image", "video", "audio"]
#: A run that is not queued or running anymore has ended in one of these.
FINISHED_STATUSES = frozenset({"succeeded", "failed", "canceled", "interrupted"})


class SdkModel(BaseModel):
    model_config = ConfigDict(extra="allow")
    #: The served OpenAPI component this model mirrors ("" for request bodies and SDK-only models).
    openapi_name: ClassVar[str] = ""


# -- system, billing -----------------------------------------------------------------------------
class Pong(SdkModel):
    openapi_name = "PingPublic"
    status: str
    version: str


class Balance(SdkModel):
    """Whole credits; ``total`` = ``available`` + ``reserved``."""

    openapi_name = "BalancePublic"
    available: int
    reserved: int
    total: int
    billing: Literal["credits", "off"]


# -- recipes -------------------------------------------------------------------------------------
class Recipe(SdkModel):
    openapi_name = "RecipeListItemPublic"
    id: str
    name: str
    title: str
    description: str
    version: str
    category: str
    input_schema: dict[str, Any]
    inputs: list[str]
    source: str


class RecipeListing(SdkModel):
    openapi_name = "RecipeListingPublic"
    recipes: list[Recipe]


class Binding(SdkModel):
    openapi_name = "BindingPublic"
    node: str
    field: str | None = None
    media: MediaKind | None = None


class RecipeDetail(SdkModel):
    openapi_name = "RecipePublic"
    id: str
    name: str
    title: str
    description: str
    version: str
    category: str
    input_schema: dict[str, Any]
    inputs: list[str]
    bindings: dict[str, list[Binding]]
    graph: dict[str, Any]


class RecipeRun(SdkModel):
    openapi_name = "RecipeRunPublic"
    session_id: str


class RunRecipeRequest(SdkModel):
    """The body of ``POST /api/v2/recipes/{id}/run`` (the server's ``RecipeRun``)."""

    openapi_name = "RecipeRun"
    session_name: str | None = None
    execute: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)


# -- sessions ------------------------------------------------------------------------------------
class SessionSummary(SdkModel):
    openapi_name = "SessionSummaryPublic"
    id: str
    name: str
    version: int
    role: str
    node_count: int
    created_at: datetime
    updated_at: datetime
    owner_email: str | None = None


class SessionList(SdkModel):
    """A page of your sessions (and those shared with you), newest first."""

    openapi_name = "SessionsPublic"
    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


class UnreadablePart(SdkModel):
    openapi_name = "UnreadablePart"
    part: str
    node_id: str | None = None


class Session(SdkModel):
    """A session with its graph document (``{"nodes": [...], "edges": [...]}``)."""

    openapi_name = "SessionPublic"
    id: str
    name: str
    version: int
    role: str
    node_count: int
    created_at: datetime
    updated_at: datetime
    owner_email: str | None = None
    graph: dict[str, Any]
    viewport: dict[str, Any] | None
    tabs: list[Any] | None
    unreadable: list[UnreadablePart] | None = None


# -- execution -----------------------------------------------------------------------------------
class ErrorInfo(SdkModel):
    openapi_name = "ErrorPublic"
    code: str
    message: str
    details: dict[str, Any] | None = None


class NodeRun(SdkModel):
    """One node's state in a run; media outputs are ``{media_id, kind, mime, ..., url}`` objects."""

    openapi_name = "NodeRunPublic"
    node_type: str
    status: str
    signature: str
    progress: float
    message: str | None
    outputs: dict[str, Any] | None
    error: ErrorInfo | None
    started_at: float | None
    finished_at: float | None


class LoopIteration(SdkModel):
    openapi_name = "LoopIterationPublic"
    iteration_id: str
    label: str
    nodes: dict[str, NodeRun | None]


class Run(SdkModel):
    """A run with its node states. Times are seconds since the epoch."""

    openapi_name = "RunPublic"
    run_id: str
    session_id: str
    mode: str
    target_node_id: str | None
    status: str
    error: ErrorInfo | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    counts: dict[str, int]
    loops: dict[str, list[LoopIteration]]
    nodes: dict[str, NodeRun]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class CurrentRun(SdkModel):
    openapi_name = "CurrentRunPublic"
    run: Run | None


class StopResult(SdkModel):
    openapi_name = "StopPublic"
    stopped: bool
    run_id: str | None


class NodeCancelResult(SdkModel):
    openapi_name = "NodeCancelPublic"
    node_id: str
    canceled: bool


# -- media ---------------------------------------------------------------------------------------
class Media(SdkModel):
    """A gallery item; ``url`` is a path on the studio (``Client.absolute_url``)."""

    openapi_name = "MediaPublic"
    id: str
    media_type: MediaKind
    mime: str
    filename: str
    size_bytes: int
    width: int | None
    height: int | None
    duration: float | None
    codecs: Any
    origin: str | None
    session_id: str | None
    node_id: str | None
    run_id: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    url: str


class MediaGroup(SdkModel):
    """One session's media in a gallery page (``session_id`` None: media outside any session)."""

    openapi_name = "MediaGroupPublic"
    session_id: str | None
    session_name: str | None
    items: list[Media]


class MediaPage(SdkModel):
    """A page of your gallery, grouped by session, newest first."""

    openapi_name = "MediaPagePublic"
    groups: list[MediaGroup]
    page: int
    page_size: int
    total: int
    include_shared: bool


class MediaUpload(SdkModel):
    """Every stored file in ``items``; a single upload also has that item's fields at the top."""

    openapi_name = "MediaUploadPublic"
    items: list[Media]
    id: str | None = None
    media_type: MediaKind | None = None
    mime: str | None = None
    filename: str | None = None
    size_bytes: int | None = None
    created_at: datetime | None = None
    url: str | None = None


# -- models, LoRAs, GPU --------------------------------------------------------------------------
class Model(SdkModel):
    openapi_name = "ModelPublic"
    id: str
    display_name: str
    kind: str
    format: str
    path: str
    size_bytes: int
    sha256: str | None
    default_params: dict[str, Any]
    credits_per_generation: int | None
    source: str | None
    filename: str
    installed: bool
    created_at: datetime | None
    detected: dict[str, Any] | None = None


class LoraList(SdkModel):
    openapi_name = "LorasPublic"
    loras: list[Model]


class ResolvedLora(SdkModel):
    openapi_name = "LoraPublic"
    id: str
    name: str
    filename: str
    weight: float
    sha256: str | None


class LoraChain(SdkModel):
    openapi_name = "LoraChainPublic"
    loras: list[ResolvedLora]


class LoraRef(SdkModel):
    """A link of a chain to resolve: an installed LoRA's id or name (the server's ``ChainItem``)."""

    openapi_name = "ChainItem"
    id: str | None = None
    name: str | None = None
    weight: float = 1.0


class LoraFile(SdkModel):
    """A link of a chain to resolve by file name (the server's ``FilenameItem``)."""

    openapi_name = "FilenameItem"
    filename: str
    weight: float = 1.0


class GpuMemory(SdkModel):
    openapi_name = "GpuMemoryPublic"
    total_bytes: int | None
    models_bytes: int


class GpuStatus(SdkModel):
    openapi_name = "GpuStatusPublic"
    state: str
    ready: bool
    accepting_tasks: bool
    device: str | None
    device_name: str | None
    dtype: str | None
    torch_version: str | None
    memory: GpuMemory
    running_tasks: int
    started_at: float | None
    uptime_seconds: float


class GpuStop(GpuStatus):
    openapi_name = "GpuStopPublic"
    mode: str


class GpuHealth(SdkModel):
    openapi_name = "GpuHealthPublic"
    status: str
    state: str
    device: str | None
    accepting_tasks: bool
    running_tasks: int
    completed_tasks: int
    refused_tasks: int
    last_error: str | None


# -- run events ----------------------------------------------------------------------------------
class RunEvent(SdkModel):
    """One Server-Sent Event of ``/api/v2/session/events``: ``snapshot``, ``run.started``,
    ``node.status``, ``node.progress``, ``nodes.canceled``, ``run.finished`` or ``access.revoked``;
    ``data`` is its JSON body (which repeats ``type``)."""

    type: str
    data: dict[str, Any]
