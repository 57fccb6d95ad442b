"""Deliveries through the API, on a studio that may reach loopback receivers over http (tests only):
the test event arrives signed so that the seed's own JavaScript verifier (run by node) accepts it;
the delivery log shows attempts, status codes and the next retry; redeliver sends the same event again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from conftest import Api, make_settings
from keys.conftest import aivs_error
from miniaistudio.config import Settings
from webhooks.conftest import LOOPBACK_WEBHOOKS
from webhooks.receiver import Reply, receiving, seed_verifies

from .conftest import create_webhook, delivery_log, webhooks_key

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **LOOPBACK_WEBHOOKS)


async def test_the_test_event_arrives_signed_for_the_seeds_verifier(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    with receiving() as receiver:
        webhook = await create_webhook(client, key, url=receiver.url, description="Café ☕ 東京")
        r = await client.post(f"/api/v1/webhooks/{webhook['id']}/test", headers=key)
        assert r.status_code == 200, r.text
        event_id = r.json()["event_id"]
        [got] = await asyncio.to_thread(receiver.wait_for, 1)
        assert seed_verifies([got], webhook["secret"]) == [True]
        assert seed_verifies([got], "whsec_not_the_secret") == [False]
        assert got.headers["x-webhook-id"] == event_id and got.headers["content-type"].startswith("application/json")
        body = json.loads(got.body)
        assert body["event"] == "webhook.test" and body["data"]["webhook_id"] == webhook["id"]
        assert set(body) == {"event", "data", "created_at"}  # the seed's envelope

        [delivery] = await delivery_log(client, key, webhook["id"])
        assert delivery["status"] == "delivered" and delivery["status_code"] == 200
        assert delivery["event"] == "webhook.test" and delivery["event_id"] == event_id
        assert delivery["attempts"] == 1 and delivery["next_retry_at"] is None
        assert [(a["attempt"], a["status_code"]) for a in delivery["attempt_log"]] == [(1, 200)]
        quiet = await create_webhook(client, key, url=receiver.url + "/quiet")
        listed = {w["id"]: w for w in (await client.get("/api/v1/webhooks", headers=key)).json()["data"]}
        newest = listed[webhook["id"]]["last_delivery"]
        assert newest["event"] == "webhook.test" and newest["status"] == "delivered" and newest["status_code"] == 200
        assert listed[quiet["id"]]["last_delivery"] is None


async def test_retries_are_logged_and_redeliver_sends_the_same_event(client: httpx.AsyncClient, api: Api) -> None:
    key = await webhooks_key(api)
    with receiving() as receiver:
        receiver.script(Reply(500), Reply(503), Reply(200))
        webhook = await create_webhook(client, key, url=receiver.url)
        path = f"/api/v1/webhooks/{webhook['id']}"
        await client.post(f"{path}/test", headers=key)
        [delivery] = await delivery_log(client, key, webhook["id"])
        assert delivery["status"] == "delivered" and delivery["attempts"] == 3
        assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]

        r = await client.post(f"{path}/deliveries/{delivery['id']}/redeliver", headers=key)
        assert r.status_code == 200, r.text
        again = r.json()
        assert again["id"] != delivery["id"] and again["event_id"] == delivery["event_id"]
        assert again["status"] in ("pending", "sending", "delivered")
        log = await delivery_log(client, key, webhook["id"], until=lambda log: len(log) == 2 and all(
            d["status"] == "delivered" for d in log))
        assert [d["id"] for d in log] == [again["id"], delivery["id"]]  # newest first
        [listed] = (await client.get("/api/v1/webhooks", headers=key)).json()["data"]
        assert listed["last_delivery"]["at"] == log[0]["updated_at"]  # the redelivery, not the first one
        requests = await asyncio.to_thread(receiver.wait_for, 4)
        assert [r.status for r in requests] == [500, 503, 200, 200]
        assert {r.headers["x-webhook-id"] for r in requests} == {delivery["event_id"]}
        assert seed_verifies(requests, webhook["secret"]) == [True] * 4

        page = (await client.get(f"{path}/deliveries", params={"limit": 1}, headers=key)).json()
        assert [d["id"] for d in page["data"]] == [again["id"]] and page["has_more"] is True
        page = (await client.get(f"{path}/deliveries", params={"limit": 1, "offset": 1}, headers=key)).json()
        assert [d["id"] for d in page["data"]] == [delivery["id"]] and page["has_more"] is False

        await client.patch(path, json={"enabled": False}, headers=key)
        r = await client.post(f"{path}/deliveries/{delivery['id']}/redeliver", headers=key)
        assert r.status_code == 400 and aivs_error(r)["details"]["reason"] == "webhook_disabled"
        r = await client.post(f"{path}/test", headers=key)
        assert r.status_code == 400 and aivs_error(r)["details"]["reason"] == "webhook_disabled"

