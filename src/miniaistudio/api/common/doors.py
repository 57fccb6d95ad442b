"""Doors: each HTTP dialect (``/api/v2``, ``/api/v1`` for AI Visual Studio, more beside them) is a prefix
with its own routers, error envelope and OpenAPI document. One app holds them all, so the perimeter
middlewares wrap every door; errors are shaped by the door the path belongs to.

Several dialects may share a prefix (AI Visual Studio and Studii both live under ``/api/v1``): a path
then belongs to the door one of whose routes matches it, and an unknown path under the prefix to the
door that ``answers_unknown_paths``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.routing import Match

from .errors import Envelope


@dataclass(frozen=True)
class Door:
    """One dialect: everything under ``prefix`` is answered by ``router`` and errors by ``envelope``."""

    name: str
    prefix: str
    router: APIRouter
    envelope: Envelope
    title: str
    #: Unknown paths under the prefix answer this door's 404; a door that shares its prefix and
    #: should claim only its own routes sets False.
    answers_unknown_paths: bool = True
    #: Where its OpenAPI document is served (default ``<prefix>/openapi.json``; doors sharing a prefix
    #: need distinct ones).
    openapi_path: str = ""

    def owns(self, path: str) -> bool:
        """Whether ``path`` is under the door's prefix (a whole path segment)."""
        return path == self.prefix or path.startswith(self.prefix + "/")

    def routes_match(self, path: str) -> bool:
        """Whether one of the door's own routes (any method) matches ``path``. Asked through each route's
        ``matches`` (a partial match is the path with another method): FastAPI keeps included routers
        as routes of their own, without a ``path_regex``."""
        scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": [], "query_string": b""}
        return any(route.matches(scope)[0] != Match.NONE for route in self.router.routes)

    @property
    def openapi_url(self) -> str:
        return self.openapi_path or f"{self.prefix}/openapi.json"


class Doors:
    """The app's doors, and the envelope for paths under none of them (``fallback``)."""

    def __init__(self, doors: Sequence[Door], fallback: Envelope) -> None:
        # longest prefix first, so a door nested in another's prefix wins for its own paths
        self.doors = tuple(sorted(doors, key=lambda d: len(d.prefix), reverse=True))
        self.fallback = fallback

    def door_for(self, path: str) -> Door | None:
        candidates = [door for door in self.doors if door.owns(path)]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        longest = len(candidates[0].prefix)
        sharing = [door for door in candidates if len(door.prefix) == longest]
        if len(sharing) == 1:  # a door nested in another's prefix wins for its own paths
            return sharing[0]
        return (next((door for door in sharing if door.routes_match(path)), None)
                or next((door for door in sharing if door.answers_unknown_paths), sharing[0]))

    def envelope_for(self, path: str) -> Envelope:
        door = self.door_for(path)
        return door.envelope if door is not None else self.fallback

    def mount(self, app: FastAPI, version: str) -> None:
        """Include every door's routers, and serve each door's own OpenAPI document."""
        for door in self.doors:
            app.include_router(door.router)
            _serve_openapi(app, door, version)


def _serve_openapi(app: FastAPI, door: Door, version: str) -> None:
    cached: dict[str, Any] = {}

    @app.get(door.openapi_url, include_in_schema=False, name=f"{door.name}-openapi")
    def door_openapi() -> JSONResponse:
        if not cached:
            cached.update(get_openapi(title=door.title, version=version, routes=door.router.routes))
        return JSONResponse(cached)
