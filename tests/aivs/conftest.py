"""AI Visual Studio generations against the real app: tiny random-weight models installed over the
API (under the seed's model names), credits billing, loopback webhooks, keys made through /api/v1/keys."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, make_settings
from keys.conftest import aivs_error, bearer, create_key
from miniaistudio.config import Settings
from models.conftest import _offline, install, tiny_dir, tiny_sd, tiny_svd, tiny_t2v
from webhooks.conftest import LOOPBACK_WEBHOOKS

__all__ = ["_offline", "aivs_error", "bearer", "create_key", "install", "tiny_dir", "tiny_sd", "tiny_svd",
           "tiny_t2v"]

#: The seed's model ids, so its example requests run as written.
IMAGE_MODEL = "prunaai/z-image-turbo"
VIDEO_MODEL = "minimax/hailuo-2.3-fast"
IMAGE_PRICE = 5


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent],
                         billing="credits", gpu_price_per_minute=0,
                         api_key_rate_limit_per_minute=10_000, **LOOPBACK_WEBHOOKS)


@pytest.fixture
async def admin(make_user: Any) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


async def install_image_model(admin: Api, tiny_sd: Path) -> dict[str, Any]:
    """tiny SD under the seed's default image model name, 2 steps, 5 credits a generation."""
    return await install(admin, tiny_sd, name=IMAGE_MODEL, credits_per_generation=IMAGE_PRICE,
                         default_params={"steps": 2})


async def generation_when(api: Api, key: str, generation_id: str, *statuses: str,
                          timeout: float = 60) -> dict[str, Any]:
    """Polls ``GET /api/v1/generations/{id}`` until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        r = await api.client.get(f"/api/v1/generations/{generation_id}", headers=bearer(key))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in statuses:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"generation still {body['status']}: {body}")
        await asyncio.sleep(0.2)
