"""``POST /api/v1/generate/video`` on tiny models: the seed's example request as written (no first frame:
text-to-image, then image-to-video with tiny SVD under the seed's model name), a first frame from the
caller's gallery, and a text-to-video model preferred once installed; outputs are real H.264 videos of
the requested length behind signed links."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from conftest import Api
from miniaistudio.core.policy import Principal
from miniaistudio.studio import Studio
from webhooks.receiver import receiving, seed_verifies

from .conftest import VIDEO_MODEL, aivs_error, bearer, create_key, generation_when, install, install_image_model

pytestmark = pytest.mark.timeout(300)

#: The seed's example body, byte for byte as its curl command sends it (-d '...').
SEED_VIDEO_BODY = """{
    "prompt": "A spaceship flying through an asteroid field",
    "model": "minimax/hailuo-2.3-fast",
    "duration": 5
  }"""
VIDEO_PRICE = 450
T2V_PRICE = 300


def ffprobe(data: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "out.mp4"
    path.write_bytes(data)
    done = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json",
                           str(path)], capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


async def download(api: Api, url: str) -> bytes:
    parts = urlsplit(url)
    r = await api.client.get(parts.path, params={k: v[0] for k, v in parse_qs(parts.query).items()})
    assert r.status_code == 200, r.text
    return r.content


async def test_the_seeds_video_request_runs_text_to_image_then_image_to_video(
        studio: Studio, admin: Api, make_user: Any, tiny_sd: Path, tiny_svd: Path, tmp_path: Path) -> None:
    await install_image_model(admin, tiny_sd)
    await install(admin, tiny_svd, name=VIDEO_MODEL, credits_per_generation=VIDEO_PRICE,
                  default_params={"steps": 2})
    api: Api = await make_user()
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], 1000, reason="test grant")
    key = (await create_key(api, scopes=["read", "generate:video"]))["key"]

    r = await api.client.post("/api/v1/generate/video", content=SEED_VIDEO_BODY,
                              headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert set(accepted) == {"id", "status", "prompt", "model", "type", "credits_charged", "created_at"}
    assert (accepted["status"], accepted["type"], accepted["model"]) == ("processing", "video", VIDEO_MODEL)
    assert accepted["credits_charged"] == VIDEO_PRICE + 5  # the first frame's image, then the video
    done = await generation_when(api, key, accepted["id"], "completed", "failed", timeout=240)
    assert done["status"] == "completed", done
    info = ffprobe(await download(api, done["output_url"]), tmp_path)
    stream = info["streams"][0]
    assert stream["codec_name"] == "h264" and int(stream["nb_read_frames"]) == 5 * 8  # 5 s at 8 fps
    assert int(stream["width"]) > int(stream["height"])  # 16:9 by default

    # A first frame of the caller's own gallery, one second.
    image_key = (await create_key(api, scopes=["read", "generate:video"]))["key"]
    png = tmp_path / "frame.png"
    Image.new("RGB", (64, 64), (200, 40, 40)).save(png)
    session = await api.new_session()
    frame = await api.upload(session["id"], png)
    r = await api.client.post("/api/v1/generate/video", headers=bearer(image_key),
                              json={"prompt": "a red square, moving", "duration": 1, "first_frame_image": frame["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["credits_charged"] == VIDEO_PRICE
    done = await generation_when(api, image_key, r.json()["id"], "completed", "failed", timeout=240)
    assert done["status"] == "completed", done
    info = ffprobe(await download(api, done["output_url"]), tmp_path)
    assert int(info["streams"][0]["nb_read_frames"]) == 8


def provenance(info: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(info["format"]["tags"]["comment"])
    return found


async def test_without_a_first_frame_a_text_to_video_model_runs_once_installed(
        studio: Studio, admin: Api, make_user: Any, tiny_sd: Path, tiny_svd: Path, tiny_t2v: Path,
        tmp_path: Path) -> None:
    await install_image_model(admin, tiny_sd)
    svd = await install(admin, tiny_svd, name=VIDEO_MODEL, credits_per_generation=VIDEO_PRICE,
                        default_params={"steps": 2})
    api: Api = await make_user()
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], 2000, reason="test grant")
    key = (await create_key(api, scopes=["read", "generate:video"]))["key"]
    body = {"prompt": "A kite over the sea", "duration": 1}

    # None installed: text to image, then image to video with the default video model.
    r = await api.client.post("/api/v1/generate/video", headers=bearer(key), json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["model"], r.json()["credits_charged"]) == (VIDEO_MODEL, VIDEO_PRICE + 5)
    done = await generation_when(api, key, r.json()["id"], "completed", "failed", timeout=240)
    assert done["status"] == "completed", done
    info = ffprobe(await download(api, done["output_url"]), tmp_path)
    assert int(info["streams"][0]["nb_read_frames"]) == 8
    assert (provenance(info)["pipeline"], provenance(info)["model"]) == ("StableVideoDiffusionPipeline", svd["id"])

    t2v = await install(admin, tiny_t2v, credits_per_generation=T2V_PRICE, default_params={"steps": 2})
    listed = (await api.client.get("/api/v1/models?type=video", headers=bearer(key))).json()
    assert sorted((m["id"], m["type"], m["credits_per_generation"]) for m in listed["data"]) == sorted(
        [(svd["id"], "video", VIDEO_PRICE), (t2v["id"], "video", T2V_PRICE)])
    assert listed["total"] == 2

    # Installed: the same request runs the text-to-video model alone, at its price.
    r = await api.client.post("/api/v1/generate/video", headers=bearer(key), json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["model"], r.json()["credits_charged"]) == (t2v["id"], T2V_PRICE)
    done = await generation_when(api, key, r.json()["id"], "completed", "failed", timeout=240)
    assert done["status"] == "completed" and done["model"] == t2v["id"], done
    info = ffprobe(await download(api, done["output_url"]), tmp_path)
    stream = info["streams"][0]
    assert (stream["codec_name"], int(stream["nb_read_frames"])) == ("h264", 8)  # 1 s at 8 fps
    assert int(stream["width"]) > int(stream["height"])  # 16:9 by default
    prov = provenance(info)
    assert (prov["engine"], prov["pipeline"], prov["model"], prov["model_kind"]) == (
        "diffusers", "TextToVideoSDPipeline", t2v["id"], "text_to_video")
    assert (prov["ai_generated"], prov["prompt"], prov["fps"], prov["frames"]) == (True, body["prompt"], 8, 8)

    # A text-to-video model cannot animate a first frame; the request names the ones that can.
    r = await api.client.post("/api/v1/generate/video", headers=bearer(key),
                              json={**body, "model": t2v["id"], "first_frame_image": "med_whatever"})
    assert r.status_code == 400, r.text
    error = aivs_error(r)
    assert error["code"] == "invalid_request" and error["details"]["installed"] == [svd["id"]]
    balance = (await api.get("/api/v2/billing/balance")).json()
    assert (balance["available"], balance["reserved"]) == (2000 - VIDEO_PRICE - 5 - T2V_PRICE, 0)


async def test_video_refusals(studio: Studio, admin: Api, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    key = (await create_key(admin, scopes=["read", "generate:image"]))["key"]
    r = await admin.client.post("/api/v1/generate/video", headers=bearer(key), json={"prompt": "x"})
    assert r.status_code == 403 and aivs_error(r)["code"] == "insufficient_scope"
    key = (await create_key(admin, scopes=["generate:video"]))["key"]
    r = await admin.client.post("/api/v1/generate/video", headers=bearer(key), json={"prompt": "x"})
    assert r.status_code == 400, r.text
    error = aivs_error(r)
    assert error["code"] == "invalid_request" and error["details"]["installed"] == []
    bad_bodies = ({"prompt": "x", "duration": 11}, {"prompt": "x", "duration": 0},
                  {"prompt": "x", "aspect_ratio": "3:2"})
    for body in bad_bodies:
        r = await admin.client.post("/api/v1/generate/video", headers=bearer(key), json=body)
        assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request", (body, r.text)


async def test_a_failed_job_tells_the_requests_webhook_url_and_costs_nothing(
        studio: Studio, admin: Api, make_user: Any, tiny_svd: Path) -> None:
    await install(admin, tiny_svd, name=VIDEO_MODEL, credits_per_generation=VIDEO_PRICE)
    api: Api = await make_user()
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], 1000, reason="test grant")
    key = (await create_key(api, scopes=["read", "generate:video"]))["key"]
    with receiving() as receiver:
        # The request's webhook_url names an endpoint the user registered (for completions only): the
        # failure goes to it once, as an ad-hoc delivery signed with that endpoint's secret.
        endpoint = studio.webhooks.create(Principal(me["id"], me["email"]), dialect_name="aivs", url=receiver.url,
                                          events=["generation.completed"])
        # A first frame on a private address: the guarded fetcher refuses it when the run fetches it.
        r = await api.client.post("/api/v1/generate/video", headers=bearer(key), json={
            "prompt": "Zürich at night ☕", "duration": 1, "first_frame_image": "http://127.0.0.1:9/frame.png",
            "webhook_url": receiver.url})
        assert r.status_code == 200, r.text
        done = await generation_when(api, key, r.json()["id"], "completed", "failed")
        [delivered] = await asyncio.to_thread(receiver.wait_for, 1)
    assert done["status"] == "failed" and done["output_url"] is None and done["credits_charged"] == 0, done
    assert done["error"]["code"] and done["error"]["message"]
    assert seed_verifies([delivered], endpoint.secret) == [True]
    payload = json.loads(delivered.body)
    assert payload["event"] == "generation.failed"
    assert payload["data"] == {"id": done["id"], "type": "video", "status": "failed", "prompt": "Zürich at night ☕",
                               "output_url": None, "created_at": done["created_at"],
                               "completed_at": done["completed_at"]}
    balance = (await api.get("/api/v2/billing/balance")).json()
    assert (balance["available"], balance["reserved"]) == (1000, 0)
