"""The ASGI application: /api/v2, OpenAPI docs at /docs, and the web canvas at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .api.errors import install_error_handlers
from .api.v2 import router as v2_router
from .config import Settings, load_settings
from .studio import Studio

WEB_DIST = Path(__file__).parent / "web_dist"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, studio: Studio | None = None) -> FastAPI:
    settings = settings or load_settings()
    studio = studio or Studio(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await studio.start()
        try:
            yield
        finally:
            await studio.stop()

    app = FastAPI(title="Mini AI Studio", version=__version__, lifespan=lifespan,
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.studio = studio
    install_error_handlers(app)
    app.include_router(v2_router)
    _mount_web(app)
    return app


def _mount_web(app: FastAPI) -> None:
    index = WEB_DIST / "index.html"
    if not index.is_file():
        @app.get("/", include_in_schema=False)
        def no_web() -> JSONResponse:
            return JSONResponse({"message": "Mini AI Studio API is running; the web canvas is not built. "
                                            "Run `make web` or `make run`.", "docs": "/docs"})
        return
    if (WEB_DIST / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=WEB_DIST / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        # Client-side routes all load the single page; API paths never reach here.
        if path.startswith("api/"):
            from .core.errors import NotFound

            raise NotFound(f"no API route /{path}")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
