"""Thumbnails: the seed's example body (its reference id replaced by a real upload) laid out on a CPU at
1280x720 and 720x1280; legible titles measured from the output pixels (the title's box inside the
frame, strong contrast between the letters and their outline); status, paging, not-found shapes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from conftest import Api
from miraflow.conftest import FIXTURES, failure, miraflow_key, poll, upload, xkey

pytestmark = pytest.mark.timeout(180)

SEED_THUMBNAIL = {"prompt": "Epic gaming moment with explosion and character in action pose",
                  "name": "Gaming Video Thumbnail", "aspectRatio": "16:9", "referenceImageMediaIds": ["string"],
                  "negativePrompt": "blurry, low quality", "seed": 12345}
#: Luminance spread (95th - 5th percentile) inside the title box: light letters on a dark outline.
MIN_TITLE_CONTRAST = 150


def done(body: dict[str, Any]) -> bool:
    return "mediaId" in body or body.get("status") == "failed"


async def made(api: Api, key: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.post("/api/thumbnail/generate", json=body, headers=xkey(key))
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"result", "jobId"} and r.json()["result"] == "success"
    finished = await poll(api, key, f"/api/thumbnail/{r.json()['jobId']}", done)
    assert "mediaId" in finished, finished
    return finished


async def pixels_and_metadata(api: Api, key: str, thumbnail: dict[str, Any]) -> tuple[Image.Image, dict[str, Any]]:
    r = await api.client.get(thumbnail["imageUrl"], headers=xkey(key))
    assert r.status_code == 200, r.text
    record = (await api.get(f"/api/v2/media/{thumbnail['mediaId']}")).json()
    return Image.open(io.BytesIO(r.content)).convert("RGB"), record["metadata"]


def assert_legible(image: Image.Image, metadata: dict[str, Any]) -> None:
    x0, y0, x1, y1 = metadata["title_box"]
    w, h = image.size
    assert 0 < x0 < x1 < w and 0 < y0 < y1 < h, (metadata["title_box"], image.size)
    assert (x1 - x0) * (y1 - y0) > 0.05 * w * h, "the title is too small to read"
    luminance = np.asarray(image.crop((x0, y0, x1, y1)).convert("L"), dtype=np.float32)
    spread = float(np.percentile(luminance, 95) - np.percentile(luminance, 5))
    assert spread >= MIN_TITLE_CONTRAST, spread
    bright = float((luminance > 200).mean())  # the letters' fill, light on dark
    assert bright > 0.08, bright


async def test_the_seeds_thumbnail_is_a_legible_1280x720_layout(api: Api) -> None:
    key = await miraflow_key(api)
    photo = await upload(api, (FIXTURES / "grace_hopper.jpg").read_bytes(), "hopper.jpg", "image/jpeg")
    thumbnail = await made(api, key, {**SEED_THUMBNAIL, "referenceImageMediaIds": [photo]})
    assert set(thumbnail) == {"result", "id", "name", "prompt", "imageUrl", "mediaId", "aspectRatio", "createdAt",
                              "downloadUrl"}
    assert thumbnail["name"] == "Gaming Video Thumbnail" and thumbnail["aspectRatio"] == "16:9"
    assert thumbnail["imageUrl"] == f"/api/media/{thumbnail['mediaId']}/view"
    image, metadata = await pixels_and_metadata(api, key, thumbnail)
    assert image.size == (1280, 720)
    assert_legible(image, metadata)
    assert metadata["engine"] == "classical-layout" and metadata["cutouts"] == ["person"]
    assert metadata["title"] and metadata["title_source"], metadata  # the LLM's, or the fallback said so
    assert metadata["scene"] is False  # no text-to-image model installed


async def test_a_shorts_thumbnail_is_720x1280_and_legible(api: Api) -> None:
    key = await miraflow_key(api)
    thumbnail = await made(api, key, {"prompt": "Baking sourdough bread at home for beginners", "name": "Bread",
                                      "aspectRatio": "9:16"})
    image, metadata = await pixels_and_metadata(api, key, thumbnail)
    assert image.size == (720, 1280)
    assert_legible(image, metadata)
    y1 = metadata["title_box"][3]
    assert y1 < 0.5 * 1280, "the title sits above the subject in a portrait thumbnail"


async def test_status_paging_and_not_found(api: Api, make_user: Any) -> None:
    key = await miraflow_key(api)
    for number in range(2):
        await made(api, key, {"prompt": f"Video number {number}", "name": f"T{number}"})
    listed = (await api.client.get("/api/thumbnails", params={"page": 1}, headers=xkey(key))).json()
    assert listed["result"] == "success" and listed["page"] == 1
    assert listed["totalCount"] == 2 and listed["totalPages"] == 1
    assert [t["name"] for t in listed["thumbnails"]] == ["T1", "T0"]
    assert set(listed["thumbnails"][0]) == {"id", "name", "prompt", "imageUrl", "mediaId", "aspectRatio", "createdAt"}
    empty = (await api.client.get("/api/thumbnails", params={"page": 2}, headers=xkey(key))).json()
    assert empty["thumbnails"] == [] and empty["totalCount"] == 2
    other_key = await miraflow_key(await make_user())
    job_id = listed["thumbnails"][0]["id"]
    failure(await api.client.get(f"/api/thumbnail/{job_id}", headers=xkey(other_key)), 404, "JOB_NOT_FOUND")
    assert (await api.client.get("/api/thumbnails", headers=xkey(other_key))).json()["totalCount"] == 0
    failure(await api.client.post("/api/thumbnail/generate", json=SEED_THUMBNAIL, headers=xkey(key)), 404,
            "MEDIA_NOT_FOUND")  # the seed's placeholder id names no media
    failure(await api.client.post("/api/thumbnail/generate", json={**SEED_THUMBNAIL, "aspectRatio": "1:1"},
                                  headers=xkey(key)), 400, "INVALID_REQUEST")
    failure(await api.client.get("/api/thumbnails", params={"page": 0}, headers=xkey(key)), 400, "INVALID_REQUEST")
