"""Doors: each HTTP dialect (``/api/v2`` today, compatibility APIs beside it) is a prefix with its
own routers, error envelope and OpenAPI document. One app holds them all, so the perimeter
middlewares wrap every door; errors are shaped by the door whose prefix the path is under."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from .errors import Envelope


@dataclass(frozen=True)
class Door:
    """One dialect: everything under ``prefix`` is answered by ``router`` and errors by ``envelope``."""

    name: str
    prefix: str
    router: APIRouter
    envelope: Envelope
    title: str

    def owns(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    @property
    def openapi_url(self) -> str:
        return f"{self.prefix}/openapi.json"


class Doors:
    """The app's doors, and the envelope for paths under none of them (``fallback``)."""

    def __init__(self, doors: Sequence[Door], fallback: Envelope) -> None:
        # longest prefix first, so a door nested in another's prefix wins for its own paths
        self.doors = tuple(sorted(doors, key=lambda d: len(d.prefix), reverse=True))
        self.fallback = fallback

    def door_for(self, path: str) -> Door | None:
        return next((door for door in self.doors if door.owns(path)), None)

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
