"""Sharing and the credits ledger together (billing = "credits"): a collaborator's runs are charged to
the owner, counted against the collaborator's limits (CREDIT_LIMIT before any work), and shown in the
owner's list of shares as credits used."""

from __future__ import annotations

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
