"""``POST /api/v1/jobs`` and ``GET /api/v1/jobs/{id}``: the seed's example requests as written (both
key headers), the ``studio`` tool end to end on tiny SD (charged from the ledger, a signed output),
a photo tool whose recipe this studio lacks failing cleanly, another user's job not found, and the
door's envelope beside AI Visual Studio's under the shared ``/api/v1``."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import FIXTURES, Api
from miniaistudio.studio import Studio

from .conftest import (
    IMAGE_PRICE,
    bearer,
    grant,
    install,
    job_when,
    set_plan,
    studii_error,
    studii_key,
    uploaded,
    user_id,
    x_api_key,
)

pytestmark = pytest.mark.timeout(180)

#: The seed's "Create a job" body, as written.
SEED_JOB_BODY = """{
  "tool": "studio",
  "inputs": {
    "mode": "image",
    "source": "text",
    "quality": "standard",
    "aspect_ratio": "16:9",
    "prompt": "A misty pine forest at dawn, shafts of golden light"
  }
}"""
ACCEPTED_FIELDS = {"id", "status", "status_url", "credits_charged"}
STATUS_FIELDS = {"id", "status", "output_url", "output_kind", "tool", "error", "created_at", "completed_at",
                 "credits_charged"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def install_image_model(admin: Api, tiny_sd: Path) -> None:
    await install(admin, tiny_sd, name="tiny-sd", credits_per_generation=IMAGE_PRICE, default_params={"steps": 2})


async def balance(api: Api) -> int:
    return int((await api.get("/api/v2/billing/balance")).json()["available"])


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
async def test_the_seeds_studio_job_runs_on_a_tiny_model(studio: Studio, admin: Api, api: Api, tiny_sd: Path,
                                                         header: str) -> None:
    await install_image_model(admin, tiny_sd)
    await grant(api, studio, 100)
    key = await studii_key(api)
    auth = bearer(key) if header == "bearer" else x_api_key(key)

    r = await api.client.post("/api/v1/jobs", headers={**auth, "Content-Type": "application/json"},
                              content=SEED_JOB_BODY)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert set(accepted) == ACCEPTED_FIELDS
    assert accepted["status"] == "queued" and accepted["credits_charged"] == IMAGE_PRICE
    assert accepted["status_url"] == f"{studio.settings.resolved_public_url}/api/v1/jobs/{accepted['id']}"

    done = await job_when(api.client, key, accepted["status_url"], "completed", "failed")
    assert set(done) == STATUS_FIELDS
    assert done["status"] == "completed", done
    assert done["id"] == accepted["id"] and done["tool"] == "studio" and done["output_kind"] == "image"
    assert done["error"] is None and done["credits_charged"] == IMAGE_PRICE
    assert ISO_Z.match(done["created_at"]) and ISO_Z.match(done["completed_at"])
    assert await balance(api) == 100 - IMAGE_PRICE  # the ledger captured the job's price

    # The output: an absolute signed link, read with no auth header; a real 16:9 image.
    assert done["output_url"].startswith(studio.settings.resolved_public_url + "/api/files/media/")
    image = await api.client.get(done["output_url"].removeprefix(studio.settings.resolved_public_url))
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as img:
        assert img.width > img.height

    # The key's spend counts what the job cost.
    keys = (await api.get("/api/v1/keys")).json()["data"]
    assert next(k for k in keys if k["kind"] == "stu")["spent"] == IMAGE_PRICE


async def test_the_studio_tool_edits_an_uploaded_image(studio: Studio, admin: Api, api: Api, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    await grant(api, studio, 100)
    key = await studii_key(api)
    object_key = await uploaded(api.client, key)
    r = await api.client.post("/api/v1/jobs", headers=bearer(key), json={
        "tool": "studio", "source_object_key": object_key,
        "inputs": {"mode": "image", "source": "image", "prompt": "warmer light"}})
    assert r.status_code == 202, r.text
    done = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    assert done["status"] == "completed" and done["output_kind"] == "image", done


async def test_the_seeds_virtual_staging_request_fails_cleanly_without_its_recipe(
        studio: Studio, admin: Api, api: Api) -> None:
    """Step 3 of the seed's upload flow, on a Team plan. With no image-edit model installed the job ends
    ``failed`` with the model-missing reason, never a fake output, and charges nothing."""
    await set_plan(admin, api, "team")
    await grant(api, studio, 100)
    key = await studii_key(api)
    object_key = await uploaded(api.client, key)
    body = f'{{\n  "tool": "virtual-staging",\n  "inputs": {{ "style": "modern", "room": "living" }},\n' \
           f'  "source_object_key": "{object_key}"\n}}'
    r = await api.client.post("/api/v1/jobs", headers={**bearer(key), "Content-Type": "application/json"},
                              content=body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "failed")
    done = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    assert done["status"] == "failed" and "model" in done["error"].lower(), done
    assert done["output_url"] is None and done["output_kind"] is None and done["credits_charged"] == 0
    assert await balance(api) == 100


async def test_another_users_job_is_not_found(studio: Studio, admin: Api, make_user: Any) -> None:
    owner, stranger = await make_user(), await make_user()
    await set_plan(admin, owner, "team")
    owner_key = await studii_key(owner)
    object_key = await uploaded(owner.client, owner_key)
    r = await owner.client.post("/api/v1/jobs", headers=bearer(owner_key), json={
        "tool": "virtual-staging", "inputs": {}, "source_object_key": object_key})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert (await owner.client.get(f"/api/v1/jobs/{job_id}", headers=bearer(owner_key))).status_code == 200
    for path in (f"/api/v1/jobs/{job_id}", "/api/v1/jobs/job_000000000000000000000000"):
        theirs = await stranger.client.get(path, headers=bearer(await studii_key(stranger)))
        assert theirs.status_code == 404 and studii_error(theirs)["code"] == "not_found"
        assert job_id not in theirs.text or path.endswith(job_id)


async def test_each_route_answers_in_its_own_doors_envelope(api: Api) -> None:
    key = await studii_key(api)
    studii = await api.client.get("/api/v1/jobs/job_nope", headers=bearer(key))
    assert studii.status_code == 404 and set(studii.json()) == {"error", "code"}
    aivs = await api.client.get("/api/v1/generations/gen_nope", headers=bearer(key))
    assert aivs.status_code == 404 and set(aivs.json()["error"]) == {"code", "message", "details"}
    unknown = await api.client.get("/api/v1/nowhere", headers=bearer(key))  # AI Visual Studio answers those
    assert unknown.status_code == 404 and isinstance(unknown.json()["error"], dict)
    wrong_method = await api.client.delete("/api/v1/jobs", headers=bearer(key))
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == {"error", "code"}
    docs = (await api.client.get("/api/v1/studii/openapi.json")).json()
    assert set(docs["paths"]) == {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/uploads"}


async def test_jobs_are_listed_nowhere_else(studio: Studio, admin: Api, api: Api) -> None:
    """A Studii job is the user's, in their hidden sessions: not an AI Visual Studio generation."""
    await set_plan(admin, api, "team")
    key = await studii_key(api)
    object_key = await uploaded(api.client, key)
    r = await api.client.post("/api/v1/jobs", headers=bearer(key), json={
        "tool": "career-photo", "inputs": {}, "source_object_key": object_key})
    assert r.status_code == 202
    listed = await api.get("/api/v1/generations")
    assert listed.json()["total"] == 0
    assert await asyncio.to_thread(lambda: studio.plans.of(studio.accounts.user_id_by_email(api.email)).plan) \
        == "team"
    assert await user_id(api)


async def test_the_studio_tool_makes_a_video(studio: Studio, admin: Api, api: Api, tiny_sd: Path) -> None:
    """Video mode: text to image on tiny SD, then the frame animated (no image-to-video model installed:
    the classical camera engine, labelled so in the output's metadata). It needs ``generate:video``."""
    await install_image_model(admin, tiny_sd)
    await grant(api, studio, 100)
    body = {"tool": "studio", "inputs": {"mode": "video", "prompt": "a lighthouse", "quality": "draft"}}
    image_only = await studii_key(api, scopes=["read", "generate:image"])
    r = await api.client.post("/api/v1/jobs", headers=bearer(image_only), json=body)
    assert r.status_code == 403 and studii_error(r)["code"] == "insufficient_scope"
    key = await studii_key(api)
    r = await api.client.post("/api/v1/jobs", headers=bearer(key), json=body)
    assert r.status_code == 202, r.text
    done = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    assert done["status"] == "completed" and done["output_kind"] == "video", done
    video = await api.client.get(done["output_url"].removeprefix(studio.settings.resolved_public_url))
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"


async def test_the_photo_tools_run_their_bundled_recipes_on_the_uploaded_source(
        studio: Studio, admin: Api, api: Api) -> None:
    """photo-restore and career-photo end to end through the Studii door, on the real CPU recipes."""
    await set_plan(admin, api, "team")  # career-photo is a Team tool
    await grant(api, studio, 100)
    key = await studii_key(api)
    portrait = (FIXTURES / "grace_hopper.jpg").read_bytes()
    object_key = await uploaded(api.client, key, portrait, filename="grace.jpg")
    finished = {}
    for tool, inputs in (("photo-restore", {"upscale": False}), ("career-photo", {"backdrop": "blue"})):
        r = await api.client.post("/api/v1/jobs", headers=bearer(key), json={
            "tool": tool, "inputs": inputs, "source_object_key": object_key})
        assert r.status_code == 202 and r.json()["status"] == "queued", r.text
        finished[tool] = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    for tool, done in finished.items():
        assert done["status"] == "completed" and done["tool"] == tool and done["output_kind"] == "image", done
        output = await api.client.get(done["output_url"].removeprefix(studio.settings.resolved_public_url))
        assert output.status_code == 200
        with Image.open(io.BytesIO(output.content)) as img:
            size = img.size
        if tool == "career-photo":
            assert abs(size[0] / size[1] - 4 / 5) < 0.01, size  # a 4:5 headshot
        else:
            with Image.open(io.BytesIO(portrait)) as original:
                assert size == original.size

    # a photo without a face: career-photo fails with the node's reason, nothing charged
    no_face = await uploaded(api.client, key, (FIXTURES / "coffee.png").read_bytes(), "image/png", "coffee.png")
    r = await api.client.post("/api/v1/jobs", headers=bearer(key), json={
        "tool": "career-photo", "inputs": {}, "source_object_key": no_face})
    done = await job_when(api.client, key, r.json()["status_url"], "completed", "failed")
    assert done["status"] == "failed" and "face" in done["error"].lower() and done["credits_charged"] == 0, done
