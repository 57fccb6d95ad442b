"""Steps of a top-up as a buyer and Stripe make them, through the real app."""

from __future__ import annotations

from typing import Any

import httpx

from conftest import Api

from .conftest import WEBHOOK_SECRET
from .fake_stripe import FakeStripe, signed_event

WEBHOOK = "/api/v2/billing/stripe-webhook"


async def checkout(api: Api, pack_id: str = "starter") -> dict[str, Any]:
    r = await api.post("/api/v2/billing/payment-intent", json={"pack_id": pack_id})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def deliver(client: httpx.AsyncClient, event_type: str, session: dict[str, Any], *,
                  event_id: str | None = None, timestamp: int | None = None,
                  secret: str = WEBHOOK_SECRET) -> httpx.Response:
    """Stripe's delivery of one event: no studio credential, only the signature."""
    payload, headers = signed_event(event_type, session, secret, event_id=event_id, timestamp=timestamp)
    return await client.post(WEBHOOK, content=payload, headers=headers)


async def pay(client: httpx.AsyncClient, fake: FakeStripe, session_id: str) -> httpx.Response:
    """The buyer pays by card; Stripe sends checkout.session.completed."""
    r = await deliver(client, "checkout.session.completed", fake.pay(session_id))
    assert r.status_code == 200, r.text
    return r


async def invoices(api: Api) -> list[dict[str, Any]]:
    r = await api.get("/api/v2/billing/invoices")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def balance(api: Api) -> dict[str, Any]:
    r = await api.get("/api/v2/billing/balance")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
