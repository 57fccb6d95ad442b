"""The SDK's method set, once: each function describes one /api/v2 request (a ``Call``) and how
its answer becomes a model. ``Client`` sends calls with httpx's sync client, ``AsyncClient``
with its async one, so the two cannot differ in what they ask."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from .models import (
    Balance,
    CurrentRun,
    GpuHealth,
    GpuStatus,
    GpuStop,
    LoraChain,
    LoraFile,
    LoraList,
    LoraRef,
    Model,
    NodeCancelResult,
    Pong,
    Recipe,
    RecipeDetail,
    RecipeListing,
    RecipeRun,
    ResolvedLora,
    Run,
    RunRecipeRequest,
    SdkModel,
    Session,
    SessionList,
    SessionSummary,
    StopResult,
)

T = TypeVar("T")
M = TypeVar("M", bound=SdkModel)
V2 = "/api/v2"


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request: ``parse`` turns the decoded JSON answer into the method's result."""

    method: str
    path: str
    answer: type[SdkModel]  # the wire model of a 2xx answer (checked against OpenAPI in tests/sdk)
    parse: Callable[[Any], T]
    json: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    session_id: str | None = None  # sent as X-Session-ID
    idempotent: bool = False  # safe to repeat after a 5xx or a lost answer (GET/PUT/DELETE always are)
    #: For answers that say something in a header too: ``(decoded JSON, headers) -> result`` instead of ``parse``.
    parse_with_headers: Callable[[Any, Mapping[str, str]], T] | None = None

    def result(self, body: Any, headers: Mapping[str, str]) -> T:
        return self.parse_with_headers(body, headers) if self.parse_with_headers is not None else self.parse(body)

    @property
    def safe_to_repeat(self) -> bool:
        return self.idempotent or self.method in ("GET", "PUT", "DELETE")


def _answered(method: str, path: str, answer: type[M], **more: Any) -> Call[M]:
    """A call whose result is its answer's model."""
    return Call(method, path, answer, answer.model_validate, **more)


def _segment(value: str) -> str:
    return quote(value, safe="")


# -- recipes ------------------------------------------------------------------------------------
def list_recipes() -> Call[list[Recipe]]:
    return Call("GET", f"{V2}/recipes", RecipeListing, lambda body: RecipeListing.model_validate(body).recipes)


def get_recipe(recipe_id: str) -> Call[RecipeDetail]:
    return _answered("GET", f"{V2}/recipes/{_segment(recipe_id)}", RecipeDetail)


def run_recipe(recipe_id: str, request: RunRecipeRequest) -> Call[RecipeRun]:
    return _answered("POST", f"{V2}/recipes/{_segment(recipe_id)}/run", RecipeRun,
                json=request.model_dump(mode="json", exclude_none=True))


# -- sessions -----------------------------------------------------------------------------------
def new_session(name: str | None, graph: Mapping[str, Any] | None) -> Call[Session]:
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if graph is not None:
        body["graph"] = graph
    return _answered("POST", f"{V2}/sessions", Session, json=body)


def list_sessions(query: str | None, limit: int, offset: int) -> Call[SessionList]:
    params = {"limit": str(limit), "offset": str(offset), **({"q": query} if query else {})}
    return _answered("GET", f"{V2}/sessions", SessionList, params=params)


def get_session(session_id: str) -> Call[Session]:
    return _answered("GET", f"{V2}/sessions/{_segment(session_id)}", Session)


def put_studio_flow(session_id: str, graph: Mapping[str, Any], version: int,
                    viewport: Mapping[str, Any] | None, tabs: Sequence[Any] | None) -> Call[SessionSummary]:
    body: dict[str, Any] = {"graph": graph, "version": version}
    if viewport is not None:
        body["viewport"] = viewport
    if tabs is not None:
        body["tabs"] = list(tabs)
    return _answered("PUT", f"{V2}/sessions/{_segment(session_id)}/flow", SessionSummary, json=body)


# -- execution ----------------------------------------------------------------------------------
def execute_full(session_id: str) -> Call[Run]:
    return _answered("POST", f"{V2}/session/execute", Run, json={"mode": "full"}, session_id=session_id)


@dataclass(frozen=True)
class SavedRun:
    """A run started by :func:`save_and_execute` and the graph version it ran (base the next save on it)."""

    run: Run
    version: int


def save_and_execute(session_id: str, graph: Mapping[str, Any], version: int) -> Call[SavedRun]:
    """Save ``graph`` (based on ``version``) and run it in one request; an unchanged graph is not written again."""
    def parse(body: Any, headers: Mapping[str, str]) -> SavedRun:
        return SavedRun(Run.model_validate(body), int(headers.get("x-graph-version", version)))

    return Call("POST", f"{V2}/session/execute", Run, lambda body: SavedRun(Run.model_validate(body), version),
                json={"mode": "full", "graph": graph, "version": version}, session_id=session_id,
                parse_with_headers=parse)


def stop_session(session_id: str) -> Call[StopResult]:
    return _answered("POST", f"{V2}/session/stop", StopResult, session_id=session_id, idempotent=True)


def cancel_node_execution(session_id: str, node_id: str) -> Call[NodeCancelResult]:
    return _answered("POST", f"{V2}/session/nodes/{_segment(node_id)}/cancel", NodeCancelResult,
                session_id=session_id, idempotent=True)


def get_session_execution(session_id: str) -> Call[Run | None]:
    return Call("GET", f"{V2}/session/execution", CurrentRun, lambda body: CurrentRun.model_validate(body).run,
                session_id=session_id)


# -- LoRAs --------------------------------------------------------------------------------------
def list_loras() -> Call[list[Model]]:
    return Call("GET", f"{V2}/loras", LoraList, lambda body: LoraList.model_validate(body).loras)


def resolve_lora_chain(chain: Sequence[LoraRef | Mapping[str, Any]]) -> Call[list[ResolvedLora]]:
    links = [LoraRef.model_validate(link).model_dump(exclude_none=True) for link in chain]
    return Call("POST", f"{V2}/loras/resolve", LoraChain, lambda body: LoraChain.model_validate(body).loras,
                json={"chain": links}, idempotent=True)


def resolve_lora_chain_by_filename(chain: Sequence[LoraFile | Mapping[str, Any]]) -> Call[list[ResolvedLora]]:
    links = [LoraFile.model_validate(link).model_dump() for link in chain]
    return Call("POST", f"{V2}/loras/resolve-by-filename", LoraChain,
                lambda body: LoraChain.model_validate(body).loras,
                json={"chain": links}, idempotent=True)


# -- billing, system, GPU -----------------------------------------------------------------------
def get_balance() -> Call[Balance]:
    return _answered("GET", f"{V2}/billing/balance", Balance)


def ping() -> Call[Pong]:
    return _answered("GET", f"{V2}/ping", Pong)


def get_gpu_scheduler_health() -> Call[GpuHealth]:
    return _answered("GET", f"{V2}/gpu/scheduler/health", GpuHealth)


def get_gpu_status() -> Call[GpuStatus]:
    return _answered("GET", f"{V2}/gpu/status", GpuStatus)


def start_gpu() -> Call[GpuStatus]:
    return _answered("POST", f"{V2}/gpu/start", GpuStatus, idempotent=True)


def stop_gpu(mode: str) -> Call[GpuStop]:
    return _answered("POST", f"{V2}/gpu/stop", GpuStop, json={"mode": mode}, idempotent=True)


# -- media --------------------------------------------------------------------------------------
def media_download_path(media_id: str) -> str:
    return f"{V2}/media/{_segment(media_id)}/download"


def upload_path() -> str:
    return f"{V2}/media/upload"


def events_path() -> str:
    return f"{V2}/session/events"
