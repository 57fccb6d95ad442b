"""Helpers for ``/api/v1/webhooks``: AI Visual Studio keys made through ``/api/v1/keys`` and the
seed's error envelope (``tests/keys``), loopback receivers and the seed's verifier (``tests/webhooks``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from conftest import Api

SEED_CREATE_BODY = """{
    "url": "https://your-app.com/webhooks/photoverse",
    "events": ["generation.completed", "generation.failed"]
  }"""
"""The seed's "Example: Create Webhook" ``-d`` body, byte for byte."""


async def webhooks_key(api: Api, scopes: list[str] | None = None) -> dict[str, str]:
    """Headers with a new AI Visual Studio key of ``api``'s user (scope ``webhooks`` by default)."""
    r = await api.post("/api/v1/keys", json={"name": "hooks", "scopes": scopes or ["webhooks"]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['key']}"}


async def create_webhook(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert r.status_code == 200, r.text
    created: dict[str, Any] = r.json()
    return created


async def delivery_log(client: httpx.AsyncClient, headers: dict[str, str], webhook_id: str,
                       until: Any = None, timeout: float = 15) -> list[dict[str, Any]]:
    """The webhook's delivery log through the API, once ``until(log)`` holds (default: nothing pending)."""
    done = until or (lambda log: bool(log) and all(d["status"] not in ("pending", "sending") for d in log))
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers)
        assert r.status_code == 200, r.text
        log: list[dict[str, Any]] = r.json()["data"]
        if done(log):
            return log
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery log never settled: {log}")
        await asyncio.sleep(0.05)
