"""The door itself: keys from the Keys tab's call sent as ``x-api-key``, the failure envelope, media view
with access checks, the OpenAPI document for download."""

from __future__ import annotations

from conftest import Api
from miraflow.conftest import failure, miraflow_key, png, upload, xkey


async def test_a_miraflow_key_is_made_from_a_signed_in_session_and_never_with_a_key(api: Api) -> None:
    key = await miraflow_key(api)
    listed = (await api.get("/api/v1/keys")).json()["data"]
    assert any(k["kind"] == "mfl" and k["prefix"].startswith("mfl_live_") for k in listed)
    r = await api.client.post("/api/keys", json={"name": "from a key"}, headers=xkey(key))
    failure(r, 403, "INSUFFICIENT_SCOPE")
    # a Miraflow key does not open /api/v2
    assert (await api.client.get("/api/v2/auth/me", headers=xkey(key))).status_code == 403


async def test_auth_failures_answer_the_seed_failure_envelope(api: Api) -> None:
    failure(await api.client.get("/api/media/x/view"), 401, "AUTHORIZATION_HEADER_REQUIRED")
    failure(await api.client.get("/api/media/x/view", headers=xkey("mfl_live_" + "a" * 38)), 401, "UNAUTHORIZED")
    key = await miraflow_key(api, ["generate:image"])
    failure(await api.client.get("/api/media/x/view", headers=xkey(key)), 403, "INSUFFICIENT_SCOPE")


async def test_media_view_serves_the_callers_media_and_hides_others(api: Api, make_user) -> None:  # type: ignore[no-untyped-def]
    media_id = await upload(api, png())
    key = await miraflow_key(api)
    r = await api.client.get(f"/api/media/{media_id}/view", headers=xkey(key))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png()
    other = await make_user()
    other_key = await miraflow_key(other)
    failure(await api.client.get(f"/api/media/{media_id}/view", headers=xkey(other_key)), 404, "MEDIA_NOT_FOUND")
    failure(await api.client.get("/api/media/not-a-media/view", headers=xkey(key)), 404, "MEDIA_NOT_FOUND")


async def test_unknown_paths_under_api_answer_the_miraflow_404(api: Api) -> None:
    key = await miraflow_key(api)
    failure(await api.client.get("/api/no-such-thing", headers=xkey(key)), 404, "NOT_FOUND")
    assert "result" not in (await api.client.get("/api/v2/no-such-thing", headers=xkey(key))).json()


async def test_the_openapi_document_is_served_for_download(api: Api) -> None:
    r = await api.client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"] == "Miraflow API"
    assert "/api/media/{mediaId}/view" in doc["paths"]
    assert not any(path.startswith(("/api/v1", "/api/v2")) for path in doc["paths"])
