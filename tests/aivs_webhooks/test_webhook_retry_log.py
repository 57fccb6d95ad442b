"""A delivery waiting for its next retry, seen through the delivery log: the status code answered
and when the next attempt is due (a schedule whose second attempt is an hour later)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings
from webhooks.conftest import LOOPBACK_WEBHOOKS
from webhooks.receiver import Reply, receiving

from .conftest import create_webhook, delivery_log, webhooks_key

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **{**LOOPBACK_WEBHOOKS, "webhook_retry_schedule": [0, 3600]})


async def test_a_pending_retry_shows_its_status_code_and_when_it_is_due(client: httpx.AsyncClient,
                                                                        api: Api) -> None:
    key = await webhooks_key(api)
    with receiving() as receiver:
        receiver.script(Reply(502))
        webhook = await create_webhook(client, key, url=receiver.url)
        await client.post(f"/api/v1/webhooks/{webhook['id']}/test", headers=key)
        [delivery] = await delivery_log(client, key, webhook["id"], until=lambda log: bool(log) and (
            log[0]["status"] == "pending" and log[0]["attempts"] == 1))
    assert delivery["status_code"] == 502 and [a["status_code"] for a in delivery["attempt_log"]] == [502]
    due = datetime.fromisoformat(delivery["next_retry_at"])
    tried = datetime.fromisoformat(delivery["attempt_log"][0]["at"])
    assert timedelta(minutes=59) < due - tried < timedelta(minutes=61)
    [listed] = (await client.get("/api/v1/webhooks", headers=key)).json()["data"]
    assert listed["last_delivery"]["status"] == "pending" and listed["last_delivery"]["status_code"] == 502
