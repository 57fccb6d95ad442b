"""Miraflow against the real app: keys made through ``POST /api/keys`` (the Keys tab's call) and sent as
``x-api-key``, uploads through the studio's media upload, tiny random-weight models for image jobs."""

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
from models.conftest import _offline, install, tiny_dir, tiny_sd

__all__ = ["_offline", "install", "tiny_dir", "tiny_sd"]

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "images"
ALL_SCOPES = ["read", "generate:image", "generate:video"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent],
                         api_key_rate_limit_per_minute=10_000)


async def miraflow_key(api: Api, scopes: list[str] | None = None) -> str:
    """A new Miraflow key of ``api``'s user, made from a signed-in session like the Keys tab does."""
    r = await api.post("/api/keys", json={"name": "miraflow key", "scopes": scopes or ALL_SCOPES})
    assert r.status_code == 200, r.text
    key: str = r.json()["key"]
    assert key.startswith("mfl_live_"), key
    return key


def xkey(key: str) -> dict[str, str]:
    return {"x-api-key": key}


def failure(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The seed's failure envelope with the studio's stable code, checked."""
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["result"] == "failure" and isinstance(body["error"], str) and body["error"], body
    assert body["code"] == code and body["message"] == body["error"], body
    return body


def png(size: tuple[int, int] = (64, 64), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def upload(api: Api, data: bytes, name: str = "image.png", mime: str = "image/png") -> str:
    """A media item of ``api``'s user (through the studio's upload, until /api/media/initialize lands)."""
    r = await api.post("/api/v2/media/upload", files={"file": (name, data, mime)})
    assert r.status_code in (200, 201), r.text
    media_id: str = r.json()["id"]
    return media_id


async def poll(api: Api, key: str, path: str, done: Any, timeout: float = 120) -> dict[str, Any]:
    """GETs ``path`` until ``done(body)``."""
    deadline = time.monotonic() + timeout
    while True:
        r = await api.client.get(path, headers=xkey(key))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still {body}")
        await asyncio.sleep(0.2)
