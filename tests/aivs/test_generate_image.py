"""``POST /api/v1/generate/image`` end to end on tiny SD: the seed's example request as written, the
job followed to ``completed``, the output downloaded from its signed link in the requested format, the
ledger charged, the webhook delivered and verified by the seed's own JavaScript, the job's session
hidden from the sessions list while its media stay in the gallery."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from conftest import Api
from miniaistudio.core.policy import Principal
from miniaistudio.studio import Studio
from webhooks.receiver import receiving, seed_verifies

from .conftest import IMAGE_MODEL, IMAGE_PRICE, aivs_error, bearer, create_key, generation_when, install_image_model

pytestmark = pytest.mark.timeout(180)

#: The seed's example body, byte for byte as its curl command sends it (-d '...').
SEED_IMAGE_BODY = """{
    "prompt": "A futuristic city at sunset, cyberpunk style",
    "model": "prunaai/z-image-turbo",
    "aspect_ratio": "16:9"
  }"""
SEED_ANSWER_FIELDS = {"id", "status", "prompt", "model", "type", "credits_charged", "created_at"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def seed_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


async def user_with_credits(make_user: Any, studio: Studio, credits: int) -> Api:
    api: Api = await make_user()
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], credits, reason="test grant")
    return api


async def test_the_seeds_image_request_runs_to_a_signed_webp(studio: Studio, admin: Api, make_user: Any,
                                                              tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    api = await user_with_credits(make_user, studio, 100)
    key = (await create_key(api, scopes=["read", "generate:image"]))["key"]
    me = (await api.get("/api/v2/auth/me")).json()
    with receiving() as receiver:
        endpoint = studio.webhooks.create(Principal(me["id"], me["email"]), dialect_name="aivs", url=receiver.url)

        r = await api.client.post("/api/v1/generate/image", headers=seed_headers(key), content=SEED_IMAGE_BODY)
        assert r.status_code == 200, r.text
        accepted = r.json()
        assert set(accepted) == SEED_ANSWER_FIELDS
        assert re.fullmatch(r"gen_[0-9a-f]{24}", accepted["id"])
        assert accepted["status"] == "processing" and accepted["type"] == "image"
        assert accepted["prompt"] == "A futuristic city at sunset, cyberpunk style"
        assert accepted["model"] == IMAGE_MODEL and accepted["credits_charged"] == IMAGE_PRICE
        assert ISO_Z.match(accepted["created_at"])

        done = await generation_when(api, key, accepted["id"], "completed", "failed")
        assert done["status"] == "completed", done
        assert done["error"] is None and ISO_Z.match(done["completed_at"]) and done["credits_charged"] == IMAGE_PRICE
        [delivered] = await asyncio.to_thread(receiver.wait_for, 1)

    # The output: an absolute signed link, no auth header needed, a real WebP (the default format).
    url = done["output_url"]
    assert url.startswith(studio.settings.resolved_public_url + "/api/files/media/")
    path, query = split(url)
    r = await api.client.get(path, params=query)
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.format == "WEBP" and img.width > img.height  # 16:9
    tampered = {**query, "signature": query["signature"][:-2] + ("00" if query["signature"][-2:] != "00" else "11")}
    assert (await api.client.get(path, params=tampered)).status_code == 403
    expired = studio.signed_urls.sign(path.rsplit("/", 1)[1], ttl_seconds=-1)
    r = await api.client.get(path, params={"expires": expired.expires, "signature": expired.signature})
    assert r.status_code == 403

    # The webhook: the seed's payload, signed so that the seed's own verifier accepts it.
    assert seed_verifies([delivered], endpoint.secret) == [True]
    payload = json.loads(delivered.body)
    assert payload["event"] == "generation.completed" and set(payload) == {"event", "data", "created_at"}
    assert set(payload["data"]) == {"id", "type", "status", "prompt", "output_url", "created_at", "completed_at"}
    assert payload["data"]["id"] == accepted["id"] and payload["data"]["status"] == "completed"

    # Credits: the model's price held at acceptance, captured at the end.
    balance = (await api.get("/api/v2/billing/balance")).json()
    assert (balance["available"], balance["reserved"]) == (100 - IMAGE_PRICE, 0)

    # The job's session is hidden from the sessions list; its media are in the gallery.
    sessions = (await api.get("/api/v2/sessions")).json()
    assert sessions["items"] == [] and sessions["total"] == 0
    gallery = (await api.get("/api/v2/media")).json()
    assert path.rsplit("/", 1)[1] in str(gallery)


async def test_a_webhook_url_naming_a_registered_endpoint_is_told_once_and_signed(
        studio: Studio, admin: Api, make_user: Any, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    api = await user_with_credits(make_user, studio, 100)
    key = (await create_key(api, scopes=["read", "generate:image"]))["key"]
    me = (await api.get("/api/v2/auth/me")).json()
    with receiving() as receiver:
        endpoint = studio.webhooks.create(Principal(me["id"], me["email"]), dialect_name="aivs", url=receiver.url)
        r = await api.client.post("/api/v1/generate/image", headers=bearer(key),
                                  json={"prompt": "a lighthouse", "webhook_url": receiver.url})
        assert r.status_code == 200, r.text
        done = await generation_when(api, key, r.json()["id"], "completed", "failed")
        assert done["status"] == "completed", done
        [delivered] = await asyncio.to_thread(receiver.wait_for, 1)
        await asyncio.sleep(1.5)  # a second copy (the ad-hoc one) would have arrived by now
        assert len(receiver.requests) == 1
    assert seed_verifies([delivered], endpoint.secret) == [True]


async def test_output_formats_png_and_jpg(studio: Studio, admin: Api, make_user: Any, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    api = await user_with_credits(make_user, studio, 100)
    key = (await create_key(api, scopes=["read", "generate:image"]))["key"]
    for fmt, pillow in (("png", "PNG"), ("jpg", "JPEG")):
        r = await api.client.post("/api/v1/generate/image", headers=bearer(key),
                                  json={"prompt": "a red fox", "output_format": fmt})
        assert r.status_code == 200, r.text
        done = await generation_when(api, key, r.json()["id"], "completed", "failed")
        assert done["status"] == "completed", done
        path, query = split(done["output_url"])
        got = await api.client.get(path, params=query)
        with Image.open(io.BytesIO(got.content)) as img:
            assert img.format == pillow and img.width == img.height  # 1:1 by default


async def test_refusals_before_any_work(studio: Studio, admin: Api, make_user: Any, tiny_sd: Path) -> None:
    await install_image_model(admin, tiny_sd)
    poor = await user_with_credits(make_user, studio, 2)
    key = (await create_key(poor, scopes=["read", "generate:image"]))["key"]
    r = await poor.client.post("/api/v1/generate/image", headers=seed_headers(key), content=SEED_IMAGE_BODY)
    assert r.status_code == 403, r.text
    error = aivs_error(r)
    assert error["code"] == "insufficient_credits"
    assert (error["details"]["required"], error["details"]["available"]) == (IMAGE_PRICE, 2)
    listed = (await poor.client.get("/api/v1/generations", headers=bearer(key))).json()
    assert listed["data"] == [] and listed["total"] == 0  # nothing ran, nothing recorded
    assert (await poor.get("/api/v2/billing/balance")).json()["reserved"] == 0

    read_only = (await create_key(poor, scopes=["read"]))["key"]
    r = await poor.client.post("/api/v1/generate/image", headers=bearer(read_only), json={"prompt": "x"})
    assert r.status_code == 403 and aivs_error(r)["code"] == "insufficient_scope"

    r = await poor.client.post("/api/v1/generate/image", headers=bearer(key),
                               json={"prompt": "x", "model": "black-forest-labs/flux-pro"})
    assert r.status_code == 400, r.text
    error = aivs_error(r)
    assert error["code"] == "invalid_request" and "prunaai-z-image-turbo" in error["message"]
    assert error["details"]["installed"] == ["prunaai-z-image-turbo"]

    bad_bodies = ({"model": IMAGE_MODEL}, {"prompt": "x", "aspect_ratio": "5:4"},
                  {"prompt": "x", "output_format": "gif"})
    for body in bad_bodies:
        r = await poor.client.post("/api/v1/generate/image", headers=bearer(key), json=body)
        assert r.status_code == 400 and aivs_error(r)["code"] == "invalid_request", r.text


async def test_a_webhook_url_registered_nowhere_is_signed_with_the_accounts_webhook_secret(
        studio: Studio, admin: Api, make_user: Any, tiny_sd: Path) -> None:
    """The seed: every webhook request carries X-Webhook-Signature. An ad-hoc URL has no endpoint secret,
    so the account's webhook secret signs it (shown on the Apps page, GET /api/v2/apps/webhook-secret)."""
    await install_image_model(admin, tiny_sd)
    api = await user_with_credits(make_user, studio, 100)
    key = (await create_key(api, scopes=["read", "generate:image"]))["key"]
    account_secret = (await api.get("/api/v2/apps/webhook-secret")).json()["secret"]
    with receiving() as receiver:
        r = await api.client.post("/api/v1/generate/image", headers=bearer(key),
                                  json={"prompt": "a lighthouse à l'aube", "webhook_url": receiver.url})
        assert r.status_code == 200, r.text
        done = await generation_when(api, key, r.json()["id"], "completed", "failed")
        assert done["status"] == "completed", done
        [delivered] = await asyncio.to_thread(receiver.wait_for, 1)
    assert seed_verifies([delivered], account_secret) == [True]
