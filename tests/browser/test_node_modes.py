"""Bypass and mute on the canvas (issue 18): Ctrl+B and the node menu bypass a node, Ctrl+M mutes one; they
look different, a run hands the bypassed node's input straight on and leaves the muted one (and what only it
feeds) out, and the modes are saved with the graph."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT, LiveStudio, Shots
from .test_canvas import Page, drag, expect, node
from .test_loops_and_recipes import api_client, new_blank_session, palette_drop

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "screenshots" / "canvas-bypass.png"


def test_bypass_and_mute_nodes(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    session_id = new_blank_session(page, live_studio, "Bypass and mute")
    palette_drop(page, "Solid Color", "solid color", (60, 60))
    palette_drop(page, "Adjust", "adjust", (380, 20))
    palette_drop(page, "Resize", "resize", (700, 20))
    palette_drop(page, "Rotate / Flip", "rotate", (380, 330))
    solid, adjust = node(page, "image.solid_color"), node(page, "image.adjust")
    resize, rotate = node(page, "image.resize"), node(page, "image.rotate")
    drag(page, solid.get_by_label("Image output (image)"), adjust.get_by_label("Image input (image)"))
    drag(page, adjust.get_by_label("Image output (image)"), resize.get_by_label("Image input (image)"))
    drag(page, solid.get_by_label("Image output (image)"), rotate.get_by_label("Image input (image)"))
    expect(page.locator(".react-flow__edge")).to_have_count(3)

    # Ctrl+B bypasses the selected node; again brings it back; the node menu does the same
    adjust.locator(".snode-head").click()
    page.keyboard.press("Control+b")
    expect(adjust.get_by_label("Bypassed")).to_be_visible()
    expect(adjust).to_have_class(re.compile("mode-bypass"))
    page.keyboard.press("Control+b")
    expect(adjust.get_by_label("Bypassed")).to_have_count(0)
    adjust.locator(".snode-head").click(button="right")
    page.get_by_role("menuitem", name=re.compile("^Bypass")).click()
    expect(adjust.get_by_label("Bypassed")).to_be_visible()
    # Ctrl+M mutes
    rotate.locator(".snode-head").click()
    page.keyboard.press("Control+m")
    expect(rotate.get_by_label("Muted")).to_be_visible()
    expect(rotate).to_have_class(re.compile("mode-mute"))
    rotate.locator(".snode-head").click(button="right")
    expect(page.get_by_role("menuitem", name=re.compile("^Unmute"))).to_be_visible()
    page.keyboard.press("Escape")

    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("f")  # every node in view (the gallery dock and socket legend take room)
    page.wait_for_timeout(400)
    page.get_by_role("button", name="Run workflow").click()
    expect(resize.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(adjust.get_by_label("Status: Skipped")).to_be_visible()
    expect(adjust.get_by_label("Adjust error")).to_contain_text("BYPASSED")
    expect(rotate.get_by_label("Status: Skipped")).to_be_visible()
    expect(rotate.get_by_label("Rotate / Flip error")).to_contain_text("MUTED")
    page.get_by_role("button", name="Toggle inspector").click()
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})  # nothing selected in the picture
    page.keyboard.press("f")
    page.wait_for_timeout(400)  # the fit-view animation
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=15_000)
    page.screenshot(path=str(SCREENSHOT))
    shots("bypassed-and-muted")

    # saved with the graph, and still shown after a reload
    with api_client(live_studio) as client:
        graph = client.get(f"/api/v2/sessions/{session_id}").json()["graph"]
    modes = {n["type"]: n["mode"] for n in graph["nodes"]}
    assert modes == {"image.solid_color": "normal", "image.adjust": "bypass", "image.resize": "normal",
                     "image.rotate": "mute"}, modes
    page.reload()
    expect(node(page, "image.adjust").get_by_label("Bypassed")).to_be_visible()
    expect(node(page, "image.rotate").get_by_label("Muted")).to_be_visible()
