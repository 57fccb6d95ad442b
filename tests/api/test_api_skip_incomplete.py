"""Runs that skip incomplete nodes (issue 18 item 13): an unconnected node no longer blocks the rest when the
client asks; by default the run is still refused, naming the node by its title."""

from __future__ import annotations

from typing import Any

from conftest import Api, edge, node

from .conftest import error_of


def graph_with_a_loose_node() -> dict[str, Any]:
    """c -> a (complete), a loose Adjust titled "Lonely" feeding r, and a text node t."""
    loose = node("loose", "image.adjust", x=200, invert=True)
    loose["title"] = "Lonely"
    return {"nodes": [node("c", "image.solid_color", width=16, height=16, color="#336699"),
                      node("a", "image.adjust", x=200, invert=True), loose,
                      node("r", "image.resize", x=400, width=8, height=8),
                      node("t", "text", text="still runs")],
            "edges": [edge("c", "image", "a", "image"), edge("loose", "image", "r", "image")]}


async def execute(api: Api, session_id: str, body: dict[str, Any]) -> Any:
    return await api.post("/api/v2/session/execute", session=session_id, json=body, headers={"Prefer": "wait=60"})


async def test_the_default_refuses_and_names_the_node_by_its_title(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, graph_with_a_loose_node())
    r = await execute(api, session["id"], {"mode": "full"})
    assert r.status_code == 422, r.text
    body = error_of(r)
    assert body["code"] == "GRAPH_INVALID"
    assert body["message"] == "\u201cLonely\u201d needs its image input 'image' connected"
    assert body["details"]["errors"] == [{"code": "MISSING_INPUT", "message": body["message"], "node_id": "loose",
                                          "socket": "image"}]
    assert (await api.get("/api/v2/session/executions", session=session["id"])).json()["items"] == []


async def test_skip_incomplete_runs_the_rest_and_reports_what_it_skipped(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, graph_with_a_loose_node())
    r = await execute(api, session["id"], {"mode": "full", "skip_incomplete": True})
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded"
    statuses = {nid: state["status"] for nid, state in run["nodes"].items()}
    assert statuses == {"c": "succeeded", "a": "succeeded", "t": "succeeded", "loose": "skipped", "r": "skipped"}
    assert run["nodes"]["loose"]["error"] == {
        "code": "MISSING_INPUT", "message": "\u201cLonely\u201d needs its image input 'image' connected"}
    assert run["nodes"]["r"]["error"]["code"] == "UPSTREAM_INCOMPLETE"
    assert "\u201cLonely\u201d" in run["nodes"]["r"]["error"]["message"]
    assert "Resize" in run["nodes"]["r"]["error"]["message"]
    # The record says the same after the fact, and a second run reuses the cache.
    recorded = (await api.get("/api/v2/session/execution", session=session["id"])).json()["run"]
    assert {nid: s["status"] for nid, s in recorded["nodes"].items()} == statuses
    again = (await execute(api, session["id"], {"mode": "full", "skip_incomplete": True})).json()
    assert {nid: s["status"] for nid, s in again["nodes"].items()} == {**statuses, "c": "cached", "a": "cached",
                                                                         "t": "cached"}
    # The flag does not leak into plain runs of the same graph version.
    assert (await execute(api, session["id"], {"mode": "full"})).status_code == 422


async def test_skip_incomplete_with_nothing_runnable_is_still_refused(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("a", "image.adjust")], "edges": []})
    r = await execute(api, session["id"], {"mode": "full", "skip_incomplete": True})
    assert r.status_code == 422 and error_of(r)["code"] == "GRAPH_INVALID"
    r = await execute(api, session["id"], {"mode": "full", "skip_incomplete": "yes please"})
    assert r.status_code == 422 and error_of(r)["code"] in ("INVALID_REQUEST", "VALIDATION_ERROR")
