"""Sessions by id (``/sessions/...``) and the active session (``/session`` + X-Session-ID)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from ...core.events import SessionSaved
from ...core.graph import Graph
from ...core.policy import Principal
from ...services.sessions import FlowUpdate
from ...studio import Studio
from ..common.deps import CurrentUser, StudioDep
from .deps import SESSION_COOKIE, ExecutionDep, SessionId
from .schemas import SessionPublic, SessionsPublic, SessionSummaryPublic

router = APIRouter(tags=["sessions"])


class SessionCreate(BaseModel):
    name: str = Field(default="Untitled session", max_length=200)
    graph: Graph | None = None


class SessionRename(BaseModel):
    name: str = Field(max_length=200)


ClientId = Annotated[str | None, Header(
    alias="X-Client-ID", max_length=64,
    description="The saving tab's id: the session.saved event names it, so that tab ignores its own save")]


async def _save(studio: Studio, user: Principal, session_id: str, body: FlowUpdate,
                client_id: str | None) -> SessionSummaryPublic:
    """Save, then tell the session's event stream (other tabs learn they are behind)."""
    doc = await asyncio.to_thread(studio.sessions.put_flow, user, session_id, body)
    studio.bus.publish(session_id, SessionSaved(version=doc.version, user_id=user.user_id, client_id=client_id))
    return SessionSummaryPublic.of(doc)


@router.post("/sessions", status_code=201, summary="Create a session (NewSession)",
             response_model=SessionPublic, response_model_exclude_unset=True)
def create_session(body: SessionCreate, user: CurrentUser, studio: StudioDep) -> SessionPublic:
    return SessionPublic.of_document(studio.sessions.create(user, body.name, body.graph))


@router.get("/sessions", summary="List your sessions, newest first, with optional search",
            response_model=SessionsPublic, response_model_exclude_unset=True)
def list_sessions(
    user: CurrentUser, studio: StudioDep,
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> SessionsPublic:
    return SessionsPublic.of(studio.sessions.list(user, q=q, limit=limit, offset=offset))


@router.get("/sessions/{session_id}", summary="A session with its graph (GetSession)",
            response_model=SessionPublic, response_model_exclude_unset=True)
def get_session(session_id: str, user: CurrentUser, studio: StudioDep) -> SessionPublic:
    return SessionPublic.of_document(studio.sessions.get(user, session_id))


@router.patch("/sessions/{session_id}", summary="Rename a session",
              response_model=SessionPublic, response_model_exclude_unset=True)
def rename_session(session_id: str, body: SessionRename, user: CurrentUser, studio: StudioDep) -> SessionPublic:
    return SessionPublic.of_document(studio.sessions.rename(user, session_id, body.name))


@router.delete("/sessions/{session_id}", status_code=204,
               summary="Delete a session; a running run is stopped first and its media stay in the gallery")
async def delete_session(session_id: str, user: CurrentUser, execution: ExecutionDep) -> Response:
    await execution.delete_session(user, session_id)
    return Response(status_code=204)


@router.put("/sessions/{session_id}/flow", summary="Save the graph, viewport and tabs (PutStudioFlow)",
            response_model=SessionSummaryPublic, response_model_exclude_unset=True)
async def put_flow(session_id: str, body: FlowUpdate, user: CurrentUser, studio: StudioDep,
                   client_id: ClientId = None) -> SessionSummaryPublic:
    return await _save(studio, user, session_id, body, client_id)


@router.post("/sessions/{session_id}/open", summary="Make this the active session (sets the session cookie)",
             response_model=SessionPublic, response_model_exclude_unset=True)
def open_session(session_id: str, response: Response, user: CurrentUser, studio: StudioDep) -> SessionPublic:
    doc = studio.sessions.get(user, session_id)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict",
                        secure=studio.settings.cookie_secure, path="/")
    return SessionPublic.of_document(doc)


@router.get("/session", summary="The active session (X-Session-ID)",
            response_model=SessionPublic, response_model_exclude_unset=True)
def get_active_session(session_id: SessionId, user: CurrentUser, studio: StudioDep) -> SessionPublic:
    return SessionPublic.of_document(studio.sessions.get(user, session_id))


@router.put("/session/flow", summary="Save the active session's graph (PutStudioFlow)",
            response_model=SessionSummaryPublic, response_model_exclude_unset=True)
async def put_active_flow(body: FlowUpdate, session_id: SessionId, user: CurrentUser,
                          studio: StudioDep, client_id: ClientId = None) -> SessionSummaryPublic:
    return await _save(studio, user, session_id, body, client_id)
