"""Runs are metered through the real app: the estimate is held from the session owner before any
work starts, succeeded nodes are captured and the rest released (failure, cancel, stop), and a run
the balance cannot cover is refused with 402 INSUFFICIENT_BALANCE — also under 100 concurrent runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import text

import servers
from conftest import Api, edge, node
from live_process import start_slow_run, wait_for, wait_until_encoding
from miniaistudio.studio import Studio

SOLID = node("bg", "image.solid_color", width=16, height=16, color="#224488")


async def user_id(api: Api) -> str:
    return str((await api.get("/api/v2/auth/me")).json()["id"])


async def balance(api: Api) -> dict[str, Any]:
    r = await api.get("/api/v2/billing/balance")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def consistent(studio: Studio) -> None:
    checks = studio.credits.verify()
    assert checks and all(c.ok for c in checks), checks


async def test_100_concurrent_runs_with_credits_for_exactly_10(api: Api, studio: Studio) -> None:
    studio.credits.grant(await user_id(api), 10, reason="test")
    sessions = []
    for i in range(100):
        session = await api.new_session(f"race {i}")
        sessions.append(await api.save_graph(session, {"nodes": [SOLID], "edges": []}))

    async def run(session: dict[str, Any]) -> Any:
        return await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"},
                              headers={"Prefer": "wait=120"})

    answers = await asyncio.gather(*(run(s) for s in sessions))
    accepted = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code == 402]
    assert len(accepted) == 10 and len(refused) == 90, [r.status_code for r in answers]
    assert all(r.json()["status"] == "succeeded" for r in accepted)
    assert {r.json()["code"] for r in refused} == {"INSUFFICIENT_BALANCE"}
    assert refused[0].json()["details"] == {"required": 1, "available": 0}
    assert await balance(api) == {"available": 0, "reserved": 0, "total": 0, "billing": "credits"}
    consistent(studio)

    # A refused run started nothing: its session has no run at all.
    refused_session = next(s for s, r in zip(sessions, answers, strict=True) if r.status_code == 402)
    r = await api.get("/api/v2/session/executions", session=refused_session["id"])
    assert r.status_code == 200 and r.json()["items"] == []

    history = (await api.get("/api/v2/billing/usage-history", params={"page_size": 4})).json()
    assert history["total"] == 10 and len(history["items"]) == 4
    assert history["totals"]["run_credits"] == 10 and history["totals"]["credits"] == 10
    assert all(item["type"] == "run" and item["credits"] == 1 for item in history["items"])
    assert history["items"][0]["at"] >= history["items"][-1]["at"]
    # credits spent per session: the ten sessions that ran, one credit and one run each, named
    names = {s["id"]: s["name"] for s in sessions}
    assert sorted((b["name"], b["credits"], b["runs"]) for b in history["by_session"]) == sorted(
        (names[b["session_id"]], 1, 1) for b in history["by_session"])
    assert len(history["by_session"]) == 10


async def test_a_failed_node_costs_nothing_and_cached_nodes_are_free(api: Api, studio: Studio) -> None:
    studio.credits.grant(await user_id(api), 20)
    session = await api.new_session()
    crop = node("crop", "image.crop", aspect="custom", y=500, width=8, height=8)  # below the 16 px image
    await api.save_graph(session, {"nodes": [SOLID, crop], "edges": [edge("bg", "image", "crop", "image")]})
    run = await api.run(session["id"])
    assert run["nodes"]["crop"]["status"] == "failed" and run["nodes"]["bg"]["status"] == "succeeded"
    assert await balance(api) == {"available": 19, "reserved": 0, "total": 19, "billing": "credits"}
    # The solid colour is cached now: the rerun only pays for (and again fails) the crop.
    await api.run(session["id"])
    assert (await balance(api))["available"] == 19
    consistent(studio)


async def test_stop_and_cancel_release_the_hold(api: Api, studio: Studio, long_clip: Path) -> None:
    studio.credits.grant(await user_id(api), 10)
    for action in ("stop", "cancel"):
        session = await start_slow_run(api, long_clip)
        await wait_until_encoding(api, session["id"], studio.settings.scratch_dir)
        assert await balance(api) == {"available": 3, "reserved": 7, "total": 10, "billing": "credits"}
        url = "/api/v2/session/stop" if action == "stop" else "/api/v2/session/nodes/trim/cancel"
        r = await api.post(url, session=session["id"])
        assert r.status_code == 200, r.text

        async def released() -> bool:
            return (await balance(api))["reserved"] == 0

        await wait_for(released, 10, f"the hold to be released after {action}")
        assert (await balance(api))["available"] == 10
    consistent(studio)


async def test_a_run_the_balance_cannot_cover_is_refused_before_any_work(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [SOLID], "edges": []})
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"},
                       headers={"Prefer": "wait=30"})
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_BALANCE", r.text
    assert r.json()["details"] == {"required": 1, "available": 0}
    r = await api.post("/api/v2/session/nodes/bg/rerun", session=session["id"])
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_BALANCE"
    assert (await api.get("/api/v2/session/executions", session=session["id"])).json()["items"] == []


async def test_unreadable_billing_state_answers_billing_unavailable(api: Api, studio: Studio) -> None:
    studio.credits.grant(await user_id(api), 5)
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [SOLID], "edges": []})
    with servers.BACKEND.connect(studio.settings.data_dir) as db:
        db.execute(text("ALTER TABLE credit_accounts RENAME TO credit_accounts_away"))
    try:
        for answer in (await api.get("/api/v2/billing/balance"),
                       await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})):
            assert answer.status_code == 503 and answer.json()["code"] == "BILLING_UNAVAILABLE", answer.text
    finally:
        with servers.BACKEND.connect(studio.settings.data_dir) as db:
            db.execute(text("ALTER TABLE credit_accounts_away RENAME TO credit_accounts"))
    assert (await balance(api))["available"] == 5
    assert (await api.get("/api/v2/session/executions", session=session["id"])).json()["items"] == []
    await api.run(session["id"])
    assert (await balance(api))["available"] == 4
    consistent(studio)


async def test_a_recipe_run_the_balance_cannot_cover_is_refused_and_leaves_nothing(
        api: Api, studio: Studio, test_video: Path) -> None:
    video_id = (await api.upload(None, test_video))["id"]
    before = (await api.get("/api/v2/sessions")).json()["total"]
    r = await api.post("/api/v2/recipes/frame_extract/run",
                       json={"execute": True, "inputs": {"source_video_url": video_id, "at": "first"}})
    assert r.status_code == 402 and r.json()["code"] == "INSUFFICIENT_BALANCE", r.text
    assert r.json()["details"] == {"required": 3, "available": 0}
    assert (await api.get("/api/v2/sessions")).json()["total"] == before  # all or nothing

    studio.credits.grant(await user_id(api), 3)
    r = await api.post("/api/v2/recipes/frame_extract/run",
                       json={"execute": True, "inputs": {"source_video_url": video_id, "at": "first"}})
    assert r.status_code in (200, 201), r.text

    async def charged() -> bool:
        return await balance(api) == {"available": 0, "reserved": 0, "total": 0, "billing": "credits"}

    await wait_for(charged, 20, "the recipe run to be charged")
    consistent(studio)
