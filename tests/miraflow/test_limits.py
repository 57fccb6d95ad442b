"""Rate limits and credits as for every door: a key past its per-minute limit answers 429 with
``Retry-After`` in the seed's failure envelope; an image job the balance cannot cover is refused before
any work (402), and a covered one is charged the model's price."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.studio import Studio
from miraflow.conftest import failure, install, miraflow_key, poll, xkey

pytestmark = pytest.mark.timeout(180)

PRICE = 5


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models", model_import_dirs=[tmp_path.parent],
                         billing="credits", gpu_price_per_minute=0, api_key_rate_limit_per_minute=10_000)


async def test_a_key_past_its_rate_limit_gets_429(api: Api) -> None:
    r = await api.post("/api/keys", json={"name": "slow", "scopes": ["read"], "rate_limit_per_minute": 5})
    key = r.json()["key"]
    answers = [await api.client.get("/api/avatars", headers=xkey(key)) for _ in range(6)]
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    refused = failure(answers[5], 429, "RATE_LIMITED")
    assert refused["error"] and int(answers[5].headers["Retry-After"]) >= 1


async def test_image_jobs_are_paid_with_credits(api: Api, make_user: Any, studio: Studio, tiny_sd: Path) -> None:
    admin = await make_user("admin@example.com", admin=True)
    await install(admin, tiny_sd, name="tiny-sd", credits_per_generation=PRICE, default_params={"steps": 2})
    key = await miraflow_key(api)
    body = {"prompt": "a red apple", "name": "apple"}
    failure(await api.client.post("/api/image/generate", json=body, headers=xkey(key)), 402, "INSUFFICIENT_BALANCE")
    me = (await api.get("/api/v2/auth/me")).json()
    await asyncio.to_thread(studio.credits.grant, me["id"], 12, reason="test grant")
    r = await api.client.post("/api/image/generate", json=body, headers=xkey(key))
    assert r.status_code == 200, r.text
    await poll(api, key, f"/api/image/{r.json()['jobId']}", lambda b: "mediaId" in b or b.get("status") == "failed")
    balance = (await api.get("/api/v2/billing/balance")).json()
    assert balance["available"] == 12 - PRICE and balance["reserved"] == 0, balance
