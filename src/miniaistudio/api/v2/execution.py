"""Execution of the active session (X-Session-ID), and its live event stream."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, Field, model_validator
from sse_starlette.sse import EventSourceResponse

from ...core.engine import INLINE_GRAPH_ITEMS
from ...core.errors import InvalidRequest, MissingSessionId, StudioError
from ...core.events import AccessChanged
from ...core.graph import Graph
from ...core.policy import Action
from ...core.run import RunMode, RunState, RunStatus
from ...services.sessions import MAX_VERSION, FlowUpdate
from ..common.deps import CurrentUser, StudioDep
from .deps import SESSION_COOKIE, ExecutionDep, SessionId
from .errors import error_body
from .events import sse_frame
from .runs import run_document, run_json
from .schemas import (
    CurrentRunPublic,
    NodeCancelPublic,
    QueueCancelPublic,
    RunHistoryPublic,
    RunPublic,
    RunQueuePublic,
    SavedOutputsPublic,
    StopPublic,
    streamed_answer,
)
from .urls import V2_URLS

router = APIRouter(tags=["execution"])

WAIT_LIMIT = 300.0
#: The graph version a run ran (``POST /session/execute``): the next save is based on it.
GRAPH_VERSION_HEADER = "X-Graph-Version"


class ExecuteRequest(BaseModel):
    mode: RunMode = RunMode.FULL
    target_node_id: str | None = Field(default=None, max_length=100)
    skip_incomplete: bool = Field(default=False, description=(
        "Run what can run: nodes missing a required input, and the nodes after them, are reported as "
        "'skipped' with the reason instead of refusing the run (GRAPH_INVALID, the default)"))
    graph: Graph | None = Field(default=None, description=(
        "Save this graph and run it in one request (with `version`, the version it was based on, as "
        "PUT /sessions/{id}/flow takes it). A graph equal to the saved one is not written again. The answer's "
        "X-Graph-Version header is the version that ran"))
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                description="The version `graph` was based on (required with `graph`)")
    queue: bool = Field(default=True, description=(
        "While the session runs, wait in its queue (answered 202 with status 'queued'; the run keeps its "
        "run_id when it starts). false: refuse with 409 SESSION_BUSY instead, as before queues"))

    @model_validator(mode="after")
    def _target_for_from_node(self) -> ExecuteRequest:
        if (self.graph is None) != (self.version is None):
            raise ValueError("'graph' and 'version' go together")
        if self.mode == RunMode.FROM_NODE and not self.target_node_id:
            raise ValueError("mode 'from_node' needs target_node_id")
        if self.mode == RunMode.NODE:
            raise ValueError("use POST /api/v2/session/nodes/{nodeId}/rerun for single nodes")
        return self


def _wait_seconds(prefer: str | None) -> float | None:
    """``Prefer: wait`` or ``Prefer: wait=N`` asks to answer when the run ends (up to N s)."""
    if not prefer:
        return None
    for part in prefer.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "wait":
            try:
                seconds = float(value) if value else WAIT_LIMIT
            except ValueError:
                seconds = math.nan
            if math.isnan(seconds) or seconds < 0:
                raise InvalidRequest("Prefer: wait takes a number of seconds")
            return min(seconds, WAIT_LIMIT)
    return None


async def _run_json(run: RunState | None, status_code: int = 200, *, wrapped: bool = False) -> Response:
    """A run's answer, projected and encoded here: a run can hold thousands of node states, so a
    big one is built and encoded on a worker thread instead of by the framework on the event loop.
    ``wrapped`` answers ``{"run": ...}``."""

    large = run is not None and len(run.nodes) > INLINE_GRAPH_ITEMS
    body = await asyncio.to_thread(run_json, run, wrapped=wrapped) if large else run_json(run, wrapped=wrapped)
    return Response(body, status_code, media_type="application/json")


async def _answer(execution: ExecutionDep, session_id: str, run: RunState, wait: float | None) -> Response:
    if wait is None:
        return await _run_json(run, 202)
    final = await execution.wait(session_id, run.id, wait)
    return await _run_json(final, 200 if final.status not in (RunStatus.QUEUED, RunStatus.RUNNING) else 202)


def _snapshot_event(run: RunState | None) -> str:
    return json.dumps({"type": "snapshot", "run": run_document(run)})


@router.post("/session/execute", summary="Run the active session: full, or from a node onwards",
             response_model=RunPublic, response_model_exclude_unset=True,
             responses={200: {"headers": {GRAPH_VERSION_HEADER: {
                 "description": "The session's graph version this run ran (on 202 too)",
                 "schema": {"type": "integer"}}}}})
async def execute(
    session_id: SessionId, user: CurrentUser, execution: ExecutionDep,
    prefer: str | None = Header(default=None),
    body: ExecuteRequest | None = Body(default=None, description='Defaults to {"mode": "full"}'),
) -> Response:
    body = body or ExecuteRequest()
    wait = _wait_seconds(prefer)  # refused before anything starts
    flow = FlowUpdate(graph=body.graph, version=body.version) if body.graph is not None and body.version else None
    run, version = await execution.save_and_execute(user, session_id, body.mode, body.target_node_id, flow,
                                                    skip_incomplete=body.skip_incomplete, queue=body.queue)
    answer = await _answer(execution, session_id, run, wait)
    answer.headers[GRAPH_VERSION_HEADER] = str(version)
    return answer


@router.post("/session/nodes/{node_id}/rerun",
             summary="Rerun one node; isolated=true reuses cached upstream outputs and runs only it",
             response_model=RunPublic, response_model_exclude_unset=True)
async def rerun_node(
    node_id: str, session_id: SessionId, user: CurrentUser, execution: ExecutionDep,
    isolated: bool = Query(default=True), prefer: str | None = Header(default=None),
    queue: bool = Query(default=True, description="false: refuse with SESSION_BUSY while the session runs"),
) -> Response:
    mode = RunMode.NODE if isolated else RunMode.FROM_NODE
    wait = _wait_seconds(prefer)  # refused before anything starts
    run = await execution.execute(user, session_id, mode, node_id, queue=queue)
    return await _answer(execution, session_id, run, wait)


# Engine commands are async routes: they change engine state and publish events, which must
# happen on the event loop (a sync route would run them on a worker thread).
@router.post("/session/nodes/{node_id}/cancel", summary="Cancel a queued or running node",
             response_model=NodeCancelPublic, response_model_exclude_unset=True)
async def cancel_node(node_id: str, session_id: SessionId, user: CurrentUser,
                      execution: ExecutionDep) -> NodeCancelPublic:
    return NodeCancelPublic.of(await execution.cancel_node(user, session_id, node_id))


@router.post("/session/stop", summary="Stop the run; the saved session is left intact",
             response_model=StopPublic, response_model_exclude_unset=True)
async def stop(session_id: SessionId, user: CurrentUser, execution: ExecutionDep) -> StopPublic:
    return StopPublic.of(await execution.stop(user, session_id))


@router.get("/session/execution", summary="The active or latest run with node states and outputs",
            response_model=CurrentRunPublic, response_model_exclude_unset=True)
async def current_execution(session_id: SessionId, user: CurrentUser, execution: ExecutionDep) -> Response:
    return await _run_json(await asyncio.to_thread(execution.current, user, session_id), wrapped=True)


@router.get("/session/outputs",
            summary="Each node's stored outputs that still match its current settings (what a run would reuse)",
            response_model=SavedOutputsPublic, response_model_exclude_unset=True)
async def saved_outputs(session_id: SessionId, user: CurrentUser, execution: ExecutionDep) -> SavedOutputsPublic:
    return SavedOutputsPublic.of(await execution.saved_outputs(user, session_id), V2_URLS)


@router.get("/session/queue", summary="Runs waiting their turn in this session, next first",
            response_model=RunQueuePublic)
async def run_queue(session_id: SessionId, user: CurrentUser, execution: ExecutionDep) -> RunQueuePublic:
    return RunQueuePublic.of(await execution.waiting(user, session_id))


@router.delete("/session/queue/{run_id}", summary="Take a waiting run out of the queue",
               response_model=QueueCancelPublic)
async def cancel_queued(run_id: str, session_id: SessionId, user: CurrentUser,
                        execution: ExecutionDep) -> QueueCancelPublic:
    return QueueCancelPublic(run_id=run_id, canceled=await execution.cancel_queued(user, session_id, run_id))


@router.get("/session/executions", summary="Execution history, newest first: who ran, how long, credits",
            response_model=RunHistoryPublic, response_model_exclude_unset=True)
def history(
    session_id: SessionId, user: CurrentUser, execution: ExecutionDep,
    limit: int = Query(default=20, ge=1, le=200), offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> RunHistoryPublic:
    return RunHistoryPublic.of(execution.history(user, session_id, limit, offset))


@router.get("/session/runs/{run_id}", summary="One run", response_model=RunPublic, response_model_exclude_unset=True)
async def get_run(run_id: str, session_id: SessionId, user: CurrentUser, execution: ExecutionDep) -> Response:
    return await _run_json(await asyncio.to_thread(execution.get_run, user, session_id, run_id))


@router.get("/session/events", summary="Server-Sent Events: run and node status as they change",
            response_class=EventSourceResponse,
            responses=streamed_answer("text/event-stream", "snapshot, then run and node events as they happen; "
                                      "each with an id to resume after (Last-Event-ID)"))
async def events(
    request: Request, user: CurrentUser, studio: StudioDep, execution: ExecutionDep,
    session_id: str | None = Query(default=None, description="For EventSource, which cannot set headers"),
    last_event_id: str | None = Query(default=None, max_length=100,
                                      description="Resume after this event id (as the Last-Event-ID header): "
                                                  "the events since are sent instead of a snapshot, unless "
                                                  "they are no longer kept"),
) -> EventSourceResponse:
    sid = (session_id or request.headers.get("x-session-id") or request.cookies.get(SESSION_COOKIE) or "").strip()
    if not sid:
        raise MissingSessionId("this endpoint needs X-Session-ID, ?session_id= or a session cookie")
    await asyncio.to_thread(studio.sessions.load, user, sid, Action.VIEW)
    resume = (last_event_id or request.headers.get("last-event-id") or "").strip()[:100] or None

    def ended(error: StudioError) -> dict[str, str]:
        """The last frame of a stream whose viewer lost access (a share revoked or declined)."""
        return {"event": "access.revoked",
                "data": json.dumps({"type": "access.revoked", **error_body(error.code, error.message)})}

    async def stream() -> AsyncIterator[dict[str, str]]:
        async with studio.bus.subscribe(sid, after=resume) as feed:
            try:  # access is checked again once subscribed: a revocation just before is not missed
                if resume is None or feed.missed:
                    snapshot = await asyncio.to_thread(execution.current, user, sid)
                    data = await asyncio.to_thread(_snapshot_event, snapshot)
                    yield {"event": "snapshot", "id": feed.position, "data": data}
                else:  # resumed: the events since the client's last are all it needs
                    await asyncio.to_thread(studio.sessions.load, user, sid, Action.VIEW)
            except StudioError as error:
                yield ended(error)
                return
            while True:
                event = await feed.get()
                if not isinstance(event, AccessChanged):
                    yield {**sse_frame(event), "id": feed.position}
                    continue
                if event.user_id != user.user_id:
                    continue
                try:
                    await asyncio.to_thread(studio.sessions.load, user, sid, Action.VIEW)
                except StudioError as error:
                    yield ended(error)
                    return

    return EventSourceResponse(stream(), ping=15)
