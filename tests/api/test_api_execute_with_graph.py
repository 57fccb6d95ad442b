"""Save and run in one request: POST /session/execute carrying the graph and the version it was based on."""

from __future__ import annotations

from typing import Any

from conftest import Api, edge, node

from .conftest import error_of


def chain(width: int = 16) -> dict[str, Any]:
    return {"nodes": [node("c", "image.solid_color", width=32, height=32, color="#336699"),
                      node("r", "image.resize", x=200, width=width, height=width, mode="stretch")],
            "edges": [edge("c", "image", "r", "image")]}


async def execute(api: Api, session_id: str, graph: dict[str, Any], version: int) -> Any:
    return await api.post("/api/v2/session/execute", session=session_id, headers={"Prefer": "wait=120"},
                          json={"mode": "full", "graph": graph, "version": version})


async def test_execute_saves_the_graph_and_runs_it(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    r = await execute(api, sid, chain(), session["version"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded"
    assert set(r.json()["nodes"]) == {"c", "r"}
    version = int(r.headers["X-Graph-Version"])
    assert version == session["version"] + 1
    saved = (await api.get(f"/api/v2/sessions/{sid}")).json()
    assert saved["version"] == version and [n["id"] for n in saved["graph"]["nodes"]] == ["c", "r"]

    # The same graph again: nothing is written (same version), everything comes from the cache.
    again = await execute(api, sid, chain(), version)
    assert again.status_code == 200 and again.json()["counts"] == {"cached": 2}
    assert int(again.headers["X-Graph-Version"]) == version

    # The last node changed: saved as a new version, only that node runs.
    changed = await execute(api, sid, chain(width=8), version)
    assert changed.json()["counts"] == {"cached": 1, "succeeded": 1}
    assert int(changed.headers["X-Graph-Version"]) == version + 1
    saved = (await api.get(f"/api/v2/sessions/{sid}")).json()
    assert saved["graph"]["nodes"][1]["params"]["width"] == 8

    # A plain execute still answers the version it ran.
    plain = await api.post("/api/v2/session/execute", session=sid, json={"mode": "full"},
                           headers={"Prefer": "wait=120"})
    assert plain.status_code == 200 and int(plain.headers["X-Graph-Version"]) == version + 1


async def test_a_stale_version_is_refused_and_nothing_runs(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    await api.save_graph(session, chain())
    r = await execute(api, sid, chain(width=8), session["version"] - 1)
    assert r.status_code == 409
    assert error_of(r)["code"] == "GRAPH_VERSION_CONFLICT"
    history = (await api.get("/api/v2/session/executions", session=sid)).json()
    assert history["items"] == []
    # An unchanged graph on a stale version is refused too (someone saved since).
    await api.save_graph(session, chain(width=8))
    stale = await execute(api, sid, chain(width=8), session["version"] - 1)
    assert stale.status_code == 409


async def test_graph_and_version_go_together_and_an_invalid_graph_is_refused(api: Api) -> None:
    session = await api.new_session()
    sid = session["id"]
    lone = await api.post("/api/v2/session/execute", session=sid, json={"graph": chain()})
    assert lone.status_code == 422 and error_of(lone)
    bad = chain()
    bad["edges"][0]["source"] = "nowhere"
    r = await execute(api, sid, bad, session["version"])
    assert r.status_code == 422 and error_of(r)["code"] == "GRAPH_INVALID"
    assert (await api.get(f"/api/v2/sessions/{sid}")).json()["version"] == session["version"]


async def test_a_runner_may_run_the_saved_graph_but_not_save_another(api: Api, make_user: Any) -> None:
    session = await api.new_session()
    sid = session["id"]
    await api.save_graph(session, chain())
    runner: Api = await make_user("runner@example.com")
    share = (await api.post(f"/api/v2/session/{sid}/share", json={"email": runner.email, "role": "runner"})).json()
    assert (await runner.post(f"/api/v2/invitations/{share['id']}/accept")).status_code == 200

    same = await execute(runner, sid, chain(), session["version"])  # nothing to save: running is enough
    assert same.status_code == 200 and same.json()["status"] == "succeeded"
    assert int(same.headers["X-Graph-Version"]) == session["version"]
    other = await execute(runner, sid, chain(width=8), session["version"])
    assert other.status_code == 403 and error_of(other)["code"] == "FORBIDDEN"
    assert (await api.get(f"/api/v2/sessions/{sid}")).json()["version"] == session["version"]
