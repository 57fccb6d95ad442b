"""Stored outputs after a reload (GET /session/outputs), outdated outputs (issue 18, item 5), linked parameters
and publishing a recipe, in a browser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import ROOT, LiveStudio, Shots
from .test_canvas import Page, drag, expect, node
from .test_loops_and_recipes import api_client, hide_toasts, new_blank_session, palette_drop

pytestmark = pytest.mark.browser

OUTPUTS = "/api/v2/session/outputs"


def node_id(locator: Any) -> str:
    found: str = locator.evaluate("el => el.closest('.react-flow__node').dataset.id")
    return found


def reload_studio(page: Page) -> dict[str, Any]:
    """Reload the studio page; the answer of GET /session/outputs it asked for."""
    with page.expect_response(lambda r: OUTPUTS in r.url and r.request.method == "GET") as info:
        page.reload()
    assert info.value.ok
    hide_toasts(page)
    answer: dict[str, Any] = info.value.json()
    return answer


def rerun(page: Page, target: Any) -> None:
    target.click(button="right")
    page.get_by_role("menuitem", name=re.compile("Rerun this node")).click()


def test_saved_outputs_reload_and_publish(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    session_id = new_blank_session(page, live_studio, "Saved outputs")

    # Solid Color -> Text Overlay (Image), its text fed by a Text node
    palette_drop(page, "Solid Color", "solid color", (60, 40))
    palette_drop(page, "Text", "text", (60, 330))
    palette_drop(page, "Text Overlay (Image)", "text overlay image", (440, 120))
    solid, text, overlay = node(page, "image.solid_color"), node(page, "text"), node(page, "image.text_overlay")
    expect(overlay).to_contain_text("Empty — write it in the Inspector")
    drag(page, solid.get_by_label("Image output (image)"), overlay.get_by_label("Image input (image)"))
    drag(page, text.get_by_label("Text output (text)"), overlay.get_by_label("Text input (text)"))
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    text.locator(".snode-head").click()
    page.get_by_role("textbox", name="Text", exact=True).fill("Hello")

    # a parameter replaced by a linked input says so, instead of "Empty — write it in the Inspector"
    expect(overlay.get_by_label("Text comes from the link")).to_have_text("← from link")
    expect(overlay).not_to_contain_text("Empty — write it in the Inspector")
    overlay.locator(".snode-head").click()
    expect(page.get_by_label("Inspector").get_by_label("Text comes from the link")).to_be_visible()
    ids = {"solid": node_id(solid), "text": node_id(text), "overlay": node_id(overlay)}

    # run everything, then rerun Solid Color alone: the latest run no longer holds the overlay
    page.get_by_role("button", name="Run workflow").click()
    expect(overlay.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(overlay.locator(".node-outputs img")).to_be_visible()
    rerun(page, solid)
    expect(solid.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(page.get_by_label("Last run: succeeded")).to_be_visible()
    with api_client(live_studio) as client:
        latest = client.get("/api/v2/session/execution", headers={"X-Session-ID": session_id}).json()["run"]
    assert latest["status"] == "succeeded" and ids["overlay"] not in latest["nodes"], latest

    # after a reload, both outputs are on the canvas: the overlay's from /session/outputs only
    answer = reload_studio(page)
    assert {ids["solid"], ids["overlay"]} <= set(answer["nodes"]), answer
    expect(solid.locator(".node-outputs img")).to_be_visible()
    expect(overlay.locator(".node-outputs img")).to_be_visible()
    expect(overlay.get_by_label(re.compile("^Status:"))).to_have_count(0)  # shown, not part of the latest run
    expect(overlay.get_by_label("Text comes from the link")).to_be_visible()
    shots("outputs-after-reload")

    # rerun the overlay (now in the latest run), then change one of its parameters and save
    rerun(page, overlay)
    expect(overlay.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(solid.get_by_label("Status: Cached")).to_be_visible()
    overlay.locator(".snode-head").click()
    page.get_by_label("Position", exact=True).select_option("top-center")
    # at once, before any save: the old output stays, dimmed and labelled outdated, never "Done"
    expect(overlay.get_by_label("Status: Outdated")).to_be_visible()
    expect(overlay.locator(".node-preview.outdated img")).to_be_visible()
    expect(overlay.get_by_label("Status: Done")).to_have_count(0)
    expect(solid.get_by_label("Status: Cached")).to_be_visible()  # upstream of the change: still current
    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    expect(overlay.get_by_label("Status: Outdated")).to_be_visible()  # the server's signatures agree
    shots("outdated-live")
    with api_client(live_studio) as client:
        latest = client.get("/api/v2/session/execution", headers={"X-Session-ID": session_id}).json()["run"]
    assert latest["nodes"][ids["overlay"]]["outputs"]["image"]["media_id"]  # the latest run has the now-stale output

    # after a reload: the same outdated output, the Solid Color's still current
    answer = reload_studio(page)
    assert ids["solid"] in answer["nodes"] and ids["overlay"] not in answer["nodes"], answer
    expect(solid.locator(".node-outputs img")).to_be_visible()
    expect(overlay.get_by_label("Status: Outdated")).to_be_visible()
    expect(overlay.locator(".node-preview.outdated img")).to_be_visible()
    overlay.locator(".snode-head").click()
    expect(page.get_by_label("Position", exact=True)).to_have_value("top-center")
    expect(page.get_by_label("Latest outputs")).to_contain_text("outdated")
    shots("outdated-after-reload")
    page.screenshot(path=str(ROOT / "docs" / "screenshots" / "canvas-outdated-output.png"))

    # an upstream change makes everything below it outdated; a run makes it all current again
    solid.locator(".snode-head").click()
    page.get_by_label("Width", exact=True).fill("300")
    expect(solid.get_by_label("Status: Outdated")).to_be_visible()
    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    page.get_by_role("button", name="Run workflow").click()
    expect(overlay.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(solid.get_by_label("Status: Done")).to_be_visible()
    expect(page.locator(".node-preview.outdated")).to_have_count(0)

    # publish the session as a recipe with one input: the Solid Color's color
    page.get_by_role("button", name="Publish as recipe").click()
    dialog = page.get_by_role("dialog", name="Publish as recipe")
    dialog.get_by_label("Recipe name").fill("Caption card")
    dialog.get_by_label("Recipe id").fill("caption-card")
    dialog.get_by_label("Recipe description").fill("A colored card with a caption")
    dialog.get_by_label("Input from Solid Color Color", exact=True).check()
    expect(dialog.get_by_label("Input name for Solid Color Color")).to_have_value("color")
    shots("publish-dialog")
    dialog.get_by_role("button", name="Publish recipe").click()
    expect(dialog).to_have_count(0)

    # the new-session dialog lists it among the published recipes, with its one input
    page.get_by_role("button", name="Back to sessions").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    page.get_by_role("button", name="New session").click()
    new = page.get_by_role("dialog", name="New session")
    published = new.get_by_role("group", name="Published recipes")
    expect(published.get_by_label("Caption card", exact=True)).to_be_visible()
    published.get_by_label("Caption card", exact=True).check()
    form = new.get_by_label("Inputs of Caption card")
    expect(form.get_by_label("Color", exact=True)).to_be_visible()
    shots("published-recipe-listed")
