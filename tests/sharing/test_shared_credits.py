"""Sharing and the credits ledger together (billing = "credits"): a collaborator's runs are charged to
the owner, counted against the collaborator's limits (CREDIT_LIMIT before any work), and shown in the
owner's list of shares as credits used."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .conftest import accept, invite


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", node_prices={"image.solid_color": 2})


async def balance(api: Api) -> dict[str, Any]:
    r = await api.get("/api/v2/billing/balance")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_collaborator_runs_are_charged_to_the_owner_within_their_limits(
        studio: Studio, make_user: Callable[..., Any]) -> None:
    owner, runner = await make_user("payer@example.com"), await make_user("spender@example.com")
    owner_id = (await owner.get("/api/v2/auth/me")).json()["id"]
    studio.credits.grant(owner_id, 100, reason="test")
    session = await owner.new_session("Priced")
    await owner.save_graph(session, {"nodes": [node("c", "image.solid_color", width=8, height=8)], "edges": []})
    share = await invite(owner, session["id"], runner.email, "runner", total_credit_limit=5)
    await accept(runner, share["id"])

    for _ in range(2):  # 2 credits each: 4 of the 5 allowed
        run = await runner.rerun(session["id"], "c")
        assert run["status"] == "succeeded", run
    r = await runner.post("/api/v2/session/nodes/c/rerun", session=session["id"], headers={"Prefer": "wait=30"})
    assert r.status_code == 402, r.text
    body = r.json()
    assert body["code"] == "CREDIT_LIMIT", body
    assert body["details"]["limit"] == 5 and body["details"]["used"] == 4 and body["details"]["required"] == 2

    assert (await balance(owner))["available"] == 96  # the owner paid for the collaborator's runs
    [listed] = (await owner.get(f"/api/v2/session/{session['id']}/shares")).json()["items"]
    assert (listed["credits_used_this_month"], listed["credits_used_total"]) == (4, 4)

    # Raising the limit lets the next run through at once.
    r = await owner.request("PATCH", f"/api/v2/session/share/{share['id']}", json={"total_credit_limit": 6})
    assert r.status_code == 200, r.text
    assert (await runner.rerun(session["id"], "c"))["status"] == "succeeded"
    assert (await balance(owner))["available"] == 94


async def test_100_concurrent_runs_by_2_collaborators_against_the_owners_balance_and_their_limits(
        studio: Studio, make_user: Callable[..., Any]) -> None:
    """The concurrency test of the metering suite, with the runs made by two collaborators: the owner's
    balance (exactly 5 runs' worth) and each collaborator's per-session limits hold under 100 runs at
    once. One run per session at a time, so each run gets its own shared session; A's first ten shares
    allow nothing (limit 0)."""
    owner = await make_user("rich@example.com")
    people = {"A": await make_user("a@example.com"), "B": await make_user("b@example.com")}
    owner_id = (await owner.get("/api/v2/auth/me")).json()["id"]
    studio.credits.grant(owner_id, 10, reason="test")  # 2 credits a run: 5 runs
    plan: list[tuple[str, dict[str, Any], bool]] = []  # (who, session, limited to 0)
    for i in range(100):
        who = "A" if i % 2 == 0 else "B"
        session = await owner.new_session(f"shared {i}")
        await owner.save_graph(session, {"nodes": [node("c", "image.solid_color", width=8, height=8)], "edges": []})
        limited = who == "A" and i < 20
        share = await invite(owner, session["id"], people[who].email, "runner",
                             **({"total_credit_limit": 0} if limited else {"monthly_credit_limit": 1000}))
        await accept(people[who], share["id"])
        plan.append((who, session, limited))

    async def run(who: str, session: dict[str, Any]) -> Any:
        return await people[who].post("/api/v2/session/execute", session=session["id"], json={"mode": "full"},
                                      headers={"Prefer": "wait=120"})

    answers = await asyncio.gather(*(run(who, session) for who, session, _ in plan))
    codes = [r.json().get("code") if r.status_code != 200 else "OK" for r in answers]
    assert codes.count("OK") == 5, codes
    assert all(r.json()["status"] == "succeeded" for r in answers if r.status_code == 200)
    for (_, _, limited), answer, code in zip(plan, answers, codes, strict=True):
        if limited:  # a limit of 0 refuses before the balance is even asked
            assert (answer.status_code, code) == (402, "CREDIT_LIMIT"), answer.text
        else:
            assert code in ("OK", "INSUFFICIENT_BALANCE"), answer.text
    assert await balance(owner) == {"available": 0, "reserved": 0, "total": 0, "billing": "credits"}
    checks = studio.credits.verify()
    assert checks and all(c.ok for c in checks), checks
    used = 0
    for _, session, _ in plan:
        [share] = (await owner.get(f"/api/v2/session/{session['id']}/shares")).json()["items"]
        used += share["credits_used_total"]
    assert used == 10  # every credit the owner paid is counted against the collaborator who spent it
