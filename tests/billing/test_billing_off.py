"""Billing "off" (the embedded default): nothing is ever charged, and the billing endpoints still
answer. And billing "credits" with its state unreadable: BILLING_UNAVAILABLE, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Api, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .conftest import PRICES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="off", node_prices=PRICES, billing_starting_grant=50)


async def test_nothing_is_charged_and_the_endpoints_answer(api: Api, studio: Studio) -> None:
    assert Settings().billing == "off"  # the embedded default
    r = await api.get("/api/v2/billing/balance")
    assert r.status_code == 200
    assert r.json() == {"available": 0, "reserved": 0, "total": 0, "billing": "off"}  # no starting grant either

    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("bg", "image.solid_color", width=16, height=16)], "edges": []})
    run = await api.run(session["id"])
    assert run["status"] == "succeeded"
    assert (await api.post("/api/v2/gpu/start")).status_code == 200
    assert (await api.get("/api/v2/billing/gpu-active")).json()["active"] is False
    assert (await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})).status_code == 200

    history = (await api.get("/api/v2/billing/usage-history")).json()
    assert history["items"] == [] and history["total"] == 0 and history["totals"]["credits"] == 0
    assert (await api.get("/api/v2/billing/balance")).json()["total"] == 0
    assert studio.credits.verify() == []  # no account was even opened


@pytest.mark.parametrize("query", [{"page": "0"}, {"page_size": "101"}, {"page": "x"}, {"page": "99999999999"}])
async def test_usage_history_pages_are_bounded(api: Api, query: dict[str, str]) -> None:
    r = await api.get("/api/v2/billing/usage-history", params=query)
    assert r.status_code == 422 and r.json()["code"], r.text

