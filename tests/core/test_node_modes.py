"""Bypass and mute through the real app: a bypassed node hands its input straight on, a muted one and
what only it feeds are left out (optional inputs it fed are simply unlinked), each reported ``skipped``
with why; the mode is saved with the graph, and a set-aside node cannot be rerun alone."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from conftest import Api, edge, node, output

COLOR = (0x33, 0x66, 0x99)


async def pixels(api: Api, media_id: str) -> Any:
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"), dtype=np.int32)


def moded(node_dict: dict[str, Any], mode: str) -> dict[str, Any]:
    return {**node_dict, "mode": mode}


async def test_bypass_and_mute(api: Api) -> None:
    nodes = [
        node("bg", "image.solid_color", width=48, height=48, color="#336699"),
        moded(node("bright", "image.adjust", brightness=2.0, invert=True), "bypass"),
        node("crop", "image.crop", width=24, height=24),
        moded(node("turn", "image.rotate"), "mute"),
        node("small", "image.resize", width=16, height=16),  # only downstream of the muted node
        moded(node("words", "text", text="muted words"), "mute"),
        node("label", "image.text_overlay", text="own words", size=12),  # its optional text input is muted
        moded(node("gen", "image.solid_color", width=8, height=8), "bypass"),  # no input to pass on
        node("after_gen", "image.adjust"),
    ]
    edges = [edge("bg", "image", "bright", "image"), edge("bright", "image", "crop", "image"),
             edge("bg", "image", "turn", "image"), edge("turn", "image", "small", "image"),
             edge("words", "text", "label", "text_input"), edge("bg", "image", "label", "image"),
             edge("gen", "image", "after_gen", "image")]
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    saved = (await api.get(f"/api/v2/sessions/{session['id']}")).json()
    modes = {n["id"]: n["mode"] for n in saved["graph"]["nodes"]}
    assert modes["bright"] == "bypass" and modes["turn"] == "mute" and modes["crop"] == "normal"

    run = await api.run(session["id"])
    assert run["status"] == "succeeded", {k: (v["status"], v.get("error")) for k, v in run["nodes"].items()}
    status = {nid: (state["status"], (state.get("error") or {}).get("code")) for nid, state in run["nodes"].items()}
    assert status == {
        "bg": ("succeeded", None), "crop": ("succeeded", None), "label": ("succeeded", None),
        "bright": ("skipped", "BYPASSED"), "turn": ("skipped", "MUTED"), "words": ("skipped", "MUTED"),
        "small": ("skipped", "UPSTREAM_MUTED"), "gen": ("skipped", "BYPASSED"),
        "after_gen": ("skipped", "UPSTREAM_MUTED"),
    }, status
    assert "bypassed without an input of that type" in run["nodes"]["after_gen"]["error"]["message"]
    # the crop got the solid colour itself: neither brightened nor inverted
    crop = await pixels(api, output(run, "crop", "image")["media_id"])
    assert crop.shape == (24, 24, 3) and np.abs(crop - np.array(COLOR)).max() <= 1

    r = await api.post("/api/v2/session/nodes/turn/rerun", session=session["id"], headers={"Prefer": "wait=60"})
    assert r.status_code in (400, 422) and r.json()["code"] == "NODE_MUTED", r.text

    # back to normal: the adjust runs and the crop changes
    nodes[1] = moded(nodes[1], "normal")
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    run = await api.run(session["id"])
    assert run["nodes"]["bright"]["status"] == "succeeded"
    crop = await pixels(api, output(run, "crop", "image")["media_id"])
    assert np.abs(crop - np.array(COLOR)).max() > 40


async def test_an_unknown_mode_is_refused(api: Api) -> None:
    session = await api.new_session()
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow", json={
        "graph": {"nodes": [moded(node("bg", "image.solid_color"), "sleep")], "edges": []},
        "version": session["version"]})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST", r.text
