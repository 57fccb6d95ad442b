"""One unconnected node must not block the whole run (issue 18 item 13): the refusal names it by its title, the
canvas selects and outlines it, and "Run everything else" runs the rest and shows it skipped."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import SCREENSHOTS, expect, sign_in
from .test_canvas_fit_and_search import open_blank_session

pytestmark = pytest.mark.browser

Page = Any


def put_graph(studio: LiveStudio, session_id: str, graph: dict[str, Any]) -> None:
    with httpx.Client(base_url=studio.url) as client:
        login = client.post("/api/v2/auth/login", json={"email": studio.email, "password": studio.password})
        client.cookies.clear()  # a script, not a browser: it signs its writes with the token, not the cookie
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        version = client.get(f"/api/v2/sessions/{session_id}").json()["version"]
        r = client.put(f"/api/v2/sessions/{session_id}/flow", json={"graph": graph, "version": version})
        assert r.status_code == 200, r.text


def studio_node(node_id: str, node_type: str, x: float, y: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": y}, "params": params}


def test_an_unconnected_node_is_shown_and_the_rest_runs(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    open_blank_session(page, "Run problems")
    session_id = page.url.rsplit("/", 1)[1]
    loose = studio_node("loose", "image.adjust", 40, 320, invert=True)
    loose["title"] = "Lonely"
    put_graph(live_studio, session_id, {
        "nodes": [studio_node("c", "image.solid_color", 40, 40, width=64, height=64, color="#336699"),
                  studio_node("a", "image.adjust", 380, 40, invert=True), loose,
                  studio_node("r", "image.resize", 380, 320, width=32, height=32)],
        "edges": [{"id": "e1", "source": "c", "source_handle": "image", "target": "a", "target_handle": "image"},
                  {"id": "e2", "source": "loose", "source_handle": "image", "target": "r", "target_handle": "image"}]})
    page.reload()
    expect(page.locator(".snode")).to_have_count(4)

    page.get_by_role("button", name="Run workflow").click()
    banner = page.get_by_role("alert", name="Workflow problems")
    expect(banner).to_contain_text("\u201cLonely\u201d needs its image input 'image' connected")
    expect(banner).not_to_contain_text("loose")  # named by its title, not its internal id
    flagged = page.locator(".react-flow__node.node-problem")
    expect(flagged).to_have_count(1)
    expect(flagged).to_have_attribute("data-id", "loose")
    expect(page.locator('.react-flow__node.selected[data-id="loose"]')).to_have_count(1)
    shutil.copy(shots("unconnected-node-named-and-outlined"), SCREENSHOTS / "run-problems.png")

    banner.get_by_role("button", name="Run everything else").click()
    expect(banner).to_have_count(0)
    expect(page.get_by_role("status", name="Last run: succeeded")).to_be_visible(timeout=30_000)
    expect(flagged).to_have_count(0)
    lonely = page.get_by_label("Lonely node", exact=True)
    expect(lonely.get_by_role("status")).to_have_accessible_name("Status: Skipped")
    expect(lonely.get_by_role("alert")).to_contain_text("MISSING_INPUT")
    resize = page.locator('.react-flow__node[data-id="r"]')
    expect(resize.get_by_role("status")).to_have_accessible_name("Status: Skipped")
    expect(resize.get_by_role("alert")).to_contain_text("UPSTREAM_INCOMPLETE")
    done = page.locator('.react-flow__node[data-id="a"]').get_by_role("status")
    expect(done).to_have_accessible_name("Status: Done")
    shots("rest-ran-unconnected-skipped")
