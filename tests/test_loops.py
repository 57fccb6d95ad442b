"""Loops over groups: per-node overrides, disabled iterations, per-iteration caching,
rerunning the loop versus rerunning a member."""

from __future__ import annotations

from typing import Any

from conftest import Api, edge, node


def loop_graph(iterations: list[dict[str, Any]]) -> dict[str, Any]:
    group = node("g", "group", label="Variants")
    color = {**node("c", "image.solid_color", width=16, height=16, color="#000000"), "parent_id": "g"}
    adjust = {**node("a", "image.adjust", brightness=1.0), "parent_id": "g"}
    loop = node("L", "loop", group_id="g", iterations=iterations)
    return {"nodes": [group, color, adjust, loop], "edges": [edge("c", "image", "a", "image")]}


ITERATIONS = [
    {"id": "red", "label": "Red", "overrides": {"c": {"color": "#ff0000"}}},
    {"id": "bright", "label": "Bright", "overrides": {"a": {"brightness": 2.0}}},
    {"id": "draft", "label": "Draft", "enabled": False, "overrides": {"c": {"color": "#00ff00"}}},
]


async def media_params(api: Api, run: dict[str, Any], node_id: str) -> dict[str, Any]:
    media_id = run["nodes"][node_id]["outputs"]["image"]["media_id"]
    r = await api.get(f"/api/v2/media/{media_id}")
    assert r.status_code == 200, r.text
    return r.json()["metadata"]["params"]  # type: ignore[no-any-return]


async def test_loop_iterations_apply_overrides_per_node(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, loop_graph(ITERATIONS))
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    executed = {nid for nid, s in run["nodes"].items() if s["status"] == "succeeded"}
    assert executed == {"c", "a", "c::red", "a::red", "c::bright", "a::bright"}
    assert not any(nid.endswith("::draft") for nid in run["nodes"]), "disabled iterations are skipped"

    # Overrides stay on their own node: the red iteration's Adjust keeps its saved brightness,
    # and the bright iteration's Solid Color keeps its saved color.
    assert (await media_params(api, run, "c::red"))["color"] == "#ff0000"
    assert (await media_params(api, run, "a::red"))["brightness"] == 1.0
    assert (await media_params(api, run, "c::bright"))["color"] == "#000000"
    assert (await media_params(api, run, "a::bright"))["brightness"] == 2.0

    iterations = run["loops"]["L"]
    assert [it["iteration_id"] for it in iterations] == ["red", "bright"]
    assert iterations[0]["label"] == "Red"
    assert iterations[1]["nodes"]["a"]["outputs"]["image"]["url"].startswith("/api/v2/media/")


async def test_adding_an_iteration_runs_only_that_iteration(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, loop_graph(ITERATIONS))
    await api.run(session["id"])
    more = [*ITERATIONS, {"id": "blue", "label": "Blue", "overrides": {"c": {"color": "#0000ff"}}}]
    await api.save_graph(session, loop_graph(more))
    run = await api.rerun(session["id"], "L")
    assert run["status"] == "succeeded", run
    executed = {nid for nid, s in run["nodes"].items() if s["status"] == "succeeded"}
    assert executed == {"c::blue", "a::blue"}
    cached = {nid for nid, s in run["nodes"].items() if s["status"] == "cached"}
    assert {"c::red", "a::red", "c::bright", "a::bright"} <= cached
    assert "a" not in run["nodes"], "rerunning the loop does not run the members' own settings"


async def test_rerunning_a_member_runs_it_once_with_its_own_settings(api: Api) -> None:
    session = await api.new_session()
    await api.save_graph(session, loop_graph(ITERATIONS))
    await api.run(session["id"])
    run = await api.rerun(session["id"], "a")
    assert {nid: s["status"] for nid, s in run["nodes"].items()} == {"c": "cached", "a": "succeeded"}
    assert (await media_params(api, run, "a"))["brightness"] == 1.0


async def test_loop_errors_have_stable_codes(api: Api) -> None:
    session = await api.new_session()
    graph = loop_graph([{"id": "x", "overrides": {"nope": {"color": "#ffffff"}}}])
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 422 and r.json()["code"] == "LOOP_OVERRIDE_INVALID", r.text
    graph = loop_graph([{"id": "x", "overrides": {"c": {"width": -3}}}])
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 422 and r.json()["code"] == "GRAPH_INVALID", r.text
    assert any(e["node_id"] == "c::x" and e["code"] == "INVALID_PARAMETER" for e in r.json()["details"]["errors"])
    graph = loop_graph(ITERATIONS)
    graph["nodes"][3]["params"]["group_id"] = "c"
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 422 and r.json()["code"] == "LOOP_TARGET_INVALID", r.text


async def test_loop_outputs_download_under_portable_readable_names(api: Api) -> None:
    """Loop copies have ``::`` in their ids; file names must open on Windows and say what they are."""
    import io
    import re
    import zipfile
    from urllib.parse import unquote

    graph = loop_graph([{"id": "red", "label": "Red: warm?", "overrides": {"c": {"color": "#ff0000"}}}])
    graph["nodes"][2]["title"] = "Brighten"
    session = await api.new_session()
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    ids = {nid: run["nodes"][nid]["outputs"]["image"]["media_id"] for nid in ("a", "a::red", "c::red")}
    names: dict[str, str] = {}
    for nid, media_id in ids.items():
        r = await api.get(f"/api/v2/media/{media_id}/download", params={"inline": "false"})
        assert r.status_code == 200, r.text
        disposition = r.headers["content-disposition"]
        encoded = re.search(r"filename\*=utf-8''([^;]+)", disposition)  # names with spaces come RFC 5987-encoded
        assert encoded, disposition
        names[nid] = unquote(encoded.group(1))
    assert names["a"] == f"Brighten - {ids['a'][:8]}.png"
    assert names["a::red"] == f"Brighten [Red warm] - {ids['a::red'][:8]}.png"
    assert names["c::red"] == f"Solid Color [Red warm] - {ids['c::red'][:8]}.png"
    r = await api.post("/api/v2/media/download-zip", json={"ids": list(ids.values())})
    assert r.status_code == 200, r.text
    for name in zipfile.ZipFile(io.BytesIO(r.content)).namelist():
        assert not set(name) & set('<>:"/\\|?*'), name
        assert not name.endswith((" ", ".")), name
