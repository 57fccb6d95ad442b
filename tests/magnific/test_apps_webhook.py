"""A run's ``webhook`` goes through the platform's delivery service: posted when the run ends with the
run as its poll answers it, signed with the user's app-webhook secret (Standard Webhooks headers and
X-Webhook-Signature) and retried after a failure."""

from __future__ import annotations

import asyncio
import json

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from conftest import Api
from webhooks.receiver import Reply, receiving, seed_verifies

from .conftest import input_ids, magnific_key, publish_app, run_when

pytestmark = pytest.mark.timeout(90)


async def test_webhook_received_verified_and_retried(api: Api, file_server: str) -> None:
    app = await publish_app(api)
    ids = input_ids(app)
    key = await magnific_key(api)
    r = await api.get("/api/v2/apps/webhook-secret")
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    assert secret.startswith("whsec_") and (await api.get("/api/v2/apps/webhook-secret")).json()["secret"] == secret
    with receiving() as receiver:
        receiver.script(Reply(503), Reply(200))  # the first attempt fails: retried
        r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={
            "inputs": {ids["Photo"]: f"{file_server}/coffee.png", ids["Fit mode"]: "fit"},
            "webhook": receiver.url})
        assert r.status_code == 200, r.text
        run_id = r.json()["data"]["run_id"]
        first, second = await asyncio.to_thread(receiver.wait_for, 2)
        assert (first.status, second.status) == (503, 200)
        assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
        payload = json.loads(second.body)
        polled = await run_when(api, key, run_id, "COMPLETED")
        assert payload["run_id"] == run_id and payload["status"] == "COMPLETED"
        assert [o["node_id"] for o in payload["outputs"]] == ["crop", "small", "swatch"]
        assert {k: v for k, v in payload.items() if k not in ("outputs", "generated")} == {
            k: v for k, v in polled.items() if k not in ("outputs", "generated")}
        # Verified as a Standard Webhooks receiver does, and with the X-Webhook-Signature scheme.
        headers = {name: second.headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        assert Webhook(secret).verify(second.body, headers)["run_id"] == run_id
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(second.body, headers)
        assert seed_verifies([second], secret) == [True]
    # A failed run tells its webhook too.
    with receiving() as receiver:
        r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={
            "inputs": {ids["Photo"]: f"{file_server}/coffee.png", ids["Fit mode"]: "fit", ids["Crop left"]: 9000},
            "webhook": receiver.url})
        [got] = await asyncio.to_thread(receiver.wait_for, 1)
        body = json.loads(got.body)
        assert body["status"] == "FAILED" and body["error"]["code"] == "CROP_OUT_OF_BOUNDS" and body["outputs"] == []
        assert Webhook(secret).verify(got.body, {k: got.headers[k] for k in
                                                 ("webhook-id", "webhook-timestamp", "webhook-signature")})
