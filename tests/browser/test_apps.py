"""Publishing an app from the canvas in a browser: the publish-as-app dialog (inputs with their types and
labels, the outputs returned, visibility), then the Apps page lists it with its id, inputs and runs; a
Magnific client runs it by that id with a key made on that page."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import Page, expect, sign_in
from .test_loops_and_recipes import api_client, hide_toasts

pytestmark = pytest.mark.browser


def test_publish_an_app_from_the_canvas_and_run_it(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    with api_client(live_studio) as client:
        session = client.post("/api/v2/sessions", json={"name": "Swatch maker"}).json()
        graph = {"nodes": [
            {"id": "swatch", "type": "image.solid_color", "position": {"x": 0, "y": 0},
             "params": {"width": 24, "height": 16, "color": "#336699"}},
            {"id": "flip", "type": "image.adjust", "position": {"x": 320, "y": 0}, "params": {"invert": True}}],
            "edges": [{"id": "e1", "source": "swatch", "source_handle": "image", "target": "flip",
                       "target_handle": "image"}]}
        r = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": session["version"]})
        assert r.status_code == 200, r.text
    sign_in(page, live_studio)
    hide_toasts(page)
    page.goto(f"/studio/{session['id']}")
    page.get_by_role("button", name="Publish as app").click()
    dialog = page.get_by_role("dialog", name="Publish as app")
    dialog.get_by_label("App name").fill("Swatch app")
    dialog.get_by_label("App description").fill("A colour swatch, inverted")
    dialog.get_by_label("App input from Solid Color Color", exact=True).check()
    dialog.get_by_label("Label for Solid Color Color").fill("Swatch colour")
    dialog.get_by_label("App input from Solid Color Width", exact=True).check()
    dialog.get_by_label("Required: Solid Color Width").uncheck()  # the saved width when a run sends none
    dialog.get_by_label("App visibility").select_option("team")
    dialog.get_by_role("button", name="Publish app").click()
    expect(dialog.get_by_role("alert")).to_contain_text("at least one output")  # nothing returned yet
    dialog.get_by_label("Return Adjust").check()
    dialog.get_by_label("Return Solid Color").check()
    shots("publish-app-dialog")
    dialog.get_by_role("button", name="Publish app").click()
    expect(dialog).to_have_count(0)

    # The Apps page: the app with its id, inputs and (no) runs yet.
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()
    card = page.get_by_role("listitem", name="App Swatch app")
    expect(card).to_contain_text("team")
    expect(card).to_contain_text("2 outputs")
    app_id = card.get_by_label("Id of Swatch app").inner_text()
    assert re.fullmatch(r"[0-9A-Za-z]{10}", app_id), app_id
    inputs = card.get_by_role("table", name="Inputs of Swatch app")
    expect(inputs).to_contain_text("Swatch colour")
    expect(inputs).to_contain_text("number")
    color_id = inputs.locator("tr", has_text="Swatch colour").locator("td").first.inner_text()
    assert re.fullmatch(r"input-[0-9a-f-]{36}-\d", color_id), color_id
    expect(card.get_by_role("table", name="Runs of Swatch app")).to_contain_text("0")
    shots("apps-page")

    # A key from the Apps page runs it over the Magnific door; the page then counts the run.
    page.get_by_role("button", name="Create a Magnific API key").click()
    key = page.get_by_label("New Magnific API key secret").input_value()
    assert key.startswith("mgn_")
    headers = {"X-Magnific-Api-Key": key}
    r = httpx.post(f"{live_studio.url}/v1/ai/apps/{app_id}/run", headers=headers,
                   json={"inputs": {color_id: "#ff8800"}})
    assert r.status_code == 200, r.text
    run_id = r.json()["data"]["run_id"]
    deadline = time.monotonic() + 60
    while (data := httpx.get(f"{live_studio.url}/v1/ai/apps/runs/{run_id}", headers=headers).json()["data"])[
            "status"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline, data
        time.sleep(0.2)
    assert data["status"] == "COMPLETED" and len(data["outputs"]) == 2, data
    page.reload()
    runs = page.get_by_role("listitem", name="App Swatch app").get_by_role("table", name="Runs of Swatch app")
    expect(runs.locator("td").first).to_have_text("1")
    shots("apps-page-after-a-run")

    # The owner opens it to everyone on the studio from the page.
    page.get_by_label("Who may use Swatch app").select_option("everyone")
    expect(page.get_by_role("listitem", name="App Swatch app")).to_contain_text("everyone")
    with api_client(live_studio) as client:
        assert client.get(f"/api/v2/apps/{app_id}").json()["visibility"] == "everyone"
