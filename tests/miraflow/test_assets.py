"""Mockup assets: the seed's generate and edit examples; edit instructions the studio can do for real run
on their nodes (background removal on u2netp, classical upscale, greyscale), others on the edit model;
``GET /api/mockup/{jobId}/status`` in the seed's words; the assets list; refusals."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from conftest import Api
from miniaistudio.config import Settings
from miniaistudio.runtimes.models.vision_assets import place_u2netp
from miraflow.conftest import FIXTURES, failure, install, miraflow_key, poll, upload, xkey

pytestmark = pytest.mark.timeout(240)

SEED_GENERATE = {"prompt": "minimalist tech company logo", "type": "logo"}


def seed_edit(media_id: str) -> dict[str, Any]:
    return {"imageMediaId": media_id, "imageBase64": "string", "prompt": "Remove the background", "type": "logo"}


@pytest.fixture
async def admin(make_user: Any) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


def product_photo() -> bytes:
    image = Image.open(FIXTURES / "coffee.png").convert("RGB")
    image.thumbnail((256, 256))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def finished(api: Api, key: str, job_id: str) -> dict[str, Any]:
    body = await poll(api, key, f"/api/mockup/{job_id}/status", lambda b: b["status"] in ("completed", "failed"))
    assert body["result"] == "success" and body["status"] == "completed", body
    assert body["imageUrl"] == f"/api/media/{body['mediaId']}/view"
    return body


async def image_of(api: Api, key: str, status: dict[str, Any]) -> Image.Image:
    r = await api.client.get(status["imageUrl"], headers=xkey(key))
    assert r.status_code == 200, r.text
    return Image.open(io.BytesIO(r.content))


async def test_generate_and_edit_assets_as_the_seed_shows(api: Api, admin: Api, tiny_sd: Path,
                                                          settings: Settings) -> None:
    place_u2netp(settings.resolved_models_dir)
    await install(admin, tiny_sd, name="tiny-sd", default_params={"steps": 2})
    key = await miraflow_key(api)
    r = await api.client.post("/api/mockup/asset/generate", json=SEED_GENERATE, headers=xkey(key))
    assert r.status_code == 200 and set(r.json()) == {"result", "jobId"}, r.text
    generated = await finished(api, key, r.json()["jobId"])

    photo = await upload(api, product_photo(), "mug.png")
    r = await api.client.post("/api/mockup/asset/edit", json=seed_edit(photo), headers=xkey(key))
    assert r.status_code == 200, r.text
    cut = await image_of(api, key, await finished(api, key, r.json()["jobId"]))
    alpha = np.asarray(cut.convert("RGBA"))[..., 3]
    assert (alpha < 10).mean() > 0.1 and (alpha > 245).mean() > 0.1, "a cut-out: background gone, object kept"

    encoded = base64.b64encode(product_photo()).decode()
    r = await api.client.post("/api/mockup/asset/edit", headers=xkey(key),
                              json={"imageBase64": f"data:image/png;base64,{encoded}", "prompt": "Upscale it",
                                    "type": "product"})
    assert r.status_code == 200, r.text
    source = Image.open(io.BytesIO(product_photo()))
    upscaled = await image_of(api, key, await finished(api, key, r.json()["jobId"]))
    assert upscaled.size == (source.width * 2, source.height * 2)

    r = await api.client.post("/api/mockup/asset/edit", data={"prompt": "Make it black and white", "type": "product"},
                              files={"image": ("mug.png", product_photo(), "image/png")}, headers=xkey(key))
    assert r.status_code == 200, r.text
    grey = np.asarray((await image_of(api, key, await finished(api, key, r.json()["jobId"]))).convert("RGB"))
    assert np.abs(grey[..., 0].astype(int) - grey[..., 2].astype(int)).max() <= 2

    r = await api.client.post("/api/mockup/asset/edit", headers=xkey(key),
                              json={"imageMediaId": photo, "prompt": "Add a small red ribbon", "type": "product"})
    assert r.status_code == 200, r.text
    await finished(api, key, r.json()["jobId"])  # the edit model (tiny SD img2img)

    listed = (await api.client.get("/api/mockup/assets", headers=xkey(key))).json()
    assert listed["result"] == "success" and len(listed["assets"]) == 5
    oldest = listed["assets"][-1]
    assert oldest["name"] == "AI Generated logo" and oldest["type"] == "logo"
    assert oldest["mediaId"] == generated["mediaId"]
    assert set(oldest) == {"id", "type", "name", "imageUrl", "mediaId", "createdAt"}


async def test_refusals_and_not_found(api: Api, make_user: Any) -> None:
    key = await miraflow_key(api)
    failure(await api.client.post("/api/mockup/asset/edit", json={"prompt": "x", "type": "logo"}, headers=xkey(key)),
            400, "INVALID_REQUEST")
    failure(await api.client.post("/api/mockup/asset/edit", json={"imageBase64": "***", "prompt": "x", "type": "logo"},
                                  headers=xkey(key)), 400, "INVALID_REQUEST")
    r = await api.client.post("/api/mockup/asset/edit", headers=xkey(key), json={
        "imageBase64": base64.b64encode(b"not an image").decode(), "prompt": "x", "type": "logo"})
    assert r.status_code == 415 and r.json()["result"] == "failure", r.text
    failure(await api.client.post("/api/mockup/asset/generate", json={"prompt": "x", "type": "banner"},
                                  headers=xkey(key)), 400, "INVALID_REQUEST")
    r = await api.client.post("/api/mockup/asset/generate", json=SEED_GENERATE, headers=xkey(key))
    job_id = r.json()["jobId"]
    failed = await poll(api, key, f"/api/mockup/{job_id}/status", lambda b: b["status"] in ("completed", "failed"))
    assert failed["status"] == "failed" and failed["reason"], failed  # no text-to-image model installed
    other_key = await miraflow_key(await make_user())
    failure(await api.client.get(f"/api/mockup/{job_id}/status", headers=xkey(other_key)), 404, "JOB_NOT_FOUND")
    photo = await upload(api, product_photo(), "mug.png")
    failure(await api.client.post("/api/mockup/asset/edit", json=seed_edit(photo), headers=xkey(other_key)), 404,
            "MEDIA_NOT_FOUND")
    assert (await api.client.get("/api/mockup/assets", headers=xkey(other_key))).json()["assets"] == []
