"""run.finished carries what the canvas used to ask for after a run (issue 10, item 9)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from conftest import PASSWORD, edge, node

from .conftest import LiveServer
from .test_api_events import read_events


async def test_the_finish_event_answers_what_execution_and_outputs_would(live_server: LiveServer) -> None:
    live_server.studio.accounts.create_user("finish@example.com", PASSWORD)
    token = live_server.login("finish@example.com", PASSWORD)
    iterations = [{"id": "red", "label": "Red", "overrides": {"c": {"color": "#ff0000"}}}]
    graph = {"nodes": [{**node("g", "group", label="Variants")},
                       {**node("c", "image.solid_color", width=16, height=16), "parent_id": "g"},
                       {**node("a", "image.adjust", brightness=1.2), "parent_id": "g"},
                       node("L", "loop", group_id="g", iterations=iterations), node("t", "text", text="hi")],
             "edges": [edge("c", "image", "a", "image")]}
    async with httpx.AsyncClient(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as client:
        sid = (await client.post("/api/v2/sessions", json={"name": "finish"})).json()["id"]
        saved = await client.put(f"/api/v2/sessions/{sid}/flow", json={"graph": graph, "version": 1})
        assert saved.status_code == 200, saved.text
        headers = {"X-Session-ID": sid}
        events: list[dict[str, Any]] = []
        async with client.stream("GET", "/api/v2/session/events", headers=headers) as stream:
            lines = stream.aiter_lines()
            await asyncio.wait_for(read_events(lines, "snapshot", []), 10)
            run = await client.post("/api/v2/session/execute", headers=headers, json={"mode": "full"})
            assert run.status_code == 202, run.text
            await asyncio.wait_for(read_events(lines, "run.finished", events), 30)

        finished = events[-1]
        assert finished["status"] == "succeeded"
        execution = (await client.get("/api/v2/session/execution", headers=headers)).json()["run"]
        outputs = (await client.get("/api/v2/session/outputs", headers=headers)).json()
        assert finished["loops"] == execution["loops"]
        assert finished["outputs"] == outputs
        assert set(finished["outputs"]["nodes"]) == {"c", "a", "t"}
