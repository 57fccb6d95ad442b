"""Trust: one graph must never hang, starve or break the server.

Parent cycles, unbounded loop expansion, stop of a large run, deep free-form JSON in what a
session stores, and engine commands on the event loop — through the real app over HTTP.
Documents "saved before this fix" are written straight into the database.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

import pytest
from sqlalchemy import update

from conftest import Api, edge, node
from miniaistudio.api.v2 import execution as execution_routes
from miniaistudio.store.run_recorder import load_run
from miniaistudio.store.tables import Run, StudioSession
from miniaistudio.studio import Studio


def deep(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    cur = doc
    for _ in range(depth - 1):
        cur["a"] = {}
        cur = cur["a"]
    return doc


def text_loop(members: int, iterations: int) -> dict[str, Any]:
    """A group of ``members`` Text nodes repeated ``iterations`` times by a loop."""
    nodes = [node("g", "group")]
    nodes += [{**node(f"t{i}", "text", text=f"member {i}"), "parent_id": "g"} for i in range(members)]
    nodes.append(node("L", "loop", group_id="g", iterations=[{"id": f"i{k}"} for k in range(iterations)]))
    return {"nodes": nodes, "edges": []}


def store_directly(studio: Studio, session_id: str, **values: Any) -> None:
    """Write a session's documents as an older server might have saved them (no checks)."""
    with studio.db.session() as s:
        s.execute(update(StudioSession).where(StudioSession.id == session_id).values(**values))


def problem_codes(r: Any) -> set[str]:
    return {p["code"] for p in r.json().get("details", {}).get("errors", [])}


async def timed(coro: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = await asyncio.wait_for(coro, timeout=10)
    return result, time.perf_counter() - t0


# ---------------------------------------------------------------------------------- parents
@pytest.mark.parametrize(("nodes", "codes"), [
    ([{**node("g", "group"), "parent_id": "g"}], {"GROUP_PARENT_CYCLE"}),
    ([{**node("a", "group"), "parent_id": "b"}, {**node("b", "group"), "parent_id": "c"},
      {**node("c", "group"), "parent_id": "a"}], {"GROUP_PARENT_CYCLE"}),
    ([{**node("t", "text"), "parent_id": "missing"}], {"UNKNOWN_PARENT"}),
    ([node("x", "text"), {**node("t", "text"), "parent_id": "x"}], {"PARENT_NOT_GROUP"}),
])
async def test_parent_problems_are_refused_at_save(api: Api, nodes: list[dict[str, Any]], codes: set[str]) -> None:
    session = await api.new_session()
    loop = node("L", "loop", group_id=nodes[0]["id"], iterations=[{"id": "one"}])
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow",
                      json={"graph": {"nodes": [*nodes, loop], "edges": []}, "version": session["version"]})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "GRAPH_INVALID"
    assert codes <= problem_codes(r)
    r = await api.post("/api/v2/sessions", json={"name": "x", "graph": {"nodes": nodes, "edges": []}})
    assert r.status_code == 422 and codes <= problem_codes(r), r.text


async def test_a_cyclic_graph_stored_earlier_cannot_hang_execute_or_outputs(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    graph = {"nodes": [{**node("g", "group"), "parent_id": "g"},
                       {**node("h", "group"), "parent_id": "k"}, {**node("k", "group"), "parent_id": "h"},
                       {**node("t", "text", text="hi"), "parent_id": "h"},
                       node("L", "loop", group_id="g", iterations=[{"id": "one"}]),
                       node("M", "loop", group_id="h", iterations=[{"id": "two"}])],
             "edges": []}
    store_directly(studio, session["id"], graph=graph, version=5)
    for body in ({"mode": "full"}, {"mode": "from_node", "target_node_id": "L"}):
        r, seconds = await timed(api.post("/api/v2/session/execute", session=session["id"], json=body))
        assert r.status_code == 422, r.text
        assert "GROUP_PARENT_CYCLE" in problem_codes(r)
        assert seconds < 2
    r, seconds = await timed(api.post("/api/v2/session/nodes/M/rerun", session=session["id"]))
    assert 400 <= r.status_code < 500 and seconds < 2, r.text
    r, seconds = await timed(api.get("/api/v2/session/outputs", session=session["id"]))
    assert r.status_code < 500 and seconds < 2, r.text
    assert (await api.get("/api/v2/ping")).status_code == 200


# ------------------------------------------------------------------------------- expansion
async def test_a_loop_whose_expansion_is_too_large_is_refused_at_save_quickly(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    graph = text_loop(members=1000, iterations=200)  # 200,000 copies
    r, seconds = await timed(api.put(f"/api/v2/sessions/{session['id']}/flow",
                                     json={"graph": graph, "version": session["version"]}))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "GRAPH_TOO_LARGE"
    assert body["details"]["nodes"] == 1002 + 200 * 1000
    assert body["details"]["limit"] == studio.settings.max_expanded_nodes
    assert seconds < 5
    r = await api.post("/api/v2/sessions", json={"name": "big", "graph": graph})
    assert r.status_code == 422 and r.json()["code"] == "GRAPH_TOO_LARGE", r.text


async def test_an_oversized_loop_stored_earlier_is_refused_before_expanding(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    store_directly(studio, session["id"], graph=text_loop(members=1000, iterations=200), version=3)
    for url, body in (("/api/v2/session/execute", {"mode": "full"}), ("/api/v2/session/nodes/L/rerun", None)):
        r, seconds = await timed(api.post(url, session=session["id"], json=body))
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "GRAPH_TOO_LARGE"
        assert r.json()["details"]["nodes"] > studio.settings.max_expanded_nodes
        assert seconds < 5
    # A member rerun does not expand the loop: it runs once, within bounds.
    run = await api.rerun(session["id"], "t0")
    assert run["status"] == "succeeded", run


async def test_bad_loop_parameters_answer_4xx_not_500(api: Api) -> None:
    session = await api.new_session()
    group = node("g", "group")
    member = {**node("t", "text"), "parent_id": "g"}
    for params, field in (({"group_id": "g" * 5000, "iterations": [{"id": "one"}]}, "group_id"),
                          ({"group_id": "g; drop", "iterations": [{"id": "one"}]}, "group_id"),
                          ({"group_id": "g", "iterations": [{"id": "x" * 500}]}, "iterations.0.id")):
        loop = {**node("L", "loop"), "params": params}
        await api.save_graph(session, {"nodes": [group, member, loop], "edges": []})
        for url, body in (("/api/v2/session/execute", {"mode": "full"}), ("/api/v2/session/nodes/L/rerun", None)):
            r = await api.post(url, session=session["id"], json=body)
            assert r.status_code == 422, r.text
            errors = r.json()["details"]["errors"]
            assert errors[0]["code"] == "INVALID_PARAMETER" and errors[0]["node_id"] == "L"
            assert errors[0]["field"] == field


# ------------------------------------------------------------------------------------ stop
async def test_stop_of_a_large_run_is_immediate_and_the_run_ends_canceled(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    await api.save_graph(session, text_loop(members=25, iterations=200))  # 5,025 nodes to run
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert len(r.json()["nodes"]) == 25 + 25 * 200
    r, seconds = await timed(api.post("/api/v2/session/stop", session=session["id"]))
    assert r.status_code == 200 and r.json() == {"stopped": True, "run_id": run_id}, r.text
    assert seconds < 1.0, f"stop took {seconds:.2f} s"
    r, _ = await timed(api.get("/api/v2/ping"))
    assert r.status_code == 200
    r = await api.get(f"/api/v2/session/runs/{run_id}", session=session["id"])
    deadline = time.monotonic() + 5  # the run winds down within moments: only the started nodes remain
    while r.json()["status"] == "running" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        r = await api.get(f"/api/v2/session/runs/{run_id}", session=session["id"])
    run = r.json()
    assert run["status"] == "canceled", (run["status"], run["counts"])
    assert run["counts"].get("canceled", 0) > 0
    assert not {"queued", "running"} & set(run["counts"])
    # What was recorded is the whole final state, though each flush only wrote what changed.
    assert studio.engine is not None
    await studio.engine.wait(session["id"], run_id, timeout=5)  # the final write follows the status
    with studio.db.session() as s:
        row = s.get(Run, run_id)
        assert row is not None and row.status == "canceled"
        recorded = load_run(s, row)
    assert len(recorded.nodes) == len(run["nodes"])
    assert {nid: st.status.value for nid, st in recorded.nodes.items()} == {
        nid: d["status"] for nid, d in run["nodes"].items()}


async def test_a_bad_prefer_header_starts_nothing(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("t", "text", text="x")], "edges": []})
    for prefer in ("wait=soon", "wait=nan", "wait=-1"):
        r = await api.post("/api/v2/session/execute", session=session["id"], headers={"Prefer": prefer})
        assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST", r.text
        r = await api.post("/api/v2/session/nodes/t/rerun", session=session["id"], headers={"Prefer": prefer})
        assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST", r.text
    assert (await api.get("/api/v2/session/execution", session=session["id"])).json()["run"] is None


def test_engine_commands_are_async_routes() -> None:
    """stop and cancel change engine state and publish events: they must run on the event loop."""
    paths = {"/session/stop", "/session/nodes/{node_id}/cancel", "/session/execute", "/session/nodes/{node_id}/rerun"}
    found = {r.path: r.endpoint for r in execution_routes.router.routes  # type: ignore[attr-defined]
             if getattr(r, "path", None) in paths}
    assert set(found) == paths
    assert all(inspect.iscoroutinefunction(fn) for fn in found.values())


# ------------------------------------------------------------------------- stored documents
async def test_deep_free_form_json_is_refused_at_save(api: Api) -> None:
    session = await api.new_session()
    ui_node = {**node("t", "text"), "ui": deep(900)}
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow",
                      json={"graph": {"nodes": [ui_node], "edges": []}, "version": session["version"]})
    assert r.status_code == 422 and r.json()["code"] == "JSON_TOO_DEEP", r.text
    params_node = {**node("t", "text"), "params": {"text": "x", "extra": deep(200)}}
    r = await api.post("/api/v2/sessions", json={"name": "p", "graph": {"nodes": [params_node], "edges": []}})
    assert r.status_code == 422 and r.json()["code"] == "JSON_TOO_DEEP", r.text
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow",
                      json={"graph": {"nodes": [], "edges": []}, "version": session["version"],
                            "tabs": [deep(500)]})
    assert r.status_code == 422 and r.json()["code"] == "JSON_TOO_DEEP", r.text
    r = await api.get(f"/api/v2/sessions/{session['id']}")
    assert r.status_code == 200 and r.json()["tabs"] == [] and r.json()["version"] == session["version"]


async def test_a_session_stored_with_too_deep_documents_stays_readable(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    graph = {"nodes": [{**node("t", "text", text="kept"), "ui": deep(500)}], "edges": []}
    store_directly(studio, session["id"], tabs=[deep(500)], graph=graph)
    for url, kw in ((f"/api/v2/sessions/{session['id']}", {}), ("/api/v2/session", {"session": session["id"]})):
        r = await api.get(url, **kw)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["tabs"] == []
        assert doc["graph"]["nodes"][0]["params"] == {"text": "kept"}
        assert doc["graph"]["nodes"][0]["ui"] == {}
        assert {"part": "tabs"} in doc["unreadable"]
        assert {"part": "ui", "node_id": "t"} in doc["unreadable"]
    # The next save replaces what could not be read.
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow",
                      json={"graph": {"nodes": [node("t", "text", text="kept")], "edges": []},
                            "version": session["version"], "tabs": [{"id": "main"}]})
    assert r.status_code == 200, r.text
    doc = (await api.get(f"/api/v2/sessions/{session['id']}")).json()
    assert doc["tabs"] == [{"id": "main"}] and "unreadable" not in doc


async def test_a_small_run_still_works_end_to_end(api: Api) -> None:
    """The inline (small graph) path and the threaded (loop) path give the same kind of answer."""
    session = await api.new_session()
    graph = text_loop(members=2, iterations=3)
    graph["nodes"].append(node("solo", "text", text="solo"))
    graph["edges"] = []
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    assert set(run["nodes"]) == {"t0", "t1", "solo"} | {f"t{m}::i{k}" for m in range(2) for k in range(3)}
    assert [it["iteration_id"] for it in run["loops"]["L"]] == ["i0", "i1", "i2"]
    small = await api.new_session()
    await api.save_graph(small, {"nodes": [node("c", "image.solid_color", width=8, height=8),
                                           node("a", "image.adjust", invert=True)],
                                 "edges": [edge("c", "image", "a", "image")]})
    run = await api.run(small["id"])
    assert run["status"] == "succeeded" and run["nodes"]["a"]["outputs"]["image"]["media_id"]
