"""``/api/v1/keys`` to the letter of the AI Visual Studio seed: create (defaults, the secret shown
once), list, revoke; hostile inputs answered ``invalid_request`` with the failing fields; the door's
404 for unknown ``/api/v1`` paths, its own OpenAPI document, and doors sharing one prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from conftest import Api
from miniaistudio.api.aivs import door as aivs_door
from miniaistudio.api.common.doors import Door, Doors
from miniaistudio.api.common.errors import ErrorAnswer, install_error_handlers
from miniaistudio.api.v2 import door as v2_door
from miniaistudio.api.v2.errors import v2_envelope
from miniaistudio.core.errors import NotFound
from miniaistudio.studio import Studio

from .conftest import aivs_error, create_key


async def test_create_list_revoke(api: Api, make_user: Any) -> None:
    r = await api.post("/api/v1/keys", json={"name": "CI pipeline"})
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["key"].startswith("avs_live_") and created["key"].startswith(created["prefix"])
    assert created["scopes"] == ["read"] and created["ip_allowlist"] == [] and created["expires_at"] is None
    assert created["kind"] == "avs" and created["rate_limit_per_minute"] == 60 and created["spent"] == 0
    assert created["created_at"].endswith("Z") and created["last_used_at"] is None and created["revoked_at"] is None
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    full = await create_key(api, name="Full", scopes=["read", "generate:image", "generate:video", "webhooks"],
                            ip_allowlist=["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
                            expires_at=expires.isoformat().replace("+00:00", "Z"), spend_cap=500)
    assert full["scopes"] == ["generate:image", "generate:video", "read", "webhooks"]
    assert full["ip_allowlist"] == ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"]
    assert datetime.fromisoformat(full["expires_at"]) == expires and full["spend_cap"] == 500
    await api.post("/api/v2/account/api-key/regenerate")

    listed = (await api.get("/api/v1/keys")).json()
    assert listed["total"] == 3 and [k["kind"] for k in listed["data"]] == ["mas", "avs", "avs"]
    assert listed["data"][0]["scopes"] == ["*"] and listed["data"][0]["name"] == "Personal key"
    assert all("key" not in k for k in listed["data"])

    stranger: Api = await make_user()
    r = await stranger.request("DELETE", f"/api/v1/keys/{created['id']}")
    assert r.status_code == 404 and aivs_error(r)["code"] == "not_found"
    assert (await stranger.get("/api/v1/keys")).json() == {"data": [], "total": 0}

    r = await api.request("DELETE", f"/api/v1/keys/{created['id']}")
    assert r.status_code == 200 and r.json()["revoked_at"].endswith("Z") and r.json()["id"] == created["id"]
    again = await api.request("DELETE", f"/api/v1/keys/{created['id']}")
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    assert [k["id"] for k in (await api.get("/api/v1/keys")).json()["data"]].count(created["id"]) == 0
    for missing in ("no-such-key", "x" * 5000):
        r = await api.request("DELETE", f"/api/v1/keys/{missing}")
        assert r.status_code == 404 and aivs_error(r)["code"] == "not_found"


async def test_revoking_the_personal_key_here_shows_on_its_own_endpoint(api: Api) -> None:
    await api.post("/api/v2/account/api-key/regenerate")
    personal = (await api.get("/api/v1/keys")).json()["data"][0]
    assert (await api.request("DELETE", f"/api/v1/keys/{personal['id']}")).status_code == 200
    assert (await api.get("/api/v2/account/api-key")).json() == {"enabled": False, "has_key": False,
                                                                 "prefix": None, "created_at": None}


def _fields(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 400, r.text
    error = aivs_error(r)
    assert error["code"] == "invalid_request"
    fields: dict[str, str] = error["details"]["fields"]
    assert fields and error["message"]
    return fields


PAST = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "n" * 100_000}, "name"),
    ({"name": "   "}, "name"),
    ({"name": 5}, "name"),
    ({"name": "k", "scopes": ["admin"]}, "scopes.0"),
    ({"name": "k", "scopes": ["read", "*"]}, "scopes.1"),
    ({"name": "k", "scopes": "read"}, "scopes"),
    ({"name": "k", "scopes": ["read"] * 1000}, "scopes"),
    ({"name": "k", "ip_allowlist": ["10.0.0.0/33"]}, "ip_allowlist.0"),
    ({"name": "k", "ip_allowlist": ["10.0.0.1", "example.com"]}, "ip_allowlist.1"),
    ({"name": "k", "ip_allowlist": ["::1/129"]}, "ip_allowlist.0"),
    ({"name": "k", "ip_allowlist": ["1" * 10_000]}, "ip_allowlist.0"),
    ({"name": "k", "ip_allowlist": [f"10.{i // 256 % 256}.{i % 256}.0/24" for i in range(10_000)]}, "ip_allowlist"),
    ({"name": "k", "ip_allowlist": [None]}, "ip_allowlist.0"),
    ({"name": "k", "expires_at": PAST}, "expires_at"),
    ({"name": "k", "expires_at": "yesterday"}, "expires_at"),
    ({"name": "k", "expires_at": "99999-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "k", "spend_cap": -1}, "spend_cap"),
    ({"name": "k", "spend_cap": 1.5}, "spend_cap"),
    ({"name": "k", "spend_cap": 10**30}, "spend_cap"),
    ({"name": "k", "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"name": "k", "rate_limit_per_minute": 61}, "rate_limit_per_minute"),
])
async def test_hostile_inputs_are_invalid_requests_with_fields(studio: Studio, api: Api, body: dict[str, Any],
                                                              field: str) -> None:
    fields = _fields(await api.post("/api/v1/keys", json=body))
    assert field in fields, fields
    assert (await api.get("/api/v1/keys")).json()["total"] == 0  # nothing was created


async def test_malformed_bodies(api: Api) -> None:
    for content in (b"{not json", b"[]", b'"name"', b"", b"\xff\xfe"):
        r = await api.post("/api/v1/keys", content=content, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (content, r.text)
        assert aivs_error(r)["code"] == "invalid_request"


async def test_unknown_v1_paths_answer_the_aivs_404(api: Api) -> None:
    for method in ("GET", "POST", "DELETE"):
        for path in ("/api/v1/nope", "/api/v1/jobs/a/b", "/api/v1/uploads/x", "/api/v1/keys/a/b"):
            r = await api.request(method, path)
            assert r.status_code == 404, (method, path, r.text)
            assert aivs_error(r) == {"code": "not_found", "message": f"no route {path}",
                                     "details": {"reason": "not_found"}}
    r = await api.request("PATCH", "/api/v1/keys")
    assert r.status_code == 405 and aivs_error(r)["code"] == "invalid_request"


async def test_the_door_serves_its_own_openapi_document(client: httpx.AsyncClient) -> None:
    whole = (await client.get("/openapi.json")).json()
    own = (await client.get("/api/v1/openapi.json")).json()
    assert own["info"]["title"] == aivs_door.title
    studii = {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/uploads"}  # the Studii door's, beside it
    assert set(own["paths"]) == {p for p in whole["paths"] if p.startswith("/api/v1/")} - studii
    assert {"/api/v1/keys", "/api/v1/keys/{key_id}", "/api/v1/generate/image", "/api/v1/generations",
            "/api/v1/generations/{generation_id}", "/api/v1/models"} <= set(own["paths"])
    create = own["paths"]["/api/v1/keys"]["post"]
    assert create["responses"]["default"]["description"] == "An error"
    body = own["components"]["schemas"]["AivsKeyCreate"]
    assert body["required"] == ["name"]
    assert set(body["properties"]) >= {"name", "scopes", "ip_allowlist", "expires_at"}


# -- doors sharing a prefix (Studii's /api/v1/jobs beside AI Visual Studio) -------------------------
def _studii_envelope(error: ErrorAnswer) -> Any:
    from fastapi.responses import JSONResponse
    return JSONResponse({"studii_error": error.code}, status_code=error.status)


def _shared_prefix_app() -> FastAPI:
    studii = APIRouter(prefix="/api/v1")

    @studii.get("/jobs/{job_id}")
    def job(job_id: str) -> None:
        raise NotFound(f"no job {job_id}")

    second = Door(name="studii", prefix="/api/v1", router=studii, envelope=_studii_envelope, title="Studii",
                  answers_unknown_paths=False, openapi_path="/api/v1/studii/openapi.json")
    app = FastAPI()
    doors = Doors([v2_door, second, aivs_door], fallback=v2_envelope)
    install_error_handlers(app, doors.envelope_for)
    doors.mount(app, "test")
    return app


async def test_doors_sharing_a_prefix_answer_their_own_routes() -> None:
    transport = httpx.ASGITransport(app=_shared_prefix_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as c:
        r = await c.get("/api/v1/jobs/j1")  # Studii's route: Studii's envelope
        assert r.status_code == 404 and r.json() == {"studii_error": "NOT_FOUND"}
        r = await c.post("/api/v1/jobs/j1")  # Studii's path, another method: still Studii's
        assert r.status_code == 405 and r.json() == {"studii_error": "METHOD_NOT_ALLOWED"}
        r = await c.get("/api/v1/nope")  # unknown: AI Visual Studio answers
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = await c.patch("/api/v1/keys")  # AIVS's own path, another method: AIVS's envelope
        assert r.status_code == 405 and r.json()["error"]["code"] == "invalid_request"
        r = await c.get("/api/v2/nope")
        assert r.json() == {"code": "NOT_FOUND", "message": "no route /api/v2/nope"}
        assert set((await c.get("/api/v1/studii/openapi.json")).json()["paths"]) == {"/api/v1/jobs/{job_id}"}
        assert "/api/v1/keys" in (await c.get("/api/v1/openapi.json")).json()["paths"]
