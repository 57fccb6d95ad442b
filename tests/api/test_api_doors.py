"""Doors: each dialect answers its own paths, its own errors and its own OpenAPI document; the
canvas page is served for the canvas's routes only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from conftest import Api
from miniaistudio import app as app_module
from miniaistudio.api.common.doors import Door, Doors
from miniaistudio.api.common.errors import ErrorAnswer, install_error_handlers
from miniaistudio.api.common.forwarded import TrustedProxies
from miniaistudio.api.common.hosts import AllowedHosts, HostGuard
from miniaistudio.api.v2 import door as v2_door
from miniaistudio.api.v2.errors import v2_envelope
from miniaistudio.api.v2.urls import V2_URLS
from miniaistudio.app import create_app
from miniaistudio.core.errors import SessionNotFound
from miniaistudio.core.urls import MediaUris
from miniaistudio.core.values import MediaRef, encode_value, public_outputs
from miniaistudio.studio import Studio

from .conftest import error_of

CANVAS_PAGES = ("/", "/login", "/sessions", "/sessions/abc", "/studio/0b6c", "/gallery", "/profile",
                "/profile/api-key", "/billing", "/invitations", "/apps", "/models")
NOT_CANVAS = ("/nope", "/v1/chat/completions", "/studio", "/studio/a/b", "/gallery/x", "/index.html",
              "/api", "/api/v3/ping", "/openapi.jsonx")


@pytest.fixture
async def web_client(studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                     ) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a built canvas (a stand-in index.html), whether or not web/ was built."""
    dist = tmp_path / "web_dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>canvas</title>")
    monkeypatch.setattr(app_module, "WEB_DIST", dist)
    transport = httpx.ASGITransport(app=create_app(studio.settings, studio))
    async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as c:
        yield c


async def test_canvas_page_only_for_canvas_routes(web_client: httpx.AsyncClient) -> None:
    for path in CANVAS_PAGES:
        r = await web_client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert r.headers["x-frame-options"] == "DENY"  # the perimeter wraps the page too
    for path in NOT_CANVAS:
        r = await web_client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/json"), path
        assert error_of(r)["code"] == "NOT_FOUND"


async def test_unknown_door_paths_answer_the_door_404(api: Api, web_client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        for path in ("/api/v2/nope", "/api/v2/sessions/x/y/z", "/api/v2/media/a/b/c/d"):
            r = await web_client.request(method, path, headers=api.headers)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json() == {"code": "NOT_FOUND", "message": f"no route {path}"}


async def test_wrong_method_on_a_known_path_is_405(api: Api, web_client: httpx.AsyncClient) -> None:
    r = await web_client.request("PATCH", "/api/v2/ping", headers=api.headers)
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    r = await web_client.post("/gallery", headers=api.headers)
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_each_door_serves_its_own_openapi_and_the_app_document_shows_v2(client: httpx.AsyncClient) -> None:
    whole = (await client.get("/openapi.json")).json()
    own = (await client.get("/api/v2/openapi.json")).json()
    assert own["info"]["title"] == v2_door.title
    assert set(own["paths"]) == {p for p in whole["paths"] if p.startswith("/api/v2/")}
    assert "/api/v2/ping" in own["paths"]
    assert (await client.get("/docs")).status_code == 200


# -- a second door beside v2 ----------------------------------------------------------------------
class _Echo(BaseModel):
    text: str


def _aivs_envelope(error: ErrorAnswer) -> JSONResponse:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details or {}}}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def _two_door_app() -> tuple[FastAPI, Doors]:
    aivs = APIRouter(prefix="/api/aivs")

    @aivs.post("/echo")
    def echo(body: _Echo) -> _Echo:
        return body

    @aivs.get("/sessions/{session_id}")
    def session(session_id: str) -> None:
        raise SessionNotFound(f"no session {session_id}")

    second = Door(name="aivs", prefix="/api/aivs", router=aivs, envelope=_aivs_envelope, title="AIVS")
    app = FastAPI()
    doors = Doors([v2_door, second], fallback=v2_envelope)
    install_error_handlers(app, doors.envelope_for)
    doors.mount(app, "test")
    return app, doors


async def test_a_second_door_answers_errors_in_its_own_envelope() -> None:
    transport = httpx.ASGITransport(app=_two_door_app()[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as c:
        r = await c.get("/api/aivs/nope")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
        r = await c.get("/api/aivs/sessions/s1")
        assert r.status_code == 404 and r.json() == {
            "error": {"code": "SESSION_NOT_FOUND", "message": "no session s1", "details": {}}}
        r = await c.post("/api/aivs/echo", json={"txt": 1})
        assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_REQUEST"
        assert r.json()["error"]["details"]["errors"][0]["field"] == "body.text"
        r = await c.post("/api/v2/nope")  # v2 keeps its own envelope beside it
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
        r = await c.post("/api/aivsx/echo")  # a prefix is a whole path segment
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
        own = (await c.get("/api/aivs/openapi.json")).json()
        assert set(own["paths"]) == {"/api/aivs/echo", "/api/aivs/sessions/{session_id}"}


async def test_perimeter_refusals_use_the_envelope_of_the_door() -> None:
    app, doors = _two_door_app()
    guarded = HostGuard(app, hosts=AllowedHosts(["studio.test"]), proxies=TrustedProxies.parse([]),
                        envelope_for=doors.envelope_for)
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as c:
        r = await c.get("/api/aivs/echo")
        assert r.status_code == 400 and r.json()["error"]["code"] == "HOST_NOT_ALLOWED", r.text
        r = await c.get("/api/v2/ping")
        assert r.status_code == 400 and r.json()["code"] == "HOST_NOT_ALLOWED"


# -- URLs: each door addresses media its own way; the core and the services spell no HTTP path ------
def test_core_spells_no_door_url_and_no_one_else_spells_a_media_url() -> None:
    package = Path(app_module.__file__).parent
    for source in (package / "core").rglob("*.py"):
        assert "/api/" not in source.read_text(), source
    for folder in ("services", "executors", "nodes", "store", "runtimes"):
        for source in (package / folder).rglob("*.py"):
            assert "/download" not in source.read_text(), source


class _SignedUrls:
    def media_download(self, media_id: str) -> str:
        return f"https://cdn.example/{media_id}?sig=x"


def test_media_outputs_are_addressed_by_the_given_urls() -> None:
    ref = MediaRef(media_id="m1", kind="image", mime="image/png", storage_key="k/m1.png", width=2, height=3)
    encoded = {"image": encode_value(ref), "images": [encode_value(ref)], "text": "hi"}
    public = public_outputs(encoded, _SignedUrls())
    assert public == {"image": ref.public(_SignedUrls()), "images": [ref.public(_SignedUrls())], "text": "hi"}
    assert public["image"] == {"media_id": "m1", "kind": "image", "mime": "image/png", "width": 2, "height": 3,
                               "duration": None, "url": "https://cdn.example/m1?sig=x"}
    assert public_outputs(encoded, V2_URLS)["image"]["url"] == "/api/v2/media/m1/download"  # type: ignore[index]
    assert MediaUris().media_download("m1") == "media:m1"  # an engine no door serves
