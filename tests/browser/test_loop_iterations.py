"""Loops on the canvas: each iteration's tile shows every output of the group for that iteration (text too), and
one iteration can be previewed on the group's own nodes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import LiveStudio
from .test_canvas import SCREENSHOTS, Page, expect, node, sign_in
from .test_loops_and_recipes import api_client

pytestmark = pytest.mark.browser


def member(node_id: str, node_type: str, x: float, y: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": y}, "params": params, "parent_id": "g"}


def loop_graph() -> dict[str, Any]:
    group = {"id": "g", "type": "group", "position": {"x": 0, "y": 0}, "params": {"label": "Variants"},
             "width": 640, "height": 600}
    nodes = [group,
             member("caption", "text", 30, 60, text="plain"),
             member("c", "image.solid_color", 330, 60, width=16, height=16, color="#000000"),
             member("a", "image.adjust", 330, 330, brightness=1.0),
             {"id": "L", "type": "loop", "position": {"x": 700, "y": 0}, "width": 420,
              "params": {"group_id": "g", "iterations": [
                  {"id": "v1", "label": "Coral", "enabled": True,
                   "overrides": {"c": {"color": "#ff5a5f"}, "caption": {"text": "coral caption"}}},
                  {"id": "v2", "label": "Teal", "enabled": True,
                   "overrides": {"c": {"color": "#2ec4b6"}, "caption": {"text": "teal caption"}}}]}}]
    edges = [{"id": "e1", "source": "c", "source_handle": "image", "target": "a", "target_handle": "image"}]
    return {"nodes": nodes, "edges": edges}


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_iteration_tiles_show_every_output_and_one_can_be_previewed(
        page: Page, live_studio: LiveStudio, width: int) -> None:
    with api_client(live_studio) as client:
        session = client.post("/api/v2/sessions", json={"name": f"Loop tiles at {width}"}).json()
        r = client.put(f"/api/v2/sessions/{session['id']}/flow",
                       json={"graph": loop_graph(), "version": session["version"]})
        assert r.status_code == 200, r.text
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_studio)
    page.goto(f"/studio/{session['id']}")
    loop = node(page, "loop")
    expect(loop).to_be_visible()
    page.get_by_role("button", name="Run workflow").click()
    expect(page.get_by_role("status", name="Last run: succeeded")).to_be_visible(timeout=60_000)

    coral = loop.get_by_label("Iteration Coral", exact=True)
    teal = loop.get_by_label("Iteration Teal", exact=True)
    # every member's output per iteration: the text, the colour and the adjusted image
    expect(coral.get_by_label(re.compile("^Output Coral Text"))).to_have_text("coral caption")
    expect(teal.get_by_label(re.compile("^Output Teal Text"))).to_have_text("teal caption")
    expect(coral.locator("img")).to_have_count(2)
    expect(teal.locator("img")).to_have_count(2)
    assert coral.locator("img").first.get_attribute("src") != teal.locator("img").first.get_attribute("src")

    # preview Teal on the group's own nodes, then go back to their own outputs
    caption = node(page, "text")
    expect(caption).to_contain_text("plain")
    teal.get_by_role("button", name="Preview iteration Teal on the canvas").click()
    expect(caption.get_by_role("status", name="Status: Previewing Teal")).to_be_visible()
    expect(caption).to_contain_text("teal caption")
    expect(node(page, "image.solid_color").get_by_role("status", name="Status: Previewing Teal")).to_be_visible()
    if width == 1440:
        page.screenshot(path=str(SCREENSHOTS / "loop-iteration-preview.png"))
    coral.get_by_role("button", name="Preview iteration Coral on the canvas").click()
    expect(caption).to_contain_text("coral caption")
    coral.get_by_role("button", name="Preview iteration Coral on the canvas").click()
    expect(caption.get_by_role("status", name=re.compile("Previewing"))).to_have_count(0)
    expect(caption).to_contain_text("plain")
    box = loop.bounding_box()
    assert box and box["width"] > 0
