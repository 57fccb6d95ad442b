"""GPU smart billing through the real app: a prepaid block held at start, per started minute at
the end, the exact refund on an early stop, extension or a graceful stop when the block runs out,
idle expiry, tasks counted, and a crash closed with the time up to the last tick.

Time comes from a clock the test moves (the service's injectable clock), so nothing sleeps minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, edge, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

PRICE, BLOCK_MINUTES, IDLE = 3, 5, 600
BLOCK = PRICE * BLOCK_MINUTES  # 15 credits held per block
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", models_dir=tmp_path / "models", gpu_price_per_minute=PRICE,
                         gpu_prepaid_minutes=BLOCK_MINUTES, gpu_idle_timeout_seconds=IDLE)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(studio: Studio) -> Clock:
    clock = Clock()
    assert studio.gpu_billing is not None
    studio.gpu_billing.clock = clock
    return clock


async def funded(api: Api, studio: Studio, credits: int) -> str:
    uid = str((await api.get("/api/v2/auth/me")).json()["id"])
    studio.credits.grant(uid, credits)
    return uid


async def balance(api: Api) -> tuple[int, int]:
    body = (await api.get("/api/v2/billing/balance")).json()
    return body["available"], body["reserved"]


async def active(api: Api) -> dict[str, Any]:
    r = await api.get("/api/v2/billing/gpu-active")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def last_gpu_usage(api: Api) -> dict[str, Any]:
    items = (await api.get("/api/v2/billing/usage-history")).json()["items"]
    gpu: dict[str, Any] = next(item for item in items if item["type"] == "gpu")
    return gpu


def consistent(studio: Studio) -> None:
    checks = studio.credits.verify()
    assert checks and all(c.ok for c in checks), checks


def tick(studio: Studio) -> None:
    assert studio.gpu_billing is not None
    studio.gpu_billing.tick()


async def test_stop_early_charges_started_minutes_and_refunds_the_rest(api: Api, studio: Studio,
                                                                      clock: Clock) -> None:
    await funded(api, studio, 40)
    assert (await active(api)) == {"active": False, "id": None, "started_at": None, "elapsed_seconds": None,
                                   "paid_seconds": None, "task_count": None, "expires_at": None,
                                   "estimated_refund": None, "price_per_minute": None, "held": None}
    r = await api.post("/api/v2/gpu/start")
    assert r.status_code == 200, r.text
    assert await balance(api) == (40 - BLOCK, BLOCK)
    now = await active(api)
    assert (now["active"], now["held"], now["paid_seconds"], now["elapsed_seconds"], now["task_count"]) == \
        (True, BLOCK, BLOCK_MINUTES * 60, 0, 0)
    assert now["estimated_refund"] == BLOCK - PRICE  # the first minute is started
    assert now["started_at"] == "2026-12-03T12:00:00Z" and now["expires_at"] == "2026-12-03T12:10:00Z"

    clock.advance(130)  # 2 min 10 s: 3 started minutes
    tick(studio)
    now = await active(api)
    assert (now["elapsed_seconds"], now["estimated_refund"]) == (130, BLOCK - 3 * PRICE)

    r = await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})
    assert r.status_code == 200 and r.json()["state"] == "stopped", r.text
    assert await balance(api) == (40 - 3 * PRICE, 0)
    assert (await active(api))["active"] is False
    usage = await last_gpu_usage(api)
    assert (usage["credits"], usage["refunded"], usage["used_seconds"], usage["close_reason"], usage["status"]) == \
        (3 * PRICE, BLOCK - 3 * PRICE, 130, "stopped", "closed")
    history = (await api.get("/api/v2/billing/usage-history")).json()
    assert history["totals"]["gpu_credits"] == 9 and history["totals"]["gpu_refunded"] == 6
    consistent(studio)


async def test_a_start_the_balance_cannot_cover_is_refused(api: Api, studio: Studio, clock: Clock) -> None:
    await funded(api, studio, BLOCK - 1)
    r = await api.post("/api/v2/gpu/start")
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_BALANCE", r.text
    assert r.json()["details"] == {"required": BLOCK, "available": BLOCK - 1}
    assert (await api.get("/api/v2/gpu/status")).json()["state"] == "stopped"
    assert await balance(api) == (BLOCK - 1, 0)
    consistent(studio)


async def test_running_out_extends_by_a_block_or_stops_gracefully(api: Api, studio: Studio, clock: Clock) -> None:
    await funded(api, studio, 2 * BLOCK + 5)
    assert (await api.post("/api/v2/gpu/start")).status_code == 200
    clock.advance(BLOCK_MINUTES * 60 - 2)
    tick(studio)  # about to run out: a second block is held
    now = await active(api)
    assert (now["held"], now["paid_seconds"]) == (2 * BLOCK, 2 * BLOCK_MINUTES * 60)
    assert await balance(api) == (5, 2 * BLOCK)

    clock.advance(BLOCK_MINUTES * 60)  # the second block runs out too, and 5 credits cannot buy a third
    tick(studio)
    assert (await api.get("/api/v2/gpu/status")).json()["state"] == "stopped"
    usage = await last_gpu_usage(api)
    assert usage["close_reason"] == "insufficient_balance"
    minutes = -(-(2 * BLOCK_MINUTES * 60 - 2) // 60)  # 10 started minutes
    assert (usage["credits"], usage["refunded"]) == (min(minutes * PRICE, 2 * BLOCK), 0)
    assert await balance(api) == (5, 0)
    consistent(studio)


async def test_an_idle_runtime_expires_and_is_stopped(api: Api, studio: Studio, clock: Clock) -> None:
    assert studio.gpu_billing is not None
    studio.gpu_billing.idle_timeout = timedelta(seconds=120)  # shorter than a block
    await funded(api, studio, 40)
    assert (await api.post("/api/v2/gpu/start")).status_code == 200
    clock.advance(119)
    tick(studio)
    assert (await active(api))["active"] is True
    clock.advance(1)
    tick(studio)
    assert (await active(api))["active"] is False
    assert (await api.get("/api/v2/gpu/status")).json()["state"] == "stopped"
    usage = await last_gpu_usage(api)
    assert (usage["close_reason"], usage["credits"], usage["refunded"]) == ("idle", 2 * PRICE, BLOCK - 2 * PRICE)
    assert await balance(api) == (40 - 2 * PRICE, 0)
    consistent(studio)


async def test_a_crash_is_closed_with_the_time_up_to_the_last_tick(api: Api, studio: Studio, clock: Clock,
                                                                  settings: Settings) -> None:
    await funded(api, studio, 40)
    assert (await api.post("/api/v2/gpu/start")).status_code == 200
    clock.advance(70)
    tick(studio)  # persists last_tick_at = T0 + 70 s
    # The process dies here: its ticker stops with it (left running, it could tick on the advanced clock
    # before the restart and close the session as expired instead).
    ticker = studio._gpu_ticker
    assert ticker is not None
    ticker.cancel()
    clock.advance(3600)  # the process is gone for an hour: none of it may be charged

    # The crashed process never closes anything; a new one over the same data dir recovers.
    restarted = Studio(settings)
    await restarted.start()
    try:
        assert restarted.credits.balance((await api.get("/api/v2/auth/me")).json()["id"]).reserved == 0
        assert await balance(api) == (40 - 2 * PRICE, 0)  # 70 s: 2 started minutes
        usage = await last_gpu_usage(api)
        assert (usage["close_reason"], usage["used_seconds"], usage["refunded"]) == \
            ("interrupted", 70, BLOCK - 2 * PRICE)
    finally:
        await restarted.stop()
    consistent(studio)


async def test_a_gpu_workflow_auto_starts_billing_counts_tasks_and_pays_its_model(
        api: Api, studio: Studio, clock: Clock, tmp_path: Path) -> None:
    from models.tiny import build_sd

    model = studio.models.import_path(build_sd(tmp_path / "tiny-sd"), credits_per_generation=2)
    await funded(api, studio, 40)
    session = await api.new_session()
    gen = node("gen", "image.generate", prompt="a red cube", steps=2, cfg=5.0, seed=-1, model=model.id)
    await api.save_graph(session, {"nodes": [node("gpu", "gpu.control"), gen],
                                   "edges": [edge("gpu", "gpu", "gen", "gpu")]})
    for expected_tasks in (1, 2):  # seed -1: never cached, so each run generates (and pays) again
        run = await api.run(session["id"])
        assert run["nodes"]["gen"]["status"] == "succeeded", run["nodes"]["gen"]
        assert (await active(api))["task_count"] == expected_tasks
    assert await balance(api) == (40 - BLOCK - 2 * 2, BLOCK)  # the block is held, two generations charged
    charges = [i for i in (await api.get("/api/v2/billing/usage-history")).json()["items"] if i["type"] == "run"]
    assert [(c["credits"], c["model_id"]) for c in charges] == [(2, model.id)] * 2

    clock.advance(45)
    assert (await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})).status_code == 200
    usage = await last_gpu_usage(api)
    assert (usage["task_count"], usage["credits"], usage["refunded"]) == (2, PRICE, BLOCK - PRICE)
    assert await balance(api) == (40 - 4 - PRICE, 0)
    consistent(studio)
