"""Helpers for the API key tests: the real app (optionally with other settings or another peer
address), keys created through ``/api/v1/keys``, and probe routes that declare each scope the way
the AI Visual Studio routes do (``RequireScope``), mounted under the door's prefix of the real app."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from conftest import TEST_HOST, Api
from miniaistudio.api.common.deps import RequireScope
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.core.errors import SessionNotFound
from miniaistudio.core.policy import AIVS_SCOPES, ApiScope
from miniaistudio.studio import Studio

ORIGIN = f"http://{TEST_HOST}"
PROBE = "/api/v1/_probe"


class ProbePublic(BaseModel):
    scope: str


def probe_router() -> APIRouter:
    """``GET /api/v1/_probe/<scope>`` needs that scope; ``.../missing`` answers a 404 after authentication."""
    router = APIRouter(prefix=PROBE)
    for scope in AIVS_SCOPES:
        def answer(scope: ApiScope = scope) -> ProbePublic:
            return ProbePublic(scope=scope.value)
        router.add_api_route(f"/{scope.value}", answer, methods=["GET"], response_model=ProbePublic,
                             dependencies=[Depends(RequireScope(scope))])

    @router.get("/missing", dependencies=[Depends(RequireScope(ApiScope.READ))])
    def missing() -> None:
        raise SessionNotFound("nothing here")

    return router


def app_client(studio: Studio, settings: Settings | None = None, *, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    """The real app (its doors, perimeter and authentication) plus the probe routes, seen from ``peer``."""
    app = create_app(settings or studio.settings, studio)
    app.include_router(probe_router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 50000)), base_url=ORIGIN)


async def create_key(api: Api, **body: Any) -> dict[str, Any]:
    """A new AI Visual Studio key of ``api``'s user (``name`` defaults to "test key")."""
    r = await api.post("/api/v1/keys", json={"name": "test key", **body})
    assert r.status_code == 200, r.text
    created: dict[str, Any] = r.json()
    return created


def aivs_error(r: httpx.Response) -> dict[str, Any]:
    """The AI Visual Studio error body ``{"error": {"code", "message", "details"}}``, checked."""
    body = r.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}, body
    assert isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str), body
    assert isinstance(error["details"], dict), body
    return error


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
