"""Deliveries survive a crash: the served studio is killed (-9) while a delivery is in flight, and the
restarted studio delivers it once its lease has run out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from live_process import SECRET, ServedStudio
from miniaistudio.core.policy import Principal
from miniaistudio.services.webhook_retries import RetryPolicy
from miniaistudio.services.webhook_signing import SecretBox
from miniaistudio.services.webhooks import TargetRules, Webhooks
from miniaistudio.store.db import Database
from miniaistudio.store.migrate import upgrade
from miniaistudio.store.tables import User, WebhookAttempt, WebhookDelivery

from .conftest import generation_payload
from .receiver import Reply, receiving, seed_verifies

EMAIL = "crash-hooks@example.com"
#: Attempts give up after 2 s; a claim is taken over 3 s after it was made.
WEBHOOK_ENV = {"MINIAI_WEBHOOK_ALLOW_HTTP": "true", "MINIAI_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
               "MINIAI_WEBHOOK_TIMEOUT_SECONDS": "2", "MINIAI_WEBHOOK_LEASE_SECONDS": "3",
               "MINIAI_WEBHOOK_POLL_SECONDS": "0.1", "MINIAI_WEBHOOK_RETRY_SCHEDULE": "[0, 0.2, 0.2, 0.2]",
               "MINIAI_WEBHOOK_RETRY_JITTER": "0"}


def delivery_state(db: Database) -> tuple[str, int]:
    with db.session() as s:
        row = s.scalars(select(WebhookDelivery)).one()
        return row.status, row.attempt


@pytest.mark.timeout(120)
def test_a_delivery_interrupted_by_a_kill_is_delivered_after_restart(tmp_path: Path) -> None:
    served = ServedStudio(tmp_path / "data", tmp_path / "server.log")
    served.env.update(WEBHOOK_ENV)
    served.create_user(EMAIL)
    db = Database(f"sqlite:///{(tmp_path / 'data' / 'studio.db').resolve()}")
    upgrade(db)
    webhooks = Webhooks(db, SecretBox(SECRET), TargetRules(allow_http=True, allow_private=True),
                        RetryPolicy((0, 0.2, 0.2, 0.2), jitter=0))
    with db.session() as s:
        owner = Principal(s.scalars(select(User.id).where(User.email == EMAIL)).one(), EMAIL)
    try:
        with receiving() as receiver:
            receiver.script(Reply(200, hang=30), Reply(200))  # the first request is never answered
            created = webhooks.create(owner, dialect_name="aivs", url=receiver.url)
            with db.session() as s:
                event_id = webhooks.enqueue(s, user_id=owner.user_id, dialect_name="aivs",
                                            event_type="generation.completed", payload=generation_payload("crash ✓"))
            served.start()
            receiver.wait_for(1, timeout=30)
            served.kill9()  # mid-delivery: the request is out, no answer has come back
            assert delivery_state(db) == ("sending", 1)

            served.start()
            received = receiver.wait_for(2, timeout=30)
            deadline = time.monotonic() + 15
            while delivery_state(db)[0] != "delivered" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert delivery_state(db) == ("delivered", 2)
            time.sleep(0.5)
            assert len(receiver.requests) == 2  # delivered once after the restart, nothing more
    finally:
        served.stop()
    assert [r.headers["x-webhook-id"] for r in received] == [event_id, event_id]
    assert seed_verifies([received[1]], created.secret) == [True]
    with db.session() as s:  # the killed attempt left no outcome; the retry's is logged
        attempts = s.scalars(select(WebhookAttempt)).all()
        assert [(a.attempt, a.status_code) for a in attempts] == [(2, 200)]
    db.dispose()
