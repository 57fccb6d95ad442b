"""Request dependencies: the studio, the signed-in principal and the active session id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..core.errors import AuthorizationHeaderRequired, MissingSessionId, Unauthorized
from ..core.policy import Principal
from ..services.execution import Execution
from ..studio import Studio

TOKEN_COOKIE = "mas_token"
SESSION_COOKIE = "mas_session"


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def get_principal(request: Request, studio: StudioDep) -> Principal:
    header = request.headers.get("authorization")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        return studio.accounts.principal_for(credential.strip())
    api_key = request.headers.get("x-api-key")
    if api_key:
        return studio.accounts.principal_for(api_key.strip())
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie:
        return studio.accounts.principal_for(cookie)
    raise AuthorizationHeaderRequired("sign in or send 'Authorization: Bearer <token or mas_ key>'")


CurrentUser = Annotated[Principal, Depends(get_principal)]


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
