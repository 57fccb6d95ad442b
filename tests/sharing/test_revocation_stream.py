"""Revocation ends access at once, open event streams included: on a live uvicorn server (httpx's
ASGI transport buffers streams), a revoked viewer's SSE stream gets ``access.revoked`` and closes while
the other collaborators' streams keep running."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from api.test_api_events import read_events
from conftest import PASSWORD

from .conftest import LiveServer, team_graph


async def test_revoking_a_share_closes_that_collaborators_event_streams(live_server: LiveServer) -> None:
    for email in ("owner@example.com", "viewer@example.com", "runner@example.com"):
        live_server.studio.accounts.create_user(email, PASSWORD)
    tokens = {who: live_server.login(f"{who}@example.com", PASSWORD) for who in ("owner", "viewer", "runner")}

    def client(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=live_server.url, timeout=30,
                                 headers={"Authorization": f"Bearer {tokens[who]}"})

    async with client("owner") as owner, client("viewer") as viewer, client("runner") as runner:
        session = (await owner.post("/api/v2/sessions", json={"name": "streamed"})).json()
        sid = session["id"]
        assert (await owner.put(f"/api/v2/sessions/{sid}/flow",
                                json={"graph": team_graph(), "version": 1})).status_code == 200
        shares = {}
        for who, api in (("viewer", viewer), ("runner", runner)):
            r = await owner.post(f"/api/v2/session/{sid}/share", json={"email": f"{who}@example.com", "role": who})
            shares[who] = r.json()["id"]
            assert (await api.post(f"/api/v2/invitations/{shares[who]}/accept")).status_code == 200

        async with viewer.stream("GET", "/api/v2/session/events", params={"session_id": sid}) as v_stream, \
                runner.stream("GET", "/api/v2/session/events", params={"session_id": sid}) as r_stream:
            assert v_stream.status_code == 200 and r_stream.status_code == 200
            v_lines, r_lines = v_stream.aiter_lines(), r_stream.aiter_lines()
            for lines in (v_lines, r_lines):
                await asyncio.wait_for(read_events(lines, "snapshot", []), 10)

            # A role change keeps access: the viewer's stream stays open and still carries runs.
            r = await owner.patch(f"/api/v2/session/share/{shares['viewer']}", json={"role": "runner"})
            assert r.status_code == 200, r.text
            r = await owner.post("/api/v2/session/execute", headers={"X-Session-ID": sid}, json={"mode": "full"})
            assert r.status_code == 202, r.text
            seen: list[dict[str, Any]] = []
            await asyncio.wait_for(read_events(v_lines, "run.finished", seen), 30)
            assert seen[-1]["status"] == "succeeded"
            await asyncio.wait_for(read_events(r_lines, "run.finished", []), 30)

            revoked_at = time.monotonic()
            r = await owner.delete(f"/api/v2/session/share/{shares['viewer']}")
            assert r.status_code == 200, r.text
            last: list[dict[str, Any]] = []
            await asyncio.wait_for(read_events(v_lines, "access.revoked", last), 5)
            assert last[-1] == {"event": "access.revoked", "type": "access.revoked", "code": "SESSION_NOT_FOUND",
                                "message": "session not found"}
            rest = [line async for line in v_lines]  # the server ended the stream
            assert not [line for line in rest if line.startswith("data:")], rest
            assert time.monotonic() - revoked_at < 1.0

            # The runner's stream is untouched: the next run reaches it.
            r = await owner.post("/api/v2/session/execute", headers={"X-Session-ID": sid}, json={"mode": "full"})
            assert r.status_code == 202, r.text
            await asyncio.wait_for(read_events(r_lines, "run.finished", []), 30)

        # A new stream of the revoked viewer is refused before it starts.
        r = await viewer.get("/api/v2/session/events", params={"session_id": sid})
        assert r.status_code == 404 and r.json()["code"] == "SESSION_NOT_FOUND"

        # Declining (leaving) closes one's own streams the same way.
        async with runner.stream("GET", "/api/v2/session/events", params={"session_id": sid}) as r_stream:
            r_lines = r_stream.aiter_lines()
            await asyncio.wait_for(read_events(r_lines, "snapshot", []), 10)
            assert (await runner.post(f"/api/v2/invitations/{shares['runner']}/decline")).status_code == 200
            await asyncio.wait_for(read_events(r_lines, "access.revoked", []), 5)
