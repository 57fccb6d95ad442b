"""The ASGI application: the doors (/api/v2, AI Visual Studio's /api/v1, Magnific's /v1/ai), OpenAPI docs at
/docs, and the web canvas at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .api.aivs import door as aivs_door
from .api.aivs.generation_jobs import install_generation_events
from .api.common.api_docs import mount_api_docs
from .api.common.authentication import Authenticator, EarlyAuthentication
from .api.common.body_limits import BodyLimits
from .api.common.doors import Doors
from .api.common.errors import install_error_handlers
from .api.common.forwarded import TrustedProxies
from .api.common.hosts import AllowedHosts, HostGuard
from .api.common.origin import CrossSiteGuard
from .api.common.rate_limit_headers import RateLimitHeaders
from .api.common.security_headers import SecurityHeaders
from .api.files import UPLOAD_PATH
from .api.files import door as files_door
from .api.magnific import door as magnific_door
from .api.magnific.run_events import install_run_events
from .api.miraflow import door as miraflow_door
from .api.studii import door as studii_door
from .api.v2 import door as v2_door
from .api.v2.errors import v2_envelope
from .api.v2.topups import WEBHOOK_PATH as STRIPE_WEBHOOK_PATH
from .config import Settings, load_settings
from .studio import Studio

WEB_DIST = Path(__file__).parent / "web_dist"
#: The canvas's own client routes (web/src/lib/router.ts); any other path outside a door is a 404.
CANVAS_ROUTES = ("/", "/login", "/sessions", "/sessions/{rest:path}", "/studio/{session_id}", "/gallery",
                 "/billing", "/invitations", "/profile", "/profile/{tab}", "/apps", "/models")
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
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.studio = studio
    install_generation_events(studio)
    install_run_events(studio)
    doors = Doors([v2_door, aivs_door, studii_door, files_door, magnific_door, miraflow_door],
                  fallback=v2_envelope)
    install_error_handlers(app, doors.envelope_for)
    doors.mount(app, __version__)
    mount_api_docs(app, openapi_url="/openapi.json", title=app.title)
    _mount_web(app)
    _install_perimeter(app, settings, studio, doors)
    return app


#: Webhooks that a payment provider signs: no studio credential, no browser origin; the route checks
#: the signature before anything else.
SIGNED_WEBHOOK_PATHS = frozenset({STRIPE_WEBHOOK_PATH})
#: Routes that take a body without a credential.
PUBLIC_BODY_PATHS = frozenset({"/api/v2/auth/login", *SIGNED_WEBHOOK_PATHS, UPLOAD_PATH})
#: Routes that stream their body to disk under ``max_upload_bytes`` (``api/common/uploads.py``).
STREAMED_UPLOAD_PATHS = frozenset({"/api/v2/media/upload", UPLOAD_PATH})


def _install_perimeter(app: FastAPI, settings: Settings, studio: Studio, doors: Doors) -> None:
    """What every request passes, outermost first: security headers on every answer, known Host
    names, same-origin for cookie-authenticated writes, authentication before any body is read,
    body caps."""
    proxies = TrustedProxies.parse(settings.trusted_proxies)
    app.state.proxies = proxies  # for dependencies: client address, https
    authenticator = Authenticator(studio.accounts, studio.api_keys, studio.key_rate_limiter, proxies)
    app.state.authenticator = authenticator  # for the dependencies that resolve the caller
    hosts = AllowedHosts([*settings.allowed_hosts, settings.host, *settings.public_hosts])
    # add_middleware wraps: the last one added runs first.
    # Their refusals are answered in the envelope of the door the path is under.
    envelope_for = doors.envelope_for
    app.add_middleware(BodyLimits, max_bytes=settings.max_json_body_bytes,
                       streamed_upload_paths=STREAMED_UPLOAD_PATHS, envelope_for=envelope_for)
    app.add_middleware(EarlyAuthentication, authenticate=authenticator.verify, public_paths=PUBLIC_BODY_PATHS,
                       envelope_for=envelope_for)
    app.add_middleware(RateLimitHeaders)  # X-RateLimit-* on every answer to a key-authenticated request
    app.add_middleware(CrossSiteGuard, proxies=proxies, envelope_for=envelope_for,
                       exempt_paths=SIGNED_WEBHOOK_PATHS | {UPLOAD_PATH})  # a signed upload's token is its credential
    app.add_middleware(HostGuard, hosts=hosts, proxies=proxies, envelope_for=envelope_for)
    app.add_middleware(SecurityHeaders)


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

    def canvas() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    for route in CANVAS_ROUTES:
        app.add_api_route(route, canvas, methods=["GET"], include_in_schema=False)
