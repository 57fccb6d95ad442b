"""Access control: one user cannot see, change, run or download another user's sessions or media."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import FIXTURES, Api, edge, node

from .conftest import error_of


async def test_other_users_session_does_not_exist_for_them(make_user: Callable[..., Any]) -> None:
    alice: Api = await make_user()
    bob: Api = await make_user()
    session = await alice.new_session("Alice's private work")
    graph = {"nodes": [node("c", "image.solid_color", width=16, height=16), node("a", "image.adjust")],
             "edges": [edge("c", "image", "a", "image")]}
    await alice.save_graph(session, graph)
    run = await alice.run(session["id"])
    sid = session["id"]
    media_id = run["nodes"]["a"]["outputs"]["image"]["media_id"]
    upload = await alice.upload(sid, FIXTURES / "grace_hopper.jpg")

    def not_found(r: Any, code: str = "SESSION_NOT_FOUND") -> None:
        assert r.status_code == 404, r.text
        assert error_of(r)["code"] == code

    # Read
    not_found(await bob.get(f"/api/v2/sessions/{sid}"))
    not_found(await bob.get("/api/v2/session", session=sid))
    not_found(await bob.get("/api/v2/session/execution", session=sid))
    not_found(await bob.get("/api/v2/session/executions", session=sid))
    not_found(await bob.get(f"/api/v2/session/runs/{run['run_id']}", session=sid))
    not_found(await bob.get("/api/v2/session/events", session=sid))
    not_found(await bob.get("/api/v2/session/events", params={"session_id": sid}))
    assert sid not in str((await bob.get("/api/v2/sessions")).json())
    # Save, rename, delete
    body = {"graph": {"nodes": [], "edges": []}, "version": session["version"]}
    not_found(await bob.put(f"/api/v2/sessions/{sid}/flow", json=body))
    not_found(await bob.put("/api/v2/session/flow", session=sid, json=body))
    not_found(await bob.request("PATCH", f"/api/v2/sessions/{sid}", json={"name": "mine now"}))
    not_found(await bob.request("DELETE", f"/api/v2/sessions/{sid}"))
    not_found(await bob.post(f"/api/v2/sessions/{sid}/open"))
    # Run, rerun, cancel, stop
    not_found(await bob.post("/api/v2/session/execute", session=sid, json={"mode": "full"}))
    not_found(await bob.post("/api/v2/session/nodes/a/rerun", session=sid))
    not_found(await bob.post("/api/v2/session/nodes/a/cancel", session=sid))
    not_found(await bob.post("/api/v2/session/stop", session=sid))
    # Media of the session
    not_found(await bob.get(f"/api/v2/media/sessions/{sid}"))
    for mid in (media_id, upload["id"]):
        not_found(await bob.get(f"/api/v2/media/{mid}"), "MEDIA_NOT_FOUND")
        not_found(await bob.get(f"/api/v2/media/{mid}/download"), "MEDIA_NOT_FOUND")
    assert (await bob.get("/api/v2/media")).json()["total"] == 0
    # Uploading into someone else's session
    r = await bob.post("/api/v2/media/upload", session=sid, content=b"\x89PNG whatever",
                       headers={"X-Filename": "x.png"})
    not_found(r)
    r = await bob.post("/api/v2/media/upload", params={"session_id": sid}, content=b"\x89PNG whatever",
                       headers={"X-Filename": "x.png"})
    not_found(r)
    # Zips
    r = await bob.post("/api/v2/media/download-zip", json={"ids": [media_id, upload["id"]]})
    assert r.status_code == 404 and error_of(r)["code"] == "NO_ACCESSIBLE_MEDIA"
    r = await bob.post("/api/v2/media/download-zip", json={"ids": []})
    assert r.status_code == 400 and error_of(r)["code"] == "NO_IDS"
    r = await bob.post("/api/v2/media/download-zip", json={})
    assert r.status_code == 400 and error_of(r)["code"] == "NO_IDS"

    # The same answers as for a session that never existed: existence does not leak.
    ghost = "6f1c1d7e-1111-4222-8333-944455556666"
    ghost_r = await bob.get(f"/api/v2/sessions/{ghost}")
    real_r = await bob.get(f"/api/v2/sessions/{sid}")
    assert ghost_r.json() == real_r.json()

    # Nothing of Alice's changed, and she still has everything.
    doc = (await alice.get(f"/api/v2/sessions/{sid}")).json()
    assert doc["name"] == "Alice's private work" and doc["version"] == session["version"]
    assert len((await alice.get("/api/v2/session/executions", session=sid)).json()["items"]) == 1
    assert (await alice.get(f"/api/v2/media/{media_id}/download")).status_code == 200
    r = await alice.post("/api/v2/media/download-zip", json={"ids": [media_id, upload["id"]]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
