"""Image jobs on tiny SD: the seed's example bodies for text-to-image, edit (JSON media ids and
multipart files) and inpaint, followed with ``GET /api/image/{jobId}`` to the seed's result; a missing
model fails the job with its reason; another user's job and media answer the seed's not-found."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from conftest import Api
from miraflow.conftest import failure, install, miraflow_key, png, poll, upload, xkey

pytestmark = pytest.mark.timeout(240)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEED_TEXT_TO_IMAGE = {"prompt": "A photorealistic portrait of an adult person with natural lighting",
                      "name": "My generated image", "aspectRatio": "1:1",
                      "negativePrompt": "blurry, low quality, distorted", "seed": 12345}


def seed_edit(reference: str) -> dict[str, Any]:
    return {"referenceImageMediaId": reference, "prompt": "Turn this photo into a professional business headshot",
            "name": "My image editing job", "aspectRatio": "1:1", "negativePrompt": "blurry, low quality",
            "seed": 12345}


def seed_inpaint(original: str, mask: str) -> dict[str, Any]:
    return {"originalImageMediaId": original, "maskImageMediaId": mask, "prompt": "Change to blue",
            "name": "My inpainting job", "aspectRatio": "1:1", "negativePrompt": "blurry, low quality",
            "seed": 12345}


def finished(body: dict[str, Any]) -> bool:
    return "mediaId" in body or body.get("status") == "failed"


async def result_of(api: Api, key: str, job_id: str) -> dict[str, Any]:
    return await poll(api, key, f"/api/image/{job_id}", finished)


async def image_of(api: Api, result: dict[str, Any]) -> Image.Image:
    url = urlsplit(result["downloadUrl"])
    r = await api.client.get(f"{url.path}?{url.query}")  # the signed link: no key
    assert r.status_code == 200, r.text
    return Image.open(io.BytesIO(r.content))


@pytest.fixture
async def admin(make_user: Any) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


async def test_text_to_image_edit_and_inpaint_run_the_seeds_examples(api: Api, admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd, name="tiny-sd", default_params={"steps": 2})
    key = await miraflow_key(api)
    r = await api.client.post("/api/image/generate", json=SEED_TEXT_TO_IMAGE, headers=xkey(key))
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["result"] == "success" and set(accepted) == {"result", "jobId"}
    done = await result_of(api, key, accepted["jobId"])
    assert set(done) == {"id", "name", "prompt", "createdAt", "downloadUrl", "mediaId"}, done
    assert done["id"] == accepted["jobId"] and done["name"] == "My generated image"
    assert done["prompt"] == SEED_TEXT_TO_IMAGE["prompt"] and ISO_MS.match(done["createdAt"])
    generated = await image_of(api, done)
    assert generated.width == generated.height
    view = await api.client.get(f"/api/media/{done['mediaId']}/view", headers=xkey(key))
    assert view.status_code == 200 and view.headers["content-type"].startswith("image/")

    # edit: the seed's JSON body with a media id, then the same fields as multipart with a file
    reference = await upload(api, png((96, 96), (30, 120, 200)))
    r = await api.client.post("/api/image/edit", json=seed_edit(reference), headers=xkey(key))
    assert r.status_code == 200, r.text
    edited = await result_of(api, key, r.json()["jobId"])
    assert edited["name"] == "My image editing job" and edited["mediaId"] != reference
    form = {k: str(v) for k, v in seed_edit(reference).items() if k != "referenceImageMediaId"}
    r = await api.client.post("/api/image/edit", data=form, files={"image": ("photo.png", png((80, 80)), "image/png")},
                              headers=xkey(key))
    assert r.status_code == 200, r.text
    assert "mediaId" in await result_of(api, key, r.json()["jobId"])

    # inpaint: white = replace
    mask = io.BytesIO()
    Image.new("L", (96, 96), 0).save(mask, format="PNG")
    mask_id = await upload(api, mask.getvalue(), "mask.png")
    r = await api.client.post("/api/image/inpaint", json=seed_inpaint(reference, mask_id), headers=xkey(key))
    assert r.status_code == 200, r.text
    painted = await result_of(api, key, r.json()["jobId"])
    assert painted["name"] == "My inpainting job" and painted["prompt"] == "Change to blue"
    r = await api.client.post("/api/image/inpaint", data={"prompt": "Change to blue", "name": "multipart"},
                              files={"originalImage": ("o.png", png((96, 96)), "image/png"),
                                     "maskImage": ("m.png", mask.getvalue(), "image/png")}, headers=xkey(key))
    assert r.status_code == 200, r.text
    assert "mediaId" in await result_of(api, key, r.json()["jobId"])


async def test_without_a_model_the_job_fails_with_the_model_missing_reason(api: Api) -> None:
    key = await miraflow_key(api)
    r = await api.client.post("/api/image/generate", json=SEED_TEXT_TO_IMAGE, headers=xkey(key))
    assert r.status_code == 200, r.text
    failed = await result_of(api, key, r.json()["jobId"])
    assert failed["result"] == "success" and failed["status"] == "failed", failed
    assert "install" in failed["reason"].lower() or "model" in failed["reason"].lower(), failed


async def test_another_users_job_and_media_are_not_found(api: Api, make_user: Any) -> None:
    key = await miraflow_key(api)
    job_id = (await api.client.post("/api/image/generate", json=SEED_TEXT_TO_IMAGE, headers=xkey(key))).json()["jobId"]
    mine = await upload(api, png())
    other = await make_user()
    other_key = await miraflow_key(other)
    failure(await api.client.get(f"/api/image/{job_id}", headers=xkey(other_key)), 404, "JOB_NOT_FOUND")
    failure(await api.client.get("/api/image/mf_nope", headers=xkey(key)), 404, "JOB_NOT_FOUND")
    failure(await api.client.post("/api/image/edit", json=seed_edit(mine), headers=xkey(other_key)), 404,
            "MEDIA_NOT_FOUND")
    failure(await api.client.post("/api/image/inpaint", json=seed_inpaint(mine, mine), headers=xkey(other_key)),
            404, "MEDIA_NOT_FOUND")


async def test_bad_bodies_are_refused_with_400(api: Api) -> None:
    key = await miraflow_key(api)
    body = failure(await api.client.post("/api/image/generate", json={**SEED_TEXT_TO_IMAGE, "aspectRatio": "2:1"},
                                         headers=xkey(key)), 400, "INVALID_REQUEST")
    assert "aspectRatio" in body["error"]
    failure(await api.client.post("/api/image/edit", json={"prompt": "x", "name": "y"}, headers=xkey(key)), 400,
            "INVALID_REQUEST")
    failure(await api.client.post("/api/image/edit", content=b"{not json", headers={**xkey(key),
            "content-type": "application/json"}), 400, "INVALID_JSON")
    failure(await api.client.post("/api/image/inpaint", json={"prompt": "x", "name": "y"}, headers=xkey(key)), 400,
            "INVALID_REQUEST")
    r = await api.client.post("/api/image/edit", data={"prompt": "x", "name": "y"},
                              files={"image": ("notes.txt", b"plain text", "text/plain")}, headers=xkey(key))
    assert r.status_code == 415, r.text
    reader = await miraflow_key(api, ["read"])
    failure(await api.client.post("/api/image/generate", json=SEED_TEXT_TO_IMAGE, headers=xkey(reader)), 403,
            "INSUFFICIENT_SCOPE")
