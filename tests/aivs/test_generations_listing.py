"""``GET /api/v1/generations`` (filters, paging), ``GET /api/v1/generations/{id}`` (only the caller's)
and ``GET /api/v1/models`` (the registry in the seed's shape), as the seed's examples ask them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conftest import Api
from miniaistudio.studio import Studio

from .conftest import IMAGE_MODEL, IMAGE_PRICE, aivs_error, bearer, create_key, generation_when, install_image_model

pytestmark = pytest.mark.timeout(180)


async def test_list_filter_page_and_get(studio: Studio, admin: Api, make_user: Any, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    api: Api = await make_user()
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], 100, reason="test grant")
    key = (await create_key(api, scopes=["read", "generate:image"]))["key"]
    ids = []
    for n in range(3):
        r = await api.client.post("/api/v1/generate/image", headers=bearer(key),
                                  json={"prompt": f"picture {n}", "output_format": "png"})
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
        await generation_when(api, key, ids[-1], "completed")

    # The seed's example: curl -X GET ".../api/v1/generations?limit=10&type=image"
    r = await api.client.get("/api/v1/generations?limit=10&type=image", headers=bearer(key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and [g["id"] for g in body["data"]] == ids[::-1]  # newest first
    assert all(g["status"] == "completed" and g["output_url"] for g in body["data"])
    page = (await api.client.get("/api/v1/generations", params={"limit": 2, "offset": 2},
                                 headers=bearer(key))).json()
    assert [g["id"] for g in page["data"]] == [ids[0]] and page["total"] == 3
    for params, total in (({"type": "video"}, 0), ({"status": "failed"}, 0), ({"status": "processing"}, 0),
                          ({"status": "completed"}, 3)):
        found = (await api.client.get("/api/v1/generations", params=params, headers=bearer(key))).json()
        assert found["total"] == total, (params, found)
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"type": "audio"}, {"status": "queued"}):
        r = await api.client.get("/api/v1/generations", params=params, headers=bearer(key))
        assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request", (params, r.text)

    one = (await api.client.get(f"/api/v1/generations/{ids[1]}", headers=bearer(key))).json()
    assert one["prompt"] == "picture 1" and one["model"] == IMAGE_MODEL and one["type"] == "image"
    assert one["credits_charged"] == IMAGE_PRICE and one["output_format"] == "png"

    # Another user's generation does not exist for them.
    other: Api = await make_user()
    other_key = (await create_key(other, scopes=["read"]))["key"]
    r = await other.client.get(f"/api/v1/generations/{ids[1]}", headers=bearer(other_key))
    assert r.status_code == 404 and aivs_error(r)["code"] == "not_found"
    assert (await other.client.get("/api/v1/generations", headers=bearer(other_key))).json()["total"] == 0


async def test_models_in_the_seeds_shape(admin: Api, tiny_sd: Path) -> None:
    installed = await install_image_model(admin, tiny_sd)
    key = (await create_key(admin, scopes=["read"]))["key"]
    r = await admin.client.get("/api/v1/models", headers=bearer(key))
    assert r.status_code == 200, r.text
    assert r.json() == {"data": [{"id": installed["id"], "name": IMAGE_MODEL, "type": "image",
                                  "credits_per_generation": IMAGE_PRICE,
                                  "description": f"{IMAGE_MODEL} (text-to-image, installed)",
                                  "category": "image-generation"}], "total": 1}
    video = (await admin.client.get("/api/v1/models?type=video", headers=bearer(key))).json()
    assert video == {"data": [], "total": 0}
    r = await admin.client.get("/api/v1/models?type=audio", headers=bearer(key))
    assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request"
