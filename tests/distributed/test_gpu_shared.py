"""GPU runtime state and GPU billing sessions across two API processes (A and B) on one database:
started through one, seen and stopped through the other, billed once per interval, and a dead
holder's billing session closed once by a live process."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import make_settings
from live_process import signed_in, wait_for
from miniaistudio.runtimes.models.gpu import DeviceInfo, GpuRuntime
from miniaistudio.services.credits import CreditLedger
from miniaistudio.services.gpu_billing import GpuBilling
from miniaistudio.store.db import Database
from miniaistudio.store.tables import CreditAccount, CreditHold, GpuBillingSession, LedgerEntry, User
from miniaistudio.studio import Studio

from .conftest import EMAIL, LEASE_SECONDS, Cluster, running_cluster

GRANT = 1000
OTHER = "other-gpu-user@example.com"


@pytest.fixture(scope="module")
def gpu_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A and B with GPU billing on: 1 credit per started minute, one prepaid minute per block."""
    with running_cluster(tmp_path_factory.mktemp("gpu-cluster"), MINIAI_BILLING="credits",
                         MINIAI_BILLING_STARTING_GRANT=str(GRANT), MINIAI_GPU_PRICE_PER_MINUTE="1",
                         MINIAI_GPU_PREPAID_MINUTES="1") as started:
        yield started


@pytest.fixture(scope="module")
def db(gpu_cluster: Cluster) -> Iterator[Database]:
    database = Database(gpu_cluster.database_url)
    yield database
    database.dispose()


def sessions(db: Database) -> list[GpuBillingSession]:
    with db.session() as s:
        return list(s.scalars(select(GpuBillingSession).order_by(GpuBillingSession.started_at)))


def entries(db: Database, session_id: str) -> dict[str, int]:
    """Ledger entries of one GPU billing session's holds, by kind."""
    with db.session() as s:
        holds = select(CreditHold.id).where(CreditHold.gpu_session_id == session_id)
        rows = s.execute(select(LedgerEntry.kind, func.count()).where(LedgerEntry.hold_id.in_(holds))
                         .group_by(LedgerEntry.kind)).all()
    return {kind: int(n) for kind, n in rows}


def account(db: Database) -> tuple[int, int]:
    with db.session() as s:
        row = s.execute(select(CreditAccount.available, CreditAccount.reserved)
                        .join(User, User.id == CreditAccount.user_id).where(User.email == EMAIL)).one()
    return int(row[0]), int(row[1])


async def test_gpu_started_through_a_is_seen_and_stopped_through_b(gpu_cluster: Cluster, db: Database) -> None:
    a, b = await signed_in(gpu_cluster.a.url, EMAIL), await signed_in(gpu_cluster.b.url, EMAIL)
    assert (await b.get("/api/v2/gpu/status")).json()["state"] == "stopped"
    started = await a.post("/api/v2/gpu/start")
    assert started.status_code == 200 and started.json()["state"] == "ready", started.text
    seen = (await b.get("/api/v2/gpu/status")).json()
    assert seen["state"] == "ready" and seen["started_at"] == started.json()["started_at"], seen
    assert seen["device"] == started.json()["device"]
    # Starting again through B starts no second runtime (nor a second billing session).
    again = await b.post("/api/v2/gpu/start")
    assert again.status_code == 200 and again.json()["started_at"] == started.json()["started_at"]
    open_ones = [s for s in sessions(db) if s.status == "open"]
    assert len(open_ones) == 1
    # The billing session A holds is the caller's active one through B as well.
    active = (await b.get("/api/v2/billing/gpu-active")).json()
    assert active["active"] is True and active["id"] == open_ones[0].id and active["held"] == 1, active

    # Who started it is shared too: another user may not stop it through B.
    gpu_cluster.b.create_user(OTHER)
    other = await signed_in(gpu_cluster.b.url, OTHER)
    refused = await other.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", refused.text

    stopping = await b.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert stopping.status_code == 200 and stopping.json()["state"] in ("stopping", "stopped"), stopping.text

    async def stopped_everywhere() -> bool:
        states = {(await api.get("/api/v2/gpu/status")).json()["state"] for api in (a, b)}
        return states == {"stopped"}

    await wait_for(stopped_everywhere, 10, "the stop through B to reach A")
    closed = sessions(db)[-1]
    assert (closed.status, closed.close_reason, closed.charged, closed.refunded) == ("closed", "stopped", 1, 0)
    assert entries(db, closed.id) == {"hold": 1, "capture": 1}
    assert account(db) == (GRANT - 1, 0)


async def test_both_tickers_run_but_an_interval_is_held_once_and_a_starting_process_leaves_it_alone(
        gpu_cluster: Cluster, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a, b = await signed_in(gpu_cluster.a.url, EMAIL), await signed_in(gpu_cluster.b.url, EMAIL)
    before = account(db)
    assert (await a.post("/api/v2/gpu/start")).status_code == 200
    opened = sessions(db)[-1]
    assert opened.status == "open" and opened.holder_id
    # A third API process starts (here, in the test's process): its start-up recovery must not close
    # the session A holds.
    third = Studio(make_settings(tmp_path, database_url=gpu_cluster.database_url, redis_url=gpu_cluster.redis.url,
                                 media_dir=gpu_cluster.root / "media", run_lease_seconds=LEASE_SECONDS,
                                 billing="credits"))
    with caplog.at_level(logging.WARNING, logger="miniaistudio.studio"):
        await third.start()
        await third.stop()
    assert not [r.message for r in caplog.records if "GPU billing session" in r.message]
    # Several lease times with both processes ticking and recovering: A's heartbeat keeps it open.

    async def heartbeats_moved() -> bool:
        with db.session() as s:
            beat = s.scalar(select(GpuBillingSession.heartbeat_at).where(GpuBillingSession.id == opened.id))
        return beat is not None and opened.heartbeat_at is not None and beat > opened.heartbeat_at + 2 * LEASE_SECONDS

    await wait_for(heartbeats_moved, 15, "A to heartbeat its session for two lease times")
    still = next(s for s in sessions(db) if s.id == opened.id)
    assert still.status == "open" and still.holder_id == opened.holder_id
    assert entries(db, opened.id) == {"hold": 1}  # one block, held once
    assert account(db) == (before[0] - 1, 1)
    assert (await b.get("/api/v2/gpu/status")).json()["state"] == "ready"


async def test_kill_9_of_the_holder_closes_its_session_once_through_the_other(
        gpu_cluster: Cluster, db: Database) -> None:
    b = await signed_in(gpu_cluster.b.url, EMAIL)
    a = await signed_in(gpu_cluster.a.url, EMAIL)
    if (await a.get("/api/v2/gpu/status")).json()["state"] != "ready":
        assert (await a.post("/api/v2/gpu/start")).status_code == 200
    held = next(s for s in sessions(db) if s.status == "open")
    gpu_cluster.kill9_a()

    async def closed() -> GpuBillingSession | None:  # closed, then its holds settled
        row = next(s for s in sessions(db) if s.id == held.id)
        return row if row.status == "closed" and account(db)[1] == 0 else None

    row: GpuBillingSession = await wait_for(closed, 15, "B to close the dead holder's session")
    assert row.close_reason == "interrupted" and row.charged == 1 and row.refunded == 0
    assert entries(db, held.id) == {"hold": 1, "capture": 1}
    assert account(db)[1] == 0

    async def seen_stopped() -> bool:  # once the dead holder's runtime lease has run out too
        return bool((await b.get("/api/v2/gpu/status")).json()["state"] == "stopped")

    await wait_for(seen_stopped, 10, "B to see the dead holder's runtime as stopped")


def test_an_extension_racing_the_close_of_its_session_charges_each_interval_once(db: Database) -> None:
    """A holder extending its session at the very moment two other processes, believing it dead,
    close it: whatever the order, the session is closed once and every credit held is charged or
    given back exactly once."""
    with db.session() as s:
        user_id = s.scalar(select(User.id).where(User.email == EMAIL))
    assert user_id is not None
    for _ in range(5):
        race_once(db, user_id)


def race_once(db: Database, user_id: str) -> None:
    now = [datetime.now(UTC)]
    runtime = GpuRuntime(probe=lambda: DeviceInfo("cpu", "test", None, "float32", None))
    holder = GpuBilling(db, CreditLedger(db), runtime, price_per_minute=1, block_minutes=1,
                        idle_timeout_seconds=3600, clock=lambda: now[0], holder_id="holder", lease_seconds=2)
    runtime.start(started_by=user_id)
    session_id = sessions(db)[-1].id
    now[0] += timedelta(seconds=58)  # inside the last seconds of the paid minute: the tick extends
    before = account(db)
    reapers = [GpuBilling(db, CreditLedger(db), GpuRuntime(), price_per_minute=1, block_minutes=1,
                          idle_timeout_seconds=3600, holder_id=f"reaper-{i}", lease_seconds=2,
                          wall=lambda: datetime.now(UTC).timestamp() + 60)  # the holder looks dead
               for i in range(2)]
    closes: list[int] = []
    barrier = threading.Barrier(3)

    def race(work: Callable[[], Any]) -> None:
        barrier.wait()
        work()

    works: list[Callable[[], Any]] = [holder.tick, *[functools.partial(lambda r: closes.append(r.recover()), r)
                                                     for r in reapers]]
    threads = [threading.Thread(target=race, args=(work,)) for work in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    holder.tick()  # the holder finds its session closed elsewhere and stops its runtime
    assert runtime.wait_stopped(10)
    reapers[0].recover()  # a block held after the close (the race's loser) is given back
    row = next(s for s in sessions(db) if s.id == session_id)
    assert sum(closes) == 1 and row.status == "closed" and row.close_reason == "interrupted"
    with db.session() as s:
        holds = list(s.scalars(select(CreditHold).where(CreditHold.gpu_session_id == session_id)))
    assert holds and all(h.status != "active" for h in holds)
    assert sum(h.captured for h in holds) == row.charged == 1
    kinds = entries(db, session_id)
    assert kinds["hold"] == len(holds) <= 2 and kinds.get("capture", 0) + kinds.get("release", 0) == len(holds)
    after = account(db)
    assert after[1] == 0 and after[0] == before[0] + before[1] - 1
