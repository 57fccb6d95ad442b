"""Webhook deliveries on PostgreSQL, claimed by several dispatchers at once (each its own connection,
as each API process's dispatcher is): ``FOR UPDATE SKIP LOCKED`` hands every delivery to exactly one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import servers
from conftest import make_settings
from miniaistudio.services.webhook_dispatcher import DispatchConfig, WebhookDispatcher
from miniaistudio.studio import Studio
from webhooks.conftest import LOOPBACK_WEBHOOKS, enqueue, new_user


@pytest.fixture
def postgres_url() -> Iterator[str]:
    postgres, _ = servers.BACKEND.servers.ensure_started()
    name = postgres.create_database()
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)


def test_dispatchers_on_postgresql_never_claim_a_delivery_twice(tmp_path: Path, postgres_url: str) -> None:
    studio = Studio(make_settings(tmp_path, database_url=postgres_url, **LOOPBACK_WEBHOOKS))  # no dispatcher runs
    try:
        owner = new_user(studio)
        events = [enqueue(studio, owner, {"n": i}, target_url="http://127.0.0.1:9/never") for i in range(80)]
        dispatchers = [WebhookDispatcher(studio.db, studio.webhooks, DispatchConfig(lease=60)) for _ in range(4)]
        claimed: list[list[str]] = [[] for _ in dispatchers]
        start = threading.Barrier(len(dispatchers))

        def drain(index: int) -> None:
            start.wait()
            while batch := dispatchers[index].claim(3):
                claimed[index].extend(c.delivery_id for c in batch)

        threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(dispatchers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        every = [d for mine in claimed for d in mine]
        assert len(every) == len(set(every)) == len(events)
    finally:
        studio.close()
