"""Claiming deliveries: each due delivery goes to exactly one dispatcher, even when several claim
at once over the same database; a sender's expired lease hands its delivery on; the claim locks
rows with SKIP LOCKED where the database has it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from conftest import make_settings
from miniaistudio.services.webhook_dispatcher import DispatchConfig, WebhookDispatcher, due_deliveries
from miniaistudio.store.tables import WebhookDelivery
from miniaistudio.studio import Studio

from .conftest import LOOPBACK_WEBHOOKS, enqueue, new_user

TARGET = "http://127.0.0.1:9/never-contacted"


def test_concurrent_dispatchers_never_claim_a_delivery_twice(tmp_path: Path) -> None:
    studio = Studio(make_settings(tmp_path, **LOOPBACK_WEBHOOKS))  # not started: no dispatcher of its own
    try:
        owner = new_user(studio)
        events = [enqueue(studio, owner, {"n": i}, target_url=TARGET) for i in range(60)]
        dispatchers = [WebhookDispatcher(studio.db, studio.webhooks, DispatchConfig(lease=60)) for _ in range(4)]
        claimed: list[str] = []
        lock = threading.Lock()

        def drain(dispatcher: WebhookDispatcher) -> None:
            while batch := dispatcher.claim(5):
                with lock:
                    claimed.extend(c.delivery_id for c in batch)

        threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(claimed) == len(set(claimed)) == len(events)
        assert dispatchers[0].claim(100) == []  # all leased

        # A lease that ran out (its sender died) is claimed again, with the next attempt number...
        later = datetime.now(UTC) + timedelta(seconds=61)
        studio.webhooks.clock = lambda: later
        again = dispatchers[0].claim(100)
        assert len(again) == len(events) and {c.attempt for c in again} == {2}
        # ...unless that was the last attempt: then the delivery has failed.
        last = len(LOOPBACK_WEBHOOKS["webhook_retry_schedule"])
        with studio.db.session() as s:
            s.execute(update(WebhookDelivery).values(attempt=last))
        studio.webhooks.clock = lambda: later + timedelta(seconds=61)
        assert dispatchers[0].claim(100) == []
        statuses = {d.status for e in events for d in studio.webhooks.event_deliveries(owner, e)}
        assert statuses == {"failed"}
    finally:
        studio.close()


def test_the_claim_skips_locked_rows_where_the_database_can() -> None:
    query = due_deliveries(datetime.now(UTC), 5)
    assert "FOR UPDATE SKIP LOCKED" in str(query.compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE" not in str(query.compile(dialect=sqlite.dialect()))
