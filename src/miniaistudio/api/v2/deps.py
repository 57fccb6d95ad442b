"""v2 request dependencies: the active session (``X-Session-ID`` or its cookie) and the execution service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ...core.errors import MissingSessionId
from ...services.execution import Execution
from ..common.deps import StudioDep

SESSION_COOKIE = "mas_session"


def get_session_id(request: Request) -> str:
    value = (request.headers.get("x-session-id") or request.cookies.get(SESSION_COOKIE) or "").strip()
    if not value:
        raise MissingSessionId("this endpoint needs the X-Session-ID header or a session cookie")
    return value


SessionId = Annotated[str, Depends(get_session_id)]


def get_execution(studio: StudioDep) -> Execution:
    assert studio.execution is not None, "studio not started"
    return studio.execution


ExecutionDep = Annotated[Execution, Depends(get_execution)]
