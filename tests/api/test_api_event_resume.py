"""Resuming the event stream: every event has an SSE id, and a client that reconnects with
``Last-Event-ID`` (or ``?last_event_id=``) gets what it missed instead of a snapshot. In the SQLite
pass the events are the process's own; in the PostgreSQL pass they go through Redis Streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from conftest import PASSWORD, edge, node

from .conftest import LiveServer

GRAPH = {"nodes": [node("c", "image.solid_color", width=32, height=32), node("a", "image.adjust", invert=True)],
         "edges": [edge("c", "image", "a", "image")]}


async def frames_until(lines: AsyncIterator[str], until: str) -> list[dict[str, Any]]:
    """``{"event", "id", "data"}`` frames up to and including an ``until`` event."""
    out: list[dict[str, Any]] = []
    event, event_id, data = "message", None, ""
    async for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            out.append({"event": event, "id": event_id, "data": json.loads(data)})
            if event == until:
                return out
            event, event_id, data = "message", None, ""
    raise AssertionError(f"the stream ended before {until}")


async def read(client: httpx.AsyncClient, sid: str, until: str, **kw: Any) -> list[dict[str, Any]]:
    async with client.stream("GET", "/api/v2/session/events", params={"session_id": sid, **kw.pop("params", {})},
                             **kw) as stream:
        assert stream.status_code == 200
        return await asyncio.wait_for(frames_until(stream.aiter_lines(), until), 30)


async def test_reconnecting_with_last_event_id_replays_what_was_missed(live_server: LiveServer) -> None:
    live_server.studio.accounts.create_user("resume@example.com", PASSWORD)
    token = live_server.login("resume@example.com", PASSWORD)
    async with httpx.AsyncClient(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as client:
        session = (await client.post("/api/v2/sessions", json={"name": "resume"})).json()
        sid = session["id"]
        saved = await client.put(f"/api/v2/sessions/{sid}/flow", json={"graph": GRAPH, "version": 1})
        assert saved.status_code == 200, saved.text

        async with client.stream("GET", "/api/v2/session/events", params={"session_id": sid}) as stream:
            lines = stream.aiter_lines()
            (snapshot,) = await asyncio.wait_for(frames_until(lines, "snapshot"), 10)
            run = await client.post("/api/v2/session/execute", headers={"X-Session-ID": sid}, json={"mode": "full"})
            assert run.status_code == 202, run.text
            events = await asyncio.wait_for(frames_until(lines, "run.finished"), 30)
        assert snapshot["id"] and all(e["id"] for e in events)
        assert len({e["id"] for e in events}) == len(events)
        assert events[0]["event"] == "run.started" and events[-1]["data"]["status"] == "succeeded"

        # Back after the first event: the rest, no snapshot (header, as EventSource sends it, or query).
        rest = await read(client, sid, "run.finished", headers={"Last-Event-ID": events[0]["id"]})
        assert [(e["id"], e["data"]) for e in rest] == [(e["id"], e["data"]) for e in events[1:]]
        by_query = await read(client, sid, "run.finished", params={"last_event_id": events[0]["id"]})
        assert [e["id"] for e in by_query] == [e["id"] for e in events[1:]]
        # Back from the snapshot's position: the whole run.
        whole = await read(client, sid, "run.finished", headers={"Last-Event-ID": snapshot["id"]})
        assert [e["id"] for e in whole] == [e["id"] for e in events]

        # An id the server does not know (another server's, or garbage): a fresh snapshot.
        for unknown in ("garbage", "x" * 100, "1-2-3"):
            (fresh,) = await read(client, sid, "snapshot", headers={"Last-Event-ID": unknown})
            assert fresh["data"]["run"]["run_id"] == run.json()["run_id"]
            assert fresh["data"]["run"]["status"] == "succeeded"
