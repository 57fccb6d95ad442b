"""Execution through /api/v2/session/*: the persistent cache, run modes, history and busy sessions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from conftest import PASSWORD, Api, edge, node
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

from .conftest import error_of


def branching_graph(invert: bool = True, size: int = 32) -> dict[str, Any]:
    """c -> a -> r, c -> r2, and an unrelated text node t."""
    return {"nodes": [node("c", "image.solid_color", width=size, height=size, color="#336699"),
                      node("a", "image.adjust", x=200, invert=invert),
                      node("r", "image.resize", x=400, width=16, height=16),
                      node("r2", "image.resize", x=400, width=8, height=8, mode="stretch"),
                      node("t", "text", text="hello studio"),
                      {"id": "note", "type": "comment", "params": {"text": "not executed"}}],
            "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image"),
                      edge("c", "image", "r2", "image")]}


def statuses(run: dict[str, Any]) -> dict[str, str]:
    return {nid: state["status"] for nid, state in run["nodes"].items()}


def executed(run: dict[str, Any]) -> set[str]:
    return {nid for nid, status in statuses(run).items() if status == "succeeded"}


async def test_cache_skips_unchanged_and_reruns_only_the_changed_subgraph(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, branching_graph())
    first = await api.run(session["id"])
    assert first["status"] == "succeeded", first
    assert executed(first) == {"c", "a", "r", "r2", "t"}
    assert "note" not in first["nodes"]  # comments never execute

    again = await api.run(session["id"])
    assert again["status"] == "succeeded"
    assert again["counts"] == {"cached": 5}
    assert executed(again) == set()
    # Cached outputs are the same media as the first run's.
    assert again["nodes"]["r"]["outputs"] == first["nodes"]["r"]["outputs"]

    # Change one parameter: exactly that node and its descendants run.
    await api.save_graph(session, branching_graph(invert=False))
    changed = await api.run(session["id"])
    assert executed(changed) == {"a", "r"}
    assert changed["counts"] == {"cached": 3, "succeeded": 2}
    # Moving a node on the canvas (position, title) is not a change of work.
    moved = branching_graph(invert=False)
    moved["nodes"][1]["position"] = {"x": 999, "y": 42}
    moved["nodes"][1]["title"] = "Renamed"
    await api.save_graph(session, moved)
    assert executed(await api.run(session["id"])) == set()
    # Back to the first parameters: both variants stay cached.
    await api.save_graph(session, branching_graph(invert=True))
    assert executed(await api.run(session["id"])) == set()


async def test_from_node_and_isolated_rerun(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, branching_graph())
    sid = session["id"]

    # Isolated rerun of a node that never ran: its ancestors run too (nothing is cached yet).
    fresh = await api.rerun(sid, "a")
    assert fresh["mode"] == "node" and fresh["target_node_id"] == "a"
    assert executed(fresh) == {"c", "a"} and set(fresh["nodes"]) == {"c", "a"}

    await api.run(sid)
    r = await api.post("/api/v2/session/execute", session=sid, json={"mode": "from_node", "target_node_id": "a"},
                       headers={"Prefer": "wait=60"})
    assert r.status_code == 200, r.text
    from_node = r.json()
    assert from_node["mode"] == "from_node"
    assert executed(from_node) == {"a", "r"}
    assert statuses(from_node)["c"] == "cached"
    assert set(from_node["nodes"]) == {"c", "a", "r"}  # r2 and t are not part of it

    isolated = await api.rerun(sid, "a", isolated=True)
    assert executed(isolated) == {"a"}
    assert statuses(isolated) == {"c": "cached", "a": "succeeded"}
    # The re-executed node makes a new media item; upstream media are reused.
    assert isolated["nodes"]["c"]["outputs"] == from_node["nodes"]["c"]["outputs"]

    not_isolated = await api.rerun(sid, "a", isolated=False)
    assert executed(not_isolated) == {"a", "r"}

    r = await api.post("/api/v2/session/execute", session=sid, json={"mode": "from_node"})
    assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST"
    for target in ("ghost", "note"):
        r = await api.post(f"/api/v2/session/nodes/{target}/rerun", session=sid)
        assert r.status_code == 404 and error_of(r)["code"] == "NODE_NOT_FOUND", target
        r = await api.post("/api/v2/session/execute", session=sid,
                           json={"mode": "from_node", "target_node_id": target})
        assert r.status_code == 404 and error_of(r)["code"] == "NODE_NOT_FOUND", target


async def test_execute_body_defaults_and_bad_input(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, branching_graph())
    sid = session["id"]
    # No body at all, an empty JSON body and an empty object all mean {"mode": "full"}.
    for kw in ({}, {"content": b"", "headers": {"Content-Type": "application/json"}}, {"json": {}}):
        headers = {"Prefer": "wait=60", **kw.pop("headers", {})}
        r = await api.post("/api/v2/session/execute", session=sid, headers=headers, **kw)
        assert r.status_code == 200, (kw, r.text)
        assert r.json()["mode"] == "full" and r.json()["status"] == "succeeded"
    for kw in ({"content": b"{oops", "headers": {"Content-Type": "application/json"}},
               {"json": {"mode": "sideways"}}, {"json": {"mode": "node", "target_node_id": "a"}},
               {"json": []}, {"json": {"mode": "full", "target_node_id": "x" * 500}}):
        r = await api.post("/api/v2/session/execute", session=sid, **kw)
        assert r.status_code == 422, (kw, r.text)
        assert error_of(r)["code"] == "INVALID_REQUEST"
    for prefer in ("wait=soon", "wait=nan", "wait=-1", "wait=inf"):
        r = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"},
                           headers={"Prefer": prefer})
        if r.status_code == 422:
            assert error_of(r)["code"] == "INVALID_REQUEST", prefer
        else:
            assert r.status_code in (200, 202), (prefer, r.text)
            await wait_idle(api, sid)


async def wait_idle(api: Api, sid: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await api.get("/api/v2/session/execution", session=sid)).json()["run"]
        if run is not None and run["status"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.05)


async def test_history_and_current_execution_show_states_and_media(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    empty = await api.get("/api/v2/session/execution", session=sid)
    assert empty.status_code == 200 and empty.json() == {"run": None}
    await api.save_graph(session, branching_graph())
    first = await api.run(sid)
    second = await api.run(sid)

    history = (await api.get("/api/v2/session/executions", session=sid)).json()
    assert [i["run_id"] for i in history["items"]] == [second["run_id"], first["run_id"]]
    assert history["items"][0]["counts"] == {"cached": 5}
    assert history["items"][1]["counts"] == {"succeeded": 5}
    assert all("nodes" not in i for i in history["items"])
    page = (await api.get("/api/v2/session/executions", session=sid, params={"limit": 1, "offset": 1})).json()
    assert [i["run_id"] for i in page["items"]] == [first["run_id"]]

    current = (await api.get("/api/v2/session/execution", session=sid)).json()["run"]
    assert current["run_id"] == second["run_id"] and current["status"] == "succeeded"
    assert statuses(current) == {nid: "cached" for nid in ("c", "a", "r", "r2", "t")}
    assert current["nodes"]["t"]["outputs"] == {"text": "hello studio"}
    image = current["nodes"]["r"]["outputs"]["image"]
    assert image["kind"] == "image" and image["width"] == 16 and image["height"] == 16
    assert image["url"] == f"/api/v2/media/{image['media_id']}/download"
    assert "storage_key" not in image
    got = await api.get(image["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content.startswith(b"\x89PNG")

    one = await api.get(f"/api/v2/session/runs/{first['run_id']}", session=sid)
    assert one.status_code == 200 and executed(one.json()) == {"c", "a", "r", "r2", "t"}
    for run_id in ("00000000-0000-0000-0000-000000000000", "not-a-run"):
        missing = await api.get(f"/api/v2/session/runs/{run_id}", session=sid)
        assert missing.status_code == 404 and error_of(missing)["code"] == "RUN_NOT_FOUND"

    # Generated media are in the session's gallery.
    media = (await api.get(f"/api/v2/media/sessions/{sid}")).json()
    assert len(media["items"]) == 4  # c, a, r, r2
    assert {m["origin"] for m in media["items"]} == {"generated"}


async def test_second_execute_while_running_is_busy(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    graph = {"nodes": [node("c", "image.solid_color", width=2048, height=2048, color="#123456")],
             "edges": []}
    for i in range(6):
        graph["nodes"].append(node(f"a{i}", "image.adjust", contrast=1.0 + i / 10))
        graph["edges"].append(edge("c" if i == 0 else f"a{i - 1}", "image", f"a{i}", "image"))
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "running")
    # A client that asks not to queue is refused, as before queues (tests/api/test_api_run_queue.py queues).
    busy = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full", "queue": False})
    assert busy.status_code == 409, busy.text
    assert error_of(busy)["code"] == "SESSION_BUSY"
    busy = await api.post("/api/v2/session/nodes/a0/rerun?queue=false", session=sid)
    assert busy.status_code == 409 and error_of(busy)["code"] == "SESSION_BUSY"
    # The active run shows in the history while it runs.
    history = (await api.get("/api/v2/session/executions", session=sid)).json()["items"]
    assert history[0]["run_id"] == r.json()["run_id"]
    stopped = await api.post("/api/v2/session/stop", session=sid)
    assert stopped.status_code == 200 and stopped.json() == {"stopped": True, "run_id": r.json()["run_id"]}
    final = await wait_idle(api, sid)
    assert final["status"] == "canceled"
    # Stop leaves the saved session intact, and the session runs again.
    doc = (await api.get(f"/api/v2/sessions/{sid}")).json()
    assert doc["version"] == session["version"] and len(doc["graph"]["nodes"]) == 7
    nothing = await api.post("/api/v2/session/stop", session=sid)
    assert nothing.json() == {"stopped": False, "run_id": None}
    cancel = await api.post("/api/v2/session/nodes/a3/cancel", session=sid)
    assert cancel.status_code == 200 and cancel.json() == {"node_id": "a3", "canceled": False}


@asynccontextmanager
async def running_studio(settings: Settings) -> AsyncIterator[tuple[Studio, httpx.AsyncClient]]:
    studio = Studio(settings)
    await studio.start()
    try:
        app = create_app(settings, studio)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://studio.test") as c:
            yield studio, c
    finally:
        await studio.stop()


async def _login(client: httpx.AsyncClient, email: str) -> Api:
    r = await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return Api(client, r.json()["token"], email)


async def test_cache_survives_a_restart(settings: Settings) -> None:
    async with running_studio(settings) as (studio, client):
        studio.accounts.create_user("restart@example.com", PASSWORD)
        api = await _login(client, "restart@example.com")
        session = await api.new_session()
        await api.save_graph(session, branching_graph())
        first = await api.run(session["id"])
        assert executed(first) == {"c", "a", "r", "r2", "t"}

    async with running_studio(settings) as (_, client):  # a new process on the same data dir
        api = await _login(client, "restart@example.com")
        again = await api.run(session["id"])
        assert again["counts"] == {"cached": 5}
        assert again["nodes"]["r"]["outputs"] == first["nodes"]["r"]["outputs"]
        url = again["nodes"]["r"]["outputs"]["image"]["url"]
        assert (await api.get(url)).status_code == 200
        # A parameter change still re-executes only its subgraph after the restart.
        await api.save_graph(session, branching_graph(invert=False))
        assert executed(await api.run(session["id"])) == {"a", "r"}


async def test_delete_a_running_session_stops_it_and_keeps_its_media(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    sid = session["id"]
    graph = {"nodes": [node("c", "image.solid_color", width=1024, height=1024, color="#123456")], "edges": []}
    for i in range(4):
        graph["nodes"].append(node(f"a{i}", "image.adjust", brightness=1.0 + i / 10))
        graph["edges"].append(edge("c" if i == 0 else f"a{i - 1}", "image", f"a{i}", "image"))
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"})
    assert r.status_code == 202
    deleted = await api.request("DELETE", f"/api/v2/sessions/{sid}")
    assert deleted.status_code == 204, deleted.text
    assert studio.engine is not None and studio.engine.active_run(sid) is None
    gone = await api.get("/api/v2/session/execution", session=sid)
    assert gone.status_code == 404 and error_of(gone)["code"] == "SESSION_NOT_FOUND"
    # Whatever it made stays in the gallery, no longer grouped under the session.
    media = (await api.get("/api/v2/media")).json()
    assert all(g["session_id"] is None for g in media["groups"])


async def test_saved_outputs_show_what_still_matches_the_graph(api: Api, make_user: Any) -> None:
    session = await api.new_session()
    graph = {"nodes": [node("c", "image.solid_color", width=16, height=16), node("a", "image.adjust", invert=True),
                       node("r", "image.resize", width=8, height=8)],
             "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image")]}
    await api.save_graph(session, graph)
    assert (await api.get("/api/v2/session/outputs", session=session["id"])).json() == {"nodes": {}}
    await api.run(session["id"])
    outputs = (await api.get("/api/v2/session/outputs", session=session["id"])).json()["nodes"]
    assert set(outputs) == {"c", "a", "r"}
    assert outputs["r"]["outputs"]["image"]["width"] == 8

    # Changing Adjust (saved, not run) leaves only the unchanged upstream node's output current;
    # a half-edited node (bad parameter) does not break the answer.
    graph["nodes"][1]["params"]["invert"] = False
    graph["nodes"][2]["params"]["width"] = -1
    await api.save_graph(session, graph)
    outputs = (await api.get("/api/v2/session/outputs", session=session["id"])).json()["nodes"]
    assert set(outputs) == {"c"}

    other = await make_user()
    r = await other.get("/api/v2/session/outputs", session=session["id"])
    assert r.status_code == 404 and r.json()["code"] == "SESSION_NOT_FOUND"


async def test_saved_outputs_of_never_cached_nodes_come_from_the_latest_run(api: Api) -> None:
    from conftest import FIXTURES

    session = await api.new_session()
    photo = (await api.upload(session["id"], FIXTURES / "coffee.png"))["id"]
    graph = {"nodes": [node("up", "upload.image", media_ids=[photo], selection="random"),
                       node("a", "image.adjust", invert=True)],
             "edges": [edge("up", "image", "a", "image")]}
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    outputs = (await api.get("/api/v2/session/outputs", session=session["id"])).json()["nodes"]
    assert {nid: o["source"] for nid, o in outputs.items()} == {"up": "latest_run", "a": "latest_run"}
    assert outputs["a"]["outputs"] == run["nodes"]["a"]["outputs"]
