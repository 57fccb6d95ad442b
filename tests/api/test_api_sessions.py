"""Sessions: CRUD, search and paging, versioned graph saves and graph validation."""

from __future__ import annotations

import uuid
from typing import Any

from conftest import Api, edge, node
from miniaistudio.studio import Studio

from .conftest import error_of


def chain() -> dict[str, Any]:
    return {"nodes": [node("c", "image.solid_color", width=32, height=32, color="#336699"),
                      node("a", "image.adjust", x=200, invert=True),
                      node("r", "image.resize", x=400, width=16, height=16)],
            "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image")]}


async def test_create_list_get_rename_delete(api: Api) -> None:
    created = []
    for name in ("Alpha launch", "beta teaser", "Gamma 100%_done", "alphabet soup"):
        created.append(await api.new_session(name))
    first = created[0]
    assert first["version"] == 1 and first["role"] == "owner"
    assert first["graph"] == {"nodes": [], "edges": []}
    assert uuid.UUID(first["id"])

    listed = (await api.get("/api/v2/sessions")).json()
    assert listed["total"] == 4
    assert [s["name"] for s in listed["items"]] == ["alphabet soup", "Gamma 100%_done", "beta teaser", "Alpha launch"]

    found = (await api.get("/api/v2/sessions", params={"q": "ALPHA"})).json()
    assert {s["name"] for s in found["items"]} == {"Alpha launch", "alphabet soup"} and found["total"] == 2
    # LIKE wildcards in the search are literal characters.
    literal = (await api.get("/api/v2/sessions", params={"q": "100%_"})).json()
    assert [s["name"] for s in literal["items"]] == ["Gamma 100%_done"]
    assert (await api.get("/api/v2/sessions", params={"q": "%"})).json()["total"] == 1
    assert (await api.get("/api/v2/sessions", params={"q": "_"})).json()["total"] == 1

    page1 = (await api.get("/api/v2/sessions", params={"limit": 3, "offset": 0})).json()
    page2 = (await api.get("/api/v2/sessions", params={"limit": 3, "offset": 3})).json()
    assert len(page1["items"]) == 3 and len(page2["items"]) == 1 and page2["total"] == 4
    assert {s["id"] for s in page1["items"] + page2["items"]} == {s["id"] for s in created}
    bad = await api.get("/api/v2/sessions", params={"limit": 0})
    assert bad.status_code == 422 and error_of(bad)["code"] == "INVALID_REQUEST"

    got = await api.get(f"/api/v2/sessions/{first['id']}")
    assert got.status_code == 200 and got.json()["name"] == "Alpha launch"
    active = await api.get("/api/v2/session", session=first["id"])
    assert active.status_code == 200 and active.json()["id"] == first["id"]

    renamed = await api.request("PATCH", f"/api/v2/sessions/{first['id']}", json={"name": "  Launch v2  "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Launch v2"
    blank = await api.request("PATCH", f"/api/v2/sessions/{first['id']}", json={"name": "   "})
    assert blank.status_code == 422 and error_of(blank)["code"] == "INVALID_NAME"

    deleted = await api.request("DELETE", f"/api/v2/sessions/{first['id']}")
    assert deleted.status_code == 204
    gone = await api.get(f"/api/v2/sessions/{first['id']}")
    assert gone.status_code == 404 and error_of(gone)["code"] == "SESSION_NOT_FOUND"
    again = await api.request("DELETE", f"/api/v2/sessions/{first['id']}")
    assert again.status_code == 404 and error_of(again)["code"] == "SESSION_NOT_FOUND"
    assert (await api.get("/api/v2/sessions")).json()["total"] == 3


async def test_ids_that_are_not_uuids_are_not_found(api: Api) -> None:
    for sid in ("nope", "1", "..%2F..", "' OR 1=1 --", "x" * 300):
        r = await api.get(f"/api/v2/sessions/{sid}")
        assert r.status_code == 404, (sid, r.text)
        assert error_of(r)["code"] in ("SESSION_NOT_FOUND", "NOT_FOUND")
        r = await api.get("/api/v2/session", session=sid)
        assert r.status_code == 404 and error_of(r)["code"] == "SESSION_NOT_FOUND"


async def test_session_scoped_endpoints_need_session_id(api: Api) -> None:
    calls = [("GET", "/api/v2/session"), ("PUT", "/api/v2/session/flow"), ("POST", "/api/v2/session/execute"),
             ("POST", "/api/v2/session/nodes/n1/rerun"), ("POST", "/api/v2/session/nodes/n1/cancel"),
             ("POST", "/api/v2/session/stop"), ("GET", "/api/v2/session/execution"),
             ("GET", "/api/v2/session/executions"), ("GET", f"/api/v2/session/runs/{uuid.uuid4()}"),
             ("GET", "/api/v2/session/events")]
    for method, url in calls:
        kw: dict[str, Any] = {}
        if method == "PUT":
            kw["json"] = {"graph": {"nodes": [], "edges": []}, "version": 1}
        if url.endswith("/execute"):
            kw["json"] = {"mode": "full"}
        for headers in ({}, {"X-Session-ID": ""}, {"X-Session-ID": "   "}):
            r = await api.request(method, url, headers=headers, **kw)
            assert r.status_code == 400, (method, url, r.status_code, r.text)
            assert error_of(r)["code"] == "MISSING_SESSION_ID", (method, url)


async def test_put_flow_by_id_and_active_session_with_versions(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    r = await api.put(f"/api/v2/sessions/{sid}/flow",
                      json={"graph": chain(), "version": 1, "viewport": {"x": 10, "y": -5, "zoom": 1.5},
                            "tabs": [{"id": "main"}]})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == 2 and saved["node_count"] == 3 and saved["id"] == sid
    doc = (await api.get(f"/api/v2/sessions/{sid}")).json()
    assert doc["viewport"] == {"x": 10, "y": -5, "zoom": 1.5} and doc["tabs"] == [{"id": "main"}]
    assert doc["graph"]["nodes"][1]["position"] == {"x": 200.0, "y": 0.0}

    # The active-session door (X-Session-ID) saves the same document.
    graph = chain()
    graph["nodes"][0]["params"]["color"] = "#ff0000"
    r = await api.put("/api/v2/session/flow", session=sid, json={"graph": graph, "version": 2})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3
    doc = (await api.get("/api/v2/session", session=sid)).json()
    assert doc["viewport"] == {"x": 10, "y": -5, "zoom": 1.5}  # unchanged when not sent
    assert doc["tabs"] == [{"id": "main"}]

    # A stale write is refused and changes nothing.
    stale = chain()
    stale["nodes"] = stale["nodes"][:1]
    stale["edges"] = []
    for url, headers in ((f"/api/v2/sessions/{sid}/flow", {}), ("/api/v2/session/flow", {"X-Session-ID": sid})):
        r = await api.put(url, headers=headers, json={"graph": stale, "version": 2})
        assert r.status_code == 409, r.text
        body = error_of(r)
        assert body["code"] == "GRAPH_VERSION_CONFLICT"
        assert body["details"] == {"current_version": 3, "your_version": 2}
    doc = (await api.get(f"/api/v2/sessions/{sid}")).json()
    assert doc["version"] == 3 and doc["graph"]["nodes"][0]["params"]["color"] == "#ff0000"
    assert len(doc["graph"]["nodes"]) == 3 and len(doc["graph"]["edges"]) == 2

    for version in (0, -1, "two", None):
        r = await api.put(f"/api/v2/sessions/{sid}/flow", json={"graph": stale, "version": version})
        assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST", version
    r = await api.put(f"/api/v2/sessions/{sid}/flow", json={"graph": stale, "version": 2**70})
    assert r.status_code in (409, 422), r.text
    error_of(r)


async def _save_error(api: Api, graph: dict[str, Any]) -> list[dict[str, Any]]:
    session = await api.new_session()
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": 1})
    assert r.status_code == 422, r.text
    body = error_of(r)
    assert body["code"] == "GRAPH_INVALID"
    doc = (await api.get(f"/api/v2/sessions/{session['id']}")).json()
    assert doc["version"] == 1 and doc["graph"] == {"nodes": [], "edges": []}  # nothing saved
    errors: list[dict[str, Any]] = body["details"]["errors"]
    return errors


async def test_graph_validation_on_save(api: Api) -> None:
    errors = await _save_error(api, {"nodes": [node("x", "no.such.type")], "edges": []})
    assert errors == [{"code": "UNKNOWN_NODE_TYPE", "message": errors[0]["message"], "node_id": "x"}]

    # text output -> image input
    errors = await _save_error(api, {
        "nodes": [node("t", "text", text="hello"), node("a", "image.adjust")],
        "edges": [edge("t", "text", "a", "image")]})
    assert len(errors) == 1
    assert errors[0]["code"] == "INCOMPATIBLE_SOCKETS"
    assert errors[0]["node_id"] == "a" and errors[0]["socket"] == "image"
    assert "text" in errors[0]["message"] and "image" in errors[0]["message"]

    errors = await _save_error(api, {
        "nodes": [node("c", "image.solid_color"), node("a", "image.adjust")],
        "edges": [edge("c", "nope", "a", "image")]})
    assert errors[0]["code"] == "UNKNOWN_SOCKET" and errors[0]["node_id"] == "c" and errors[0]["socket"] == "nope"

    errors = await _save_error(api, {
        "nodes": [node("a", "image.adjust"), node("b", "image.adjust")],
        "edges": [edge("a", "image", "b", "image"), edge("b", "image", "a", "image")]})
    assert {e["code"] for e in errors} == {"GRAPH_CYCLE"}
    assert {e["node_id"] for e in errors} == {"a", "b"}

    errors = await _save_error(api, {"nodes": [node("a", "text"), node("a", "text")], "edges": []})
    assert errors[0]["code"] == "DUPLICATE_NODE_ID"

    errors = await _save_error(api, {"nodes": [node("a", "text")], "edges": [edge("a", "text", "ghost", "text")]})
    assert errors[0]["code"] == "UNKNOWN_NODE"

    # Several problems are all reported.
    errors = await _save_error(api, {
        "nodes": [node("t", "text"), node("a", "image.adjust"), node("z", "bogus")],
        "edges": [edge("t", "text", "a", "image")]})
    assert {e["code"] for e in errors} == {"UNKNOWN_NODE_TYPE", "INCOMPATIBLE_SOCKETS"}

    # The document shape itself is checked by the request model.
    session = await api.new_session()
    for bad in ({"nodes": [{"id": "bad id!", "type": "text"}], "edges": []},
                {"nodes": [{"id": "a", "type": "text", "surprise": 1}], "edges": []},
                {"nodes": "nope"}):
        r = await api.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": bad, "version": 1})
        assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST", bad


async def test_create_with_a_graph_is_validated(api: Api) -> None:
    r = await api.post("/api/v2/sessions", json={"name": "with graph", "graph": chain()})
    assert r.status_code == 201 and r.json()["node_count"] == 3
    r = await api.post("/api/v2/sessions", json={"name": "bad", "graph": {
        "nodes": [node("t", "text"), node("a", "image.adjust")], "edges": [edge("t", "text", "a", "image")]}})
    assert r.status_code == 422 and error_of(r)["code"] == "GRAPH_INVALID"
    r = await api.post("/api/v2/sessions", json={})
    assert r.status_code == 201 and r.json()["name"] == "Untitled session"
    r = await api.post("/api/v2/sessions", json={"name": ""})
    assert r.status_code == 422 and error_of(r)["code"] in ("INVALID_NAME", "INVALID_REQUEST")


async def test_run_time_validation_names_nodes(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, {
        "nodes": [node("c", "image.solid_color", width=-5), node("a", "image.adjust"),
                  node("t", "text", text="fine")],
        "edges": []})
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 422, r.text
    body = error_of(r)
    assert body["code"] == "GRAPH_INVALID"
    errors = body["details"]["errors"]
    invalid = [e for e in errors if e["code"] == "INVALID_PARAMETER"]
    assert [(e["node_id"], e["field"]) for e in invalid] == [("c", "width")]
    assert invalid[0]["message"].startswith("Solid Color: parameter 'width'")  # named as people know it
    missing = [e for e in errors if e["code"] == "MISSING_INPUT"]
    assert missing == [{"code": "MISSING_INPUT", "message": missing[0]["message"], "node_id": "a",
                        "socket": "image"}]
    # Nothing ran.
    assert (await api.get("/api/v2/session/executions", session=session["id"])).json()["items"] == []


async def test_open_sets_the_session_cookie_for_session_scoped_calls(api: Api) -> None:
    a = await api.new_session("A")
    b = await api.new_session("B")
    r = await api.post(f"/api/v2/sessions/{a['id']}/open")
    assert r.status_code == 200 and r.json()["id"] == a["id"]
    assert "httponly" in r.headers["set-cookie"].lower()
    try:
        assert (await api.get("/api/v2/session")).json()["id"] == a["id"]
        # The header wins over the cookie.
        assert (await api.get("/api/v2/session", session=b["id"])).json()["id"] == b["id"]
    finally:
        api.client.cookies.clear()
    r = await api.get("/api/v2/session")
    assert r.status_code == 400 and error_of(r)["code"] == "MISSING_SESSION_ID"


async def test_a_run_reuses_the_check_made_when_the_graph_was_saved(api: Api, studio: Studio) -> None:
    """Checked once per graph version: the save's check is the one the first run plans with."""
    from miniaistudio.core.run import RunMode

    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("c", "image.solid_color", width=8, height=8)], "edges": []})
    principal = studio.accounts.principal_for(api.token)
    graph, version = studio.sessions.graph_for_run(principal, session["id"])
    checked = studio.sessions.checked_graph(session["id"], version, graph)
    assert checked is not None and checked.graph is graph
    assert studio.engine is not None
    plan = await studio.engine.plan(session_id=session["id"], user_id=principal.user_id, graph=graph,
                                    mode=RunMode.FULL, graph_version=version, checked=checked)
    assert plan.checked is checked
    run = await api.run(session["id"])
    assert run["status"] == "succeeded"
