"""Studios whose webhooks may reach loopback receivers over http, with a fast retry schedule."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD, make_settings
from miniaistudio.config import Settings
from miniaistudio.core.policy import Principal
from miniaistudio.services.webhooks import DeliveryView
from miniaistudio.studio import Studio

#: Loopback and http allowed (tests only); retries 0.2 s apart, no jitter, quick polls.
LOOPBACK_WEBHOOKS: dict[str, Any] = {
    "webhook_allow_http": True, "webhook_allow_private_targets": True,
    "webhook_retry_schedule": [0, 0.2, 0.2, 0.2, 0.2, 0.2], "webhook_retry_jitter": 0,
    "webhook_poll_seconds": 0.05, "webhook_timeout_seconds": 3, "webhook_lease_seconds": 5,
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **LOOPBACK_WEBHOOKS)


def new_user(studio: Studio, email: str = "hooks@example.com") -> Principal:
    user = studio.accounts.create_user(email, PASSWORD)
    return Principal(user.id, user.email)


def enqueue(studio: Studio, principal: Principal, payload: Any, *, event_type: str = "generation.completed",
            dialect: str = "aivs", **targets: Any) -> str:
    """An event written in its own transaction, as a door would write it with a job's final state."""
    with studio.db.session() as s:
        event_id = studio.webhooks.enqueue(s, user_id=principal.user_id, dialect_name=dialect,
                                           event_type=event_type, payload=payload, **targets)
    assert event_id is not None
    return event_id


async def settled(studio: Studio, principal: Principal, event_id: str, timeout: float = 15) -> list[DeliveryView]:
    """The event's deliveries once none is pending or being sent."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(studio.webhooks.event_deliveries, principal, event_id)
        if found and all(d.status not in ("pending", "sending") for d in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries still under way: {found}")
        await asyncio.sleep(0.05)


def generation_payload(prompt: str) -> dict[str, Any]:
    """The seed's generation.completed body."""
    return {"event": "generation.completed",
            "data": {"id": "gen_abc123def456", "type": "image", "status": "completed", "prompt": prompt,
                     "output_url": "https://cdn.example.com/image.png", "created_at": "2025-01-09T12:00:00Z",
                     "completed_at": "2025-01-09T12:00:15Z"},
            "created_at": "2025-01-09T12:00:15Z"}
