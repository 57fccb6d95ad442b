"""The event stream (Server-Sent Events) read from a live uvicorn server, as a browser would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from conftest import PASSWORD, edge, node

from .conftest import LiveServer, error_of


async def read_events(lines: AsyncIterator[str], until: str, out: list[dict[str, Any]]) -> None:
    """Parse SSE frames into ``{"event": ..., **data}`` until an event of type ``until``."""
    event, data = "message", []
    async for line in lines:
        if line.startswith(":"):
            continue  # keep-alive comment
        if line.startswith("event:"):
            event = line[len("event:"):].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:"):].strip())
        elif line == "" and data:
            out.append({"event": event, **json.loads("\n".join(data))})
            if event == until:
                return
            event, data = "message", []


async def test_events_stream_a_run_in_order(live_server: LiveServer) -> None:
    live_server.studio.accounts.create_user("live@example.com", PASSWORD)
    token = live_server.login("live@example.com", PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    graph = {"nodes": [node("c", "image.solid_color", width=64, height=64), node("a", "image.adjust", invert=True),
                       node("t", "text", text="hi")],
             "edges": [edge("c", "image", "a", "image")]}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers, timeout=30) as client:
        session = (await client.post("/api/v2/sessions", json={"name": "live"})).json()
        sid = session["id"]
        saved = await client.put(f"/api/v2/sessions/{sid}/flow", json={"graph": graph, "version": 1})
        assert saved.status_code == 200, saved.text

        # Without a session id: a JSON error, not a stream.
        r = await client.get("/api/v2/session/events")
        assert r.status_code == 400 and error_of(r)["code"] == "MISSING_SESSION_ID"

        for expected_node_status in ("succeeded", "cached"):
            events: list[dict[str, Any]] = []
            async with client.stream("GET", "/api/v2/session/events", headers={"X-Session-ID": sid}) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                first: list[dict[str, Any]] = []
                await asyncio.wait_for(read_events(lines, "snapshot", first), 10)
                assert first[0]["event"] == "snapshot" and first[0]["type"] == "snapshot"
                run = await client.post("/api/v2/session/execute", headers={"X-Session-ID": sid},
                                        json={"mode": "full"})
                assert run.status_code == 202, run.text
                await asyncio.wait_for(read_events(lines, "run.finished", events), 30)

            kinds = [e["event"] for e in events]
            assert kinds[0] == "run.started" and kinds[-1] == "run.finished", kinds
            assert all(e["run_id"] == run.json()["run_id"] for e in events)
            assert events[-1]["status"] == "succeeded"
            by_node: dict[str, list[str]] = {}
            for e in events:
                if e["event"] == "node.status":
                    by_node.setdefault(e["node_id"], []).append(e["status"])
            if expected_node_status == "succeeded":
                assert by_node == {nid: ["running", "succeeded"] for nid in ("c", "a", "t")}, by_node
                final = {e["node_id"]: e for e in events if e["event"] == "node.status" and e["status"] == "succeeded"}
                assert final["a"]["outputs"]["image"]["url"].startswith("/api/v2/media/")
                assert final["t"]["outputs"] == {"text": "hi"}
                assert events[-1]["counts"] == {"succeeded": 3}
            else:
                assert by_node == {nid: ["cached"] for nid in ("c", "a", "t")}, by_node
                assert events[-1]["counts"] == {"cached": 3}

        # The snapshot of a new subscriber is the latest run, as polling shows it.
        async with client.stream("GET", "/api/v2/session/events", params={"session_id": sid}) as stream:
            snap: list[dict[str, Any]] = []
            await asyncio.wait_for(read_events(stream.aiter_lines(), "snapshot", snap), 10)
        polled = (await client.get("/api/v2/session/execution", headers={"X-Session-ID": sid})).json()["run"]
        assert snap[0]["run"]["run_id"] == polled["run_id"] and snap[0]["run"]["counts"] == {"cached": 3}
