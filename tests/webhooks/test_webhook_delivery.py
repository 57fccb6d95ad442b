"""Webhook delivery end to end: the real dispatcher of a real studio posting to real loopback
receivers, signatures checked by the seed's own JavaScript verifier under node."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from conftest import make_settings
from miniaistudio.core.errors import StudioError
from miniaistudio.services.webhook_signing import aivs_signature
from miniaistudio.services.webhooks import utc_now
from miniaistudio.store.tables import WebhookEvent
from miniaistudio.studio import Studio

from .conftest import LOOPBACK_WEBHOOKS, enqueue, generation_payload, new_user, settled
from .receiver import Reply, receiving, seed_verifies

pytestmark = pytest.mark.timeout(60)

NON_ASCII_PROMPT = "Café au lait ☕ in Zürich — 東京の夜景 🌃🚀, \"quoted\" \\ back\nslash, 0.1+0.2"


async def test_the_seeds_javascript_verifier_accepts_every_delivery(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        created = studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        assert created.secret.startswith("whsec_") and created.endpoint.events == ["generation.completed",
                                                                                   "generation.failed"]
        payload = generation_payload(NON_ASCII_PROMPT)
        payload["data"].update(seconds=0.1 + 0.2, big=1e21, tiny=5e-7, whole=15.0, count=2**40, none=None)
        event_id = enqueue(studio, owner, payload)
        [got] = await asyncio.to_thread(receiver.wait_for, 1)
        [delivery] = await settled(studio, owner, event_id)

    assert delivery.status == "delivered" and delivery.attempt == 1 and delivery.last_status_code == 200
    assert seed_verifies([got], created.secret) == [True]
    # The bytes are JavaScript's JSON.stringify of the payload: UTF-8, unescaped, no ".0".
    text = got.body.decode()
    assert "☕" in text and "🌃" in text and "\\u" not in text and '"whole":15,' in text and '"big":1e+21' in text
    assert json.loads(text) == {**payload, "data": {**payload["data"], "whole": 15}}
    with studio.db.session() as s:
        row = s.get(WebhookEvent, event_id)
        assert row is not None and row.payload == text  # stored exactly as sent
    # The stable id and the Standard Webhooks headers.
    headers = got.headers
    assert headers["x-webhook-id"] == headers["webhook-id"] == event_id
    assert headers["content-type"] == "application/json" and headers["user-agent"].startswith("MiniAIStudio")
    assert Webhook(created.secret).verify(got.body, headers) == json.loads(text)
    # The check is sensitive: a sender signing Python's json.dumps text would fail the seed's verifier.
    python_text = json.dumps(payload)
    naive = replace(got, body=python_text.encode(), headers={
        **got.headers, "x-webhook-signature": aivs_signature(created.secret, int(time.time()), python_text)})
    assert seed_verifies([naive], created.secret) == [False]


async def test_receiver_down_then_up_gets_each_event_once_with_fresh_valid_signatures(tmp_path: Path) -> None:
    down_port = 0
    with receiving() as probe:  # a port nobody listens on once the probe is gone
        down_port = probe.port
    schedule = {**LOOPBACK_WEBHOOKS, "webhook_retry_schedule": [0, 0.3, 0.3, 0.6, 1.2, 2, 2, 2]}
    studio = Studio(make_settings(tmp_path, **schedule))
    await studio.start()
    try:
        owner = new_user(studio)
        created = studio.webhooks.create(owner, dialect_name="aivs", url=f"http://127.0.0.1:{down_port}/hooks")
        first = enqueue(studio, owner, generation_payload("first"))
        second = enqueue(studio, owner, generation_payload("second ✓"))
        for _ in range(100):  # several attempts against a closed port
            [refused] = await asyncio.to_thread(studio.webhooks.event_deliveries, owner, first)
            if refused.attempt >= 3 and refused.last_error:
                break
            await asyncio.sleep(0.05)
        assert refused.status in ("pending", "sending") and refused.attempt >= 3, refused
        assert refused.last_error is not None and refused.last_error.startswith("URL_POST_FAILED")
        with receiving(down_port) as receiver:
            receiver.script(Reply(503), Reply(200))  # up, but busy once
            done = [*(await settled(studio, owner, first)), *(await settled(studio, owner, second))]
            got = receiver.requests
    finally:
        await studio.stop()

    assert [d.status for d in done] == ["delivered", "delivered"]
    delivered_ids = [r.headers["x-webhook-id"] for r in got if r.status == 200]
    assert sorted(delivered_ids) == sorted([first, second])  # each event delivered exactly once
    assert all(seed_verifies(got, created.secret))  # every retry signed afresh, and validly
    attempts = studio.webhooks.attempts(owner, done[0].id)
    assert [a.attempt for a in attempts] == list(range(1, done[0].attempt + 1))
    assert attempts[-1].status_code == 200 and all(a.error for a in attempts if a.status_code is None)
    stamps = [int(r.headers["webhook-timestamp"]) for r in got]
    assert stamps == sorted(stamps)


async def test_retry_after_is_honoured(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        receiver.script(Reply(503, {"Retry-After": "1"}), Reply(200))
        event_id = enqueue(studio, owner, generation_payload("busy"))
        [delivery] = await settled(studio, owner, event_id)
        first, second = receiver.requests
        assert delivery.status == "delivered" and second.at - first.at >= 0.95  # not the 0.2 s of the schedule

        # A long Retry-After (an hour) is waited out on the studio's clock, not slept through here.
        receiver.script(Reply(429, {"Retry-After": "3600"}), Reply(200))
        event_id = enqueue(studio, owner, generation_payload("throttled"))
        await asyncio.to_thread(receiver.wait_for, 3)
        await asyncio.sleep(0.5)
        [waiting] = await asyncio.to_thread(studio.webhooks.event_deliveries, owner, event_id)
        assert waiting.status == "pending" and waiting.last_status_code == 429 and len(receiver.requests) == 3
        assert waiting.next_attempt_at is not None
        assert abs((waiting.next_attempt_at - utc_now()).total_seconds() - 3600) < 10
        studio.webhooks.clock = lambda: datetime.now(UTC) + timedelta(seconds=3601)
        studio.webhook_dispatcher.wake()
        [delivery] = await settled(studio, owner, event_id)
    assert delivery.status == "delivered" and delivery.attempt == 2


async def test_410_disables_the_endpoint(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        receiver.script(Reply(410, body=b"gone for good"))
        created = studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        event_id = enqueue(studio, owner, generation_payload("to a gone receiver"))
        [delivery] = await settled(studio, owner, event_id)
        endpoint = studio.webhooks.get(owner, created.endpoint.id)
        assert delivery.status == "disabled" and delivery.attempt == 1 and delivery.excerpt == "gone for good"
        assert not endpoint.enabled and endpoint.disabled_reason is not None and "410" in endpoint.disabled_reason
        with studio.db.session() as s:  # nobody left to tell
            assert studio.webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs",
                                           event_type="generation.completed", payload={}) is None
        with pytest.raises(StudioError) as refused:
            studio.webhooks.send_test(owner, created.endpoint.id)
        assert refused.value.code == "WEBHOOK_DISABLED"
        # Enabled again by its owner: deliveries resume.
        receiver.script(Reply(200))
        studio.webhooks.update(owner, created.endpoint.id, enabled=True)
        test_event = studio.webhooks.send_test(owner, created.endpoint.id)
        [delivery] = await settled(studio, owner, test_event)
        assert delivery.status == "delivered" and len(receiver.requests) == 2
        assert json.loads(receiver.requests[1].body)["event"] == "webhook.test"


async def test_attempts_run_out_and_the_delivery_fails(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        receiver.script(Reply(500, body=b"x" * 100_000))  # also: a huge answer is kept to 1 KiB
        created = studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        event_id = enqueue(studio, owner, generation_payload("never accepted"))
        [delivery] = await settled(studio, owner, event_id)
        await asyncio.sleep(0.4)
        requests = len(receiver.requests)
    assert delivery.status == "failed" and delivery.attempt == len(LOOPBACK_WEBHOOKS["webhook_retry_schedule"])
    assert requests == delivery.attempt  # nothing after the last attempt
    assert delivery.excerpt is not None and len(delivery.excerpt.encode()) <= 1024
    attempts = studio.webhooks.attempts(owner, delivery.id)
    assert len(attempts) == delivery.attempt
    assert all(a.status_code == 500 and a.excerpt and len(a.excerpt.encode()) <= 1024 for a in attempts)
    assert [d.id for d in studio.webhooks.deliveries(owner, created.endpoint.id)] == [delivery.id]


async def test_redirects_are_not_followed(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        receiver.script(Reply(302, {"Location": "/elsewhere"}), Reply(307, {"Location": "/elsewhere"}), Reply(200))
        studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        event_id = enqueue(studio, owner, generation_payload("redirected"))
        [delivery] = await settled(studio, owner, event_id)
    assert [r.path for r in receiver.requests] == ["/hooks", "/hooks", "/hooks"]
    assert delivery.status == "delivered" and delivery.attempt == 3
    attempts = studio.webhooks.attempts(owner, delivery.id)
    assert attempts[0].error == "redirect not followed (Location: /elsewhere)"


async def test_redeliver_sends_the_same_event_again(studio: Studio) -> None:
    owner = new_user(studio)
    other = new_user(studio, "other@example.com")
    with receiving() as receiver:
        created = studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url,
                                         events=["generation.failed"], description="ops")
        assert enqueue_or_none(studio, owner, "generation.completed") is None  # not subscribed
        event_id = enqueue(studio, owner, generation_payload("again"), event_type="generation.failed")
        [first] = await settled(studio, owner, event_id)
        again = studio.webhooks.redeliver(owner, first.id)
        assert again.id != first.id and again.event_id == event_id
        done = await settled(studio, owner, event_id)
    assert [d.status for d in done] == ["delivered", "delivered"]
    assert [r.headers["x-webhook-id"] for r in receiver.requests] == [event_id, event_id]
    assert receiver.requests[0].body == receiver.requests[1].body
    # Another user sees none of it.
    for call in (lambda: studio.webhooks.get(other, created.endpoint.id),
                 lambda: studio.webhooks.deliveries(other, created.endpoint.id),
                 lambda: studio.webhooks.update(other, created.endpoint.id, enabled=False),
                 lambda: studio.webhooks.delete(other, created.endpoint.id)):
        with pytest.raises(StudioError) as refused:
            call()
        assert refused.value.code == "WEBHOOK_NOT_FOUND"
    for call in (lambda: studio.webhooks.redeliver(other, first.id),
                 lambda: studio.webhooks.attempts(other, first.id),
                 lambda: studio.webhooks.event_deliveries(other, event_id)):
        with pytest.raises(StudioError) as refused:
            call()
        assert refused.value.code == "WEBHOOK_DELIVERY_NOT_FOUND"
    assert studio.webhooks.list_endpoints(other) == []
    studio.webhooks.delete(owner, created.endpoint.id)
    assert studio.webhooks.list_endpoints(owner) == [] and studio.webhooks.event_deliveries(owner, event_id) == []


def enqueue_or_none(studio: Studio, owner: object, event_type: str) -> str | None:
    with studio.db.session() as s:
        return studio.webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs",  # type: ignore[attr-defined]
                                       event_type=event_type, payload={})


async def test_an_event_exists_only_if_the_change_that_caused_it_commits(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        studio.webhooks.create(owner, dialect_name="aivs", url=receiver.url)
        with pytest.raises(RuntimeError), studio.db.session() as s:
            event_id = studio.webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs",
                                               event_type="generation.completed", payload={"job": "rolled back"})
            raise RuntimeError("the job's final state failed to commit")
        with pytest.raises(StudioError) as refused, studio.db.session() as s:
            studio.webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs", event_type="generation.completed",
                                    payload={"blob": "x" * 300_000})
        assert refused.value.code == "WEBHOOK_PAYLOAD_TOO_LARGE"
        await asyncio.sleep(0.5)
        assert receiver.requests == []
        assert event_id is not None and studio.webhooks.event_deliveries(owner, event_id) == []


async def test_ad_hoc_targets_are_signed_with_the_doors_secret(studio: Studio) -> None:
    owner = new_user(studio)
    with receiving() as receiver:
        signed = enqueue(studio, owner, generation_payload("per request"), target_url=receiver.url,
                         target_secret="door-secret")
        unsigned = enqueue(studio, owner, generation_payload("no secret"), target_url=receiver.url)
        await settled(studio, owner, signed)
        await settled(studio, owner, unsigned)
    by_id = {r.headers["x-webhook-id"]: r for r in receiver.requests}
    assert seed_verifies([by_id[signed]], "door-secret") == [True]
    assert "x-webhook-signature" not in by_id[unsigned].headers and by_id[unsigned].headers["webhook-id"] == unsigned


async def test_private_targets_and_http_are_refused_by_default(tmp_path: Path) -> None:
    studio = Studio(make_settings(tmp_path, **{**LOOPBACK_WEBHOOKS, "webhook_allow_private_targets": False}))
    await studio.start()
    try:
        owner = new_user(studio)
        with receiving() as receiver:
            for url in (receiver.url, f"http://localhost:{receiver.port}/hooks", "http://[::1]:9/x",
                        "http://169.254.169.254/latest"):
                with pytest.raises(StudioError) as refused:
                    studio.webhooks.create(owner, dialect_name="aivs", url=url)
                assert refused.value.code == "URL_NOT_ALLOWED", url
            # A target that passed the form check is still refused at connection time, every attempt.
            event_id = enqueue(studio, owner, generation_payload("to loopback"), target_url=receiver.url)
            [delivery] = await settled(studio, owner, event_id)
            assert receiver.requests == []
        assert delivery.status == "failed" and delivery.last_error is not None
        assert delivery.last_error.startswith("URL_NOT_ALLOWED")
    finally:
        await studio.stop()

    https_only = Studio(make_settings(tmp_path / "strict"))
    try:
        owner = new_user(https_only)
        for url in ("http://example.com/hooks", "ftp://example.com/x", "https://user:pw@example.com/x",
                    "https://0x7f.1/x", "not a url"):
            with pytest.raises(StudioError) as refused:
                https_only.webhooks.create(owner, dialect_name="aivs", url=url)
            assert refused.value.code in ("URL_NOT_ALLOWED", "URL_INVALID"), url
        with pytest.raises(StudioError) as refused, https_only.db.session() as s:
            https_only.webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs", event_type="generation.failed",
                                        payload={}, target_url="http://example.com/hooks")
        assert refused.value.code == "URL_NOT_ALLOWED"
        for bad in ({"dialect_name": "nope"}, {"dialect_name": "aivs", "events": ["generation.exploded"]}):
            with pytest.raises(StudioError) as refused:
                https_only.webhooks.create(owner, url="https://example.com/hooks", **bad)  # type: ignore[arg-type]
            assert refused.value.code in ("WEBHOOK_DIALECT_UNKNOWN", "WEBHOOK_EVENT_UNKNOWN")
    finally:
        https_only.close()


def test_timing_of_the_default_schedule() -> None:
    """The documented default: ten attempts over about three days."""
    from miniaistudio.config import DEFAULT_WEBHOOK_SCHEDULE
    total = sum(DEFAULT_WEBHOOK_SCHEDULE)
    assert len(DEFAULT_WEBHOOK_SCHEDULE) == 10 and 3 * 86400 < total < 3.25 * 86400
    assert time.time() > 0
