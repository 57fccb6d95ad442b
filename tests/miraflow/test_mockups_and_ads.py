"""Product mockups and ad videos through the Miraflow door, with the seed's example bodies: a mockup is
composited and saved (logo where the layer says), its status and list answer in the seed's words, an
ad video from it renders 8.0 s at its aspect ratio and lists with status and progress; bad requests and
other users' mockups are refused in the seed's failure envelope."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miraflow.conftest import failure, install, miraflow_key, poll, upload, xkey
from models.conftest import tiny_pix2pix

__all__ = ["tiny_pix2pix"]

pytestmark = pytest.mark.timeout(240)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEED_MOCKUP = {"productMediaId": "cm42ab3ou0008aggajj0jy5e1", "logoMediaIds": ["cm42ab3ou0008aggajj0jy5e2"],
               "layers": [{"assetId": "string", "x": 50, "y": 30, "scale": 1, "rotation": 0}],
               "instruction": "Place the logo on the front of the t-shirt"}
SEED_AD = {"mockupId": "cm42ab3ou0008aggajj0jy5e1", "animationStyle": "luxury_macro",
           "userPrompt": "Focus on the logo details", "aspectRatio": "16:9"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent],
                         api_key_rate_limit_per_minute=10_000, product_ad_short_side=96, product_ad_fps=6)


def shirt_png() -> bytes:
    """A 400x500 light product with a darker centre panel, so the cut-out finds an object."""
    img = Image.new("RGB", (400, 500), (235, 235, 238))
    ImageDraw.Draw(img).rounded_rectangle((70, 60, 330, 470), radius=40, fill=(120, 130, 150))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def logo_png() -> bytes:
    img = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 56, 56), fill=(230, 40, 30, 255))
    draw.rectangle((64, 10, 116, 50), fill=(250, 220, 30, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def seed_mockup(product: str, logo: str) -> dict[str, Any]:
    return {**SEED_MOCKUP, "productMediaId": product, "logoMediaIds": [logo]}


async def make_mockup(api: Api, key: str) -> dict[str, Any]:
    product, logo = await upload(api, shirt_png()), await upload(api, logo_png())
    r = await api.client.post("/api/mockup/generate", json=seed_mockup(product, logo), headers=xkey(key))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_mockup_is_composited_saved_and_listed(api: Api) -> None:
    key = await miraflow_key(api)
    body = await make_mockup(api, key)
    assert body["result"] == "success" and body["jobId"].startswith("mf_")
    assert body["imageUrl"] == f"/api/media/{body['mediaId']}/view"
    r = await api.client.get(body["imageUrl"], headers=xkey(key))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"), dtype=np.int16)
    assert image.shape == (500, 400, 3)
    # The logo (100x50 at scale 1: a quarter of 400 px) is centred at 50 % x 30 % = (200, 150): left 150, top 125.
    red = (image[:, :, 0] > 180) & (image[:, :, 1] < 110) & (image[:, :, 2] < 110)
    ys, xs = np.nonzero(red)
    # The red disc spans x 4..56 and y 4..56 of the 120x60 logo: centred at (150 + 25, 125 + 25).
    assert abs(xs.mean() - 175) <= 2 and abs(ys.mean() - 150) <= 2, (xs.mean(), ys.mean())

    status = (await api.client.get(f"/api/mockup/{body['jobId']}/status", headers=xkey(key))).json()
    assert status == {"result": "success", "status": "completed", "progress": 100, "imageUrl": body["imageUrl"],
                      "mediaId": body["mediaId"], "reason": None}
    listed = (await api.client.get("/api/mockup/mockups", headers=xkey(key))).json()
    assert listed["result"] == "success"
    [item] = listed["mockups"]
    assert item["id"] == body["jobId"] and item["imageUrl"] == body["imageUrl"]
    assert item["prompt"] == SEED_MOCKUP["instruction"] and ISO_MS.match(item["createdAt"])


async def test_an_ad_video_from_a_saved_mockup(api: Api, tmp_path: Path) -> None:
    key = await miraflow_key(api)
    mockup = await make_mockup(api, key)
    r = await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"]}, headers=xkey(key))
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["result"] == "success" and accepted["jobId"].startswith("mf_")
    job_id = accepted["jobId"]
    early = (await api.client.get("/api/mockup/videos", headers=xkey(key))).json()["videos"][0]
    assert early["id"] == job_id and early["status"] in ("waiting", "started", "completed")
    done = await poll(api, key, f"/api/mockup/{job_id}/status", lambda b: b["status"] in ("completed", "failed"))
    assert done["status"] == "completed", done
    assert done["progress"] == 100 and done["imageUrl"] == f"/api/media/{done['mediaId']}/view"
    video = await api.client.get(done["imageUrl"], headers=xkey(key))
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    path = tmp_path / "ad.mp4"
    path.write_bytes(video.content)
    info = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                                      "-show_streams", str(path)], capture_output=True, text=True, check=True).stdout)
    stream = info["streams"][0]
    assert abs(float(info["format"]["duration"]) - 8.0) <= 0.05
    assert (stream["width"], stream["height"]) == (170, 96)  # 16:9 at the test's 96 px short side

    videos = (await api.client.get("/api/mockup/videos", headers=xkey(key))).json()
    assert videos["result"] == "success"
    [item] = videos["videos"]
    assert item == {"id": job_id, "name": "Product Ad - luxury macro", "status": "completed",
                    "mockupId": mockup["jobId"], "mockupImageUrl": mockup["imageUrl"], "aspectRatio": "16:9",
                    "createdAt": item["createdAt"], "progress": 100}
    assert ISO_MS.match(item["createdAt"])


async def test_mockup_and_ad_refusals(api: Api, make_user) -> None:  # type: ignore[no-untyped-def]
    key = await miraflow_key(api)
    # The seed's body as printed names media this studio does not have.
    failure(await api.client.post("/api/mockup/generate", json=SEED_MOCKUP, headers=xkey(key)), 404,
            "MEDIA_NOT_FOUND")
    product = await upload(api, shirt_png())
    failure(await api.client.post("/api/mockup/generate", json={**seed_mockup(product, product), "logoMediaIds": []},
                                  headers=xkey(key)), 400, "NO_LOGO")
    body = failure(await api.client.post("/api/mockup/generate", json={**seed_mockup(product, product),
                                         "layers": [{"x": 50, "y": 30, "scale": 0}]}, headers=xkey(key)), 400,
                   "INVALID_REQUEST")
    assert "scale" in body["error"]
    mockup = await make_mockup(api, key)
    body = failure(await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"],
                                         "animationStyle": "custom", "userPrompt": " "}, headers=xkey(key)), 400,
                   "INVALID_REQUEST")
    assert "userPrompt" in body["error"]
    failure(await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"],
                                  "animationStyle": "disco"}, headers=xkey(key)), 400, "INVALID_REQUEST")
    failure(await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"],
                                  "aspectRatio": "4:3"}, headers=xkey(key)), 400, "INVALID_REQUEST")
    failure(await api.client.post("/api/mockup/video", json=SEED_AD, headers=xkey(key)), 404, "MOCKUP_NOT_FOUND")
    # Another user's mockup and job are as unknown as made-up ones; a reading key cannot start jobs.
    other = await make_user()
    other_key = await miraflow_key(other)
    failure(await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"]},
                                  headers=xkey(other_key)), 404, "MOCKUP_NOT_FOUND")
    failure(await api.client.get(f"/api/mockup/{mockup['jobId']}/status", headers=xkey(other_key)), 404,
            "JOB_NOT_FOUND")
    assert (await api.client.get("/api/mockup/mockups", headers=xkey(other_key))).json()["mockups"] == []
    reader = await miraflow_key(api, ["read"])
    failure(await api.client.post("/api/mockup/video", json={**SEED_AD, "mockupId": mockup["jobId"]},
                                  headers=xkey(reader)), 403, "INSUFFICIENT_SCOPE")
    failure(await api.client.post("/api/mockup/generate", json=SEED_MOCKUP, headers=xkey(reader)), 403,
            "INSUFFICIENT_SCOPE")


async def test_an_installed_edit_model_refines_the_mockup(api: Api, make_user, tiny_pix2pix: Path) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user("admin@example.com", admin=True)
    await install(admin, tiny_pix2pix, name="tiny-pix2pix", default_params={"steps": 2})
    key = await miraflow_key(api)
    body = await make_mockup(api, key)
    record = (await api.get(f"/api/v2/media/{body['mediaId']}")).json()
    meta = record["metadata"]
    assert meta["ai_generated"] is True and meta["engine"] == "diffusers", meta
    assert meta["prompt"] == SEED_MOCKUP["instruction"]
    r = await api.client.get(body["imageUrl"], headers=xkey(key))
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/")
