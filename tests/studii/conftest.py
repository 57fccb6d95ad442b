"""Studii against the real app: billing on (so plans default to Pro), keys made through /api/v1/keys
with kind stu, tiny random-weight models for the studio tool, the seed's rate limits left as they are."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.studio import Studio
from models.conftest import _offline, install, tiny_dir, tiny_sd

__all__ = ["_offline", "install", "tiny_dir", "tiny_sd"]

IMAGE_PRICE = 8  # the seed's example job costs 8 credits


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent],
                         billing="credits", gpu_price_per_minute=0)


@pytest.fixture
async def admin(make_user: Any) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


async def studii_key(api: Api, **body: Any) -> str:
    """A new ``stu_`` key of ``api``'s user, made the way the profile page's Keys tab makes it."""
    r = await api.post("/api/v1/keys", json={"name": "studii key", "kind": "stu", **body})
    assert r.status_code == 200, r.text
    key: str = r.json()["key"]
    assert key.startswith("stu_")
    return key


async def user_id(api: Api) -> str:
    me = (await api.get("/api/v2/auth/me")).json()
    return str(me["id"])


async def grant(api: Api, studio: Studio, credits: int) -> None:
    await asyncio.to_thread(studio.credits.grant, await user_id(api), credits, reason="test grant")


async def set_plan(admin: Api, api: Api, plan: str | None) -> dict[str, Any]:
    r = await admin.put(f"/api/v2/users/{await user_id(api)}/plan", json={"plan": plan})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def x_api_key(key: str) -> dict[str, str]:
    return {"x-api-key": key}


def studii_error(r: httpx.Response) -> dict[str, str]:
    """The Studii error body ``{"error", "code"}``, checked."""
    body = r.json()
    assert set(body) == {"error", "code"}, body
    assert isinstance(body["error"], str) and body["error"] and isinstance(body["code"], str), body
    return body  # type: ignore[no-any-return]


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (180, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def uploaded(client: httpx.AsyncClient, key: str, data: bytes | None = None,
                   content_type: str = "image/jpeg", filename: str = "kitchen.jpg") -> str:
    """The seed's two upload steps; the object key."""
    r = await client.post("/api/v1/uploads", headers=bearer(key),
                          json={"filename": filename, "content_type": content_type})
    assert r.status_code == 200, r.text
    created = r.json()
    put = await client.put(created["signed_url"], headers={"Content-Type": content_type},
                           content=data if data is not None else jpeg_bytes())
    assert put.status_code == 200, put.text
    return str(created["object_key"])


async def job_when(client: httpx.AsyncClient, key: str, status_url: str, *statuses: str,
                   timeout: float = 90) -> dict[str, Any]:
    """Polls the job's ``status_url`` until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(status_url, headers=bearer(key))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in statuses:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {body['status']}: {body}")
        await asyncio.sleep(1.05)  # a Pro key may poll 60 times a minute
