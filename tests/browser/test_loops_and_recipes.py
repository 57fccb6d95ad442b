"""Recipes as templates, loops over a group, GPU auto-wiring and engine labels, in a real browser."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import SCREENSHOTS, Page, drag, expect, node, sign_in

pytestmark = pytest.mark.browser


def hide_toasts(page: Page) -> None:
    page.add_style_tag(content=".toasts { display: none !important; }")


def new_blank_session(page: Page, studio: LiveStudio, name: str) -> str:
    """Sign in, create a blank session and return its id (toasts hidden for clean screenshots)."""
    sign_in(page, studio)
    page.get_by_role("button", name="New session").click()
    page.get_by_label("Session name").fill(name)
    page.get_by_role("button", name="Create session").click()
    expect(page.get_by_text("Start your workflow")).to_be_visible()
    hide_toasts(page)
    return page.url.rsplit("/", 1)[1]


def palette_drop(page: Page, title: str, search: str, at: tuple[int, int]) -> None:
    """Drag a palette item onto the canvas at `at` (pane coordinates)."""
    page.get_by_label("Search nodes", exact=True).fill(search)
    item = page.get_by_role("button", name=f"Add {title} node", exact=True)
    item.drag_to(page.locator(".react-flow__pane"), target_position={"x": at[0], "y": at[1]})
    page.get_by_label("Search nodes", exact=True).fill("")


@contextmanager
def api_client(studio: LiveStudio) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=studio.url, timeout=30) as client:
        r = client.post("/api/v2/auth/login", json={"email": studio.email, "password": studio.password})
        assert r.status_code == 200, r.text
        client.cookies.clear()  # a script, not a browser: it signs its writes with the token, not the cookie
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        yield client


def test_new_session_from_recipe(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    page.get_by_role("button", name="New session").click()
    dialog = page.get_by_role("dialog", name="New session")
    expect(dialog.get_by_role("group", name="Audio recipes")).to_be_visible()
    expect(dialog.get_by_role("group", name="Utilities recipes")).to_be_visible()

    # search narrows the list; choosing a recipe shows the form generated from its input schema
    dialog.get_by_label("Search recipes").fill("overlay")
    expect(dialog.get_by_label("Music", exact=True)).to_have_count(0)
    dialog.get_by_label("Text overlay", exact=True).check()
    form = dialog.get_by_label("Inputs of Text overlay")
    expect(form.get_by_role("button", name="Pick Source image from gallery")).to_be_visible()
    expect(form.get_by_label("Position", exact=True)).to_have_value("bottom-center")

    # the server's SCHEMA_VALIDATION error lands next to the failing field
    form.get_by_label("Source image url", exact=True).fill("http://127.0.0.1:9/photo.png")
    form.get_by_label("Text", exact=True).fill("Summer sale")
    form.get_by_label("Color", exact=True).fill("red")
    form.get_by_role("button", name="Open for editing").click()
    expect(form.get_by_label("Color error")).to_contain_text("does not match")
    shots("recipe-schema-error")

    # a loopback URL is refused before anything is created, shown on the media field
    form.get_by_label("Color", exact=True).fill("#ffcc00")
    form.get_by_role("button", name="Open for editing").click()
    expect(form.locator(".has-error .field-error")).to_be_visible()
    expect(form.get_by_label("Color error")).to_have_count(0)
    shots("recipe-url-refused")

    # a recipe without media inputs opens for editing: the prepared graph is on the canvas, not run
    dialog.get_by_label("Search recipes").fill("")
    dialog.get_by_label("Music", exact=True).check()
    form = dialog.get_by_label("Inputs of Music")
    expect(form.get_by_label("Mood", exact=True)).to_have_value("calm")
    form.get_by_label("Mood", exact=True).select_option("energetic")
    dialog.get_by_label("Session name").fill("Jingle")
    shots("recipe-form")
    form.get_by_role("button", name="Open for editing").click()
    expect(page).to_have_url(re.compile(r"/studio/[0-9a-f-]{36}$"))
    music = node(page, "audio.music")
    expect(music).to_be_visible()
    expect(music).to_contain_text("energetic")
    expect(music.get_by_label(re.compile("^Status:"))).to_have_count(0)  # opened, not run
    expect(page.get_by_label("Session name")).to_have_value("Jingle")
    shots("recipe-session")


def test_loop_gpu_wiring_and_engine_label(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    session_id = new_blank_session(page, live_studio, "Color variants")

    # Solid Color -> Adjust, grouped
    palette_drop(page, "Solid Color", "solid color", (60, 60))
    palette_drop(page, "Adjust", "adjust", (380, 60))
    solid, adjust = node(page, "image.solid_color"), node(page, "image.adjust")
    drag(page, solid.get_by_label("Image output (image)"), adjust.get_by_label("Image input (image)"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 500})
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+g")
    frame = page.locator(".frame-node")
    expect(frame).to_have_count(1)

    # selecting the group offers "Add loop"; the loop node appears next to it, targeting it
    frame.click(position={"x": 12, "y": 12})
    page.get_by_role("button", name="Add loop", exact=True).click()
    loop = node(page, "loop")
    expect(loop).to_be_visible()
    expect(loop).to_contain_text("over Group · 2 nodes")
    expect(page.get_by_label("Target group")).to_have_value(re.compile("^g_"))

    # quick axis: one iteration per color, then rename them
    page.get_by_label("Add values…: node").select_option(label="Solid Color")
    page.get_by_label("Add values…: field").select_option(label="Color")
    page.get_by_role("button", name="Add values…", exact=True).click()
    page.get_by_label("Values, comma-separated").fill("#ff5a5f, #2ec4b6")
    page.get_by_role("button", name="Create iterations from values").click()
    page.get_by_label("Label of iteration 1").fill("Coral")
    page.get_by_label("Label of iteration 2").fill("Teal")
    expect(page.get_by_role("button", name="Overrides of Coral: 1")).to_be_visible()

    # a third iteration with its own override, kept but disabled
    page.get_by_role("button", name="Add iteration").click()
    page.get_by_role("button", name="Overrides of Variant 3: 0").click()
    page.get_by_label("Add override to Variant 3: node").select_option(label="Solid Color")
    page.get_by_label("Add override to Variant 3: field").select_option(label="Color")
    page.get_by_role("button", name="Add override to Variant 3", exact=True).click()
    page.locator(".override-row").get_by_label("Color", exact=True).fill("#ffbe0b")
    expect(page.get_by_role("button", name="Overrides of Variant 3: 1")).to_be_visible()
    page.get_by_label("Enable Variant 3").uncheck()
    expect(loop.get_by_label("2 of 3 iterations enabled")).to_be_visible()
    shots("loop-table")

    # run the loop: two labelled outputs on the loop node, the disabled one skipped
    page.get_by_role("button", name="Run loop").click()
    coral = loop.get_by_label("Iteration Coral", exact=True)
    teal = loop.get_by_label("Iteration Teal", exact=True)
    expect(coral.locator("img")).to_have_count(2, timeout=60_000)  # every member's output: colour and adjusted
    expect(teal.locator("img")).to_have_count(2, timeout=60_000)
    expect(loop.get_by_label("Iteration Variant 3", exact=True)).to_contain_text("Skipped")
    expect(loop.locator(".loop-cell img")).to_have_count(4)
    assert coral.locator("img").last.get_attribute("src") != teal.locator("img").last.get_attribute("src")

    with api_client(live_studio) as client:
        run = client.get("/api/v2/session/execution", headers={"X-Session-ID": session_id}).json()["run"]
        loop_id = loop.evaluate("el => el.closest('.react-flow__node').dataset.id")
        iterations = run["loops"][loop_id]
        assert [it["label"] for it in iterations] == ["Coral", "Teal"]
        outputs = [sorted(st["outputs"]["image"]["media_id"] for st in it["nodes"].values()) for it in iterations]
        assert outputs[0] != outputs[1] and all(len(o) == 2 for o in outputs)  # every member ran per iteration

    page.locator(".react-flow__pane").click(position={"x": 20, "y": 500})
    page.keyboard.press("f")
    page.wait_for_timeout(400)
    loop.locator(".snode-head").click()
    shots("loop-run")
    shutil.copy(shots.dir / f"{shots.n:02d}-loop-run.png", _readme_shot("loop.png"))

    # a GPU node is wired to the session's GPU Control node, created on first need
    expect(page.get_by_role("group", name=re.compile(r"^GPU \w+"))).to_be_visible()
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 500})
    edges_before = page.locator(".react-flow__edge").count()
    palette_drop(page, "Upscale", "upscale", (420, 540))
    upscale, control = node(page, "image.upscale"), node(page, "gpu.control")
    expect(upscale).to_have_count(1)
    expect(control).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(edges_before + 1)
    expect(upscale.get_by_label("Gpu input (gpu)")).to_have_class(re.compile("linked"))
    palette_drop(page, "Upscale", "upscale", (640, 540))
    expect(node(page, "gpu.control")).to_have_count(1)  # one per session
    expect(page.locator(".react-flow__edge")).to_have_count(edges_before + 2)
    # a duplicated GPU node is wired to it as well
    node(page, "image.upscale").nth(1).locator(".snode-head").click()
    page.keyboard.press("Control+d")
    expect(node(page, "image.upscale")).to_have_count(3)
    expect(node(page, "gpu.control")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(edges_before + 3)
    expect(node(page, "image.upscale").nth(2).get_by_label("Gpu input (gpu)")).to_have_class(re.compile("linked"))
    page.keyboard.press("Delete")  # the duplicate, selected
    expect(node(page, "image.upscale")).to_have_count(2)
    node(page, "image.upscale").nth(1).locator(".snode-head").click()
    page.keyboard.press("Delete")
    expect(node(page, "image.upscale")).to_have_count(1)

    # the classical upscaler's output is labelled with its engine, not passed off as a model
    drag(page, adjust.get_by_label("Image output (image)"), upscale.get_by_label("Image input (image)"))
    upscale.click(button="right")
    page.get_by_role("menuitem", name=re.compile("Rerun this node")).click()
    expect(upscale.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(upscale.locator(".engine-chip")).to_have_text("classical-lanczos")
    expect(upscale.locator(".ai-badge")).to_have_count(0)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 500})
    page.keyboard.press("f")
    page.wait_for_timeout(400)
    shots("gpu-wired-engine-label")

    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    with api_client(live_studio) as client:
        graph = client.get(f"/api/v2/sessions/{session_id}").json()["graph"]
    types = {n["id"]: n["type"] for n in graph["nodes"]}
    gpu_links = [e for e in graph["edges"] if types.get(e["source"]) == "gpu.control"]
    assert [(types[e["target"]], e["target_handle"]) for e in gpu_links] == [("image.upscale", "gpu")]
    loops = [n for n in graph["nodes"] if n["type"] == "loop"]
    assert len(loops) == 1
    its: list[dict[str, Any]] = loops[0]["params"]["iterations"]
    assert [(it["label"], it["enabled"]) for it in its] == [("Coral", True), ("Teal", True), ("Variant 3", False)]
    solid_id = next(i for i, t in types.items() if t == "image.solid_color")
    assert [it["overrides"] for it in its] == [{solid_id: {"color": c}} for c in ("#ff5a5f", "#2ec4b6", "#ffbe0b")]


def _readme_shot(name: str) -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
