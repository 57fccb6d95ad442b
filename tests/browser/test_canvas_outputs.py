"""Issue 18, items 4 and 14: outputs never make a node grow over its neighbours, recipe graphs open without
overlaps, a missed link drop says why, a run logs no 404 and its "Running …" toast ends with it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, LiveStudio, Shots
from .test_canvas import Page, drag, expect, node, sign_in
from .test_canvas_fit_and_search import open_blank_session
from .test_loops_and_recipes import api_client, hide_toasts, new_blank_session, palette_drop

pytestmark = pytest.mark.browser

RECIPES = ROOT / "src" / "miniaistudio" / "recipes"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def box_of(locator: Any) -> dict[str, float]:
    box: dict[str, float] | None = locator.bounding_box()
    assert box, "the node is not on screen"
    return box


def watch_not_found(page: Page) -> list[str]:
    """Every 404 the page meets: answers and the console's failed loads."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status == 404 else None)
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" and "404" in m.text else None)
    return seen


def test_outputs_stay_in_a_preview_of_fixed_size(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    not_found = watch_not_found(page)
    new_blank_session(page, live_studio, "Bounded previews")
    palette_drop(page, "Solid Color", "solid color", (60, 40))
    palette_drop(page, "Adjust", "adjust", (380, 40))
    solid, adjust = node(page, "image.solid_color"), node(page, "image.adjust")
    drag(page, solid.get_by_label("Image output (image)"), adjust.get_by_label("Image input (image)"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    solid.locator(".snode-head").click()
    page.get_by_label("Height", exact=True).fill("1024")  # a tall image: before, the node grew by its preview
    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    expect(adjust.get_by_text("No output yet")).to_be_visible()
    before = {"solid": box_of(solid), "adjust": box_of(adjust)}

    for _ in range(2):  # the second run: cached, the same node sizes, no 404 either
        page.get_by_role("button", name="Run workflow").click()
        expect(adjust.get_by_label(re.compile("^Status: (Done|Cached)$"))).to_be_visible(timeout=60_000)
        expect(adjust.locator(".node-preview img")).to_be_visible()
        after = {"solid": box_of(solid), "adjust": box_of(adjust)}
        for name in before:
            assert abs(after[name]["height"] - before[name]["height"]) < 1, (name, before[name], after[name])
            assert abs(after[name]["width"] - before[name]["width"]) < 1, (name, before[name], after[name])
    preview = adjust.locator(".node-preview").bounding_box()
    assert preview and preview["height"] <= 140, preview
    shots("bounded-preview")
    page.screenshot(path=str(SCREENSHOTS / "canvas-bounded-preview.png"))

    # a click opens the output at full size
    adjust.get_by_role("button", name="Enlarge the output of Adjust").click()
    lightbox = page.get_by_role("dialog", name="Adjust: output")
    expect(lightbox.locator("img")).to_be_visible()
    large = lightbox.locator("img").bounding_box()
    assert large and large["height"] > 200, large
    shots("lightbox")
    page.screenshot(path=str(SCREENSHOTS / "canvas-output-lightbox.png"))
    lightbox.get_by_role("button", name="Close dialog").click()
    expect(lightbox).to_have_count(0)
    page.wait_for_timeout(500)  # late loads of the previews
    assert not not_found, not_found


def test_a_missed_link_drop_says_why(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    open_blank_session(page, "Missed drops")  # toasts shown: this test reads them
    palette_drop(page, "Solid Color", "solid color", (60, 40))
    palette_drop(page, "Adjust", "adjust", (420, 40))
    solid, adjust = node(page, "image.solid_color"), node(page, "image.adjust")
    out = solid.get_by_label("Image output (image)")

    # on the empty canvas
    pane = box_of(page.locator(".react-flow__pane"))
    start = box_of(out)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(pane["x"] + 300, pane["y"] + 420, steps=8)
    page.mouse.up()
    expect(page.get_by_role("status").filter(has_text="dropped on the empty canvas")).to_be_visible()

    # on the body of a node, away from its sockets
    body = box_of(adjust.locator(".node-preview"))
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(body["x"] + body["width"] / 2, body["y"] + body["height"] / 2, steps=8)
    page.mouse.up()
    hint = page.get_by_role("status").filter(has_text="drop it on the socket of Adjust")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("“Image”")
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    shots("missed-drop")
    page.screenshot(path=str(SCREENSHOTS / "canvas-missed-link-drop.png"))


def make_media(tmp: Path) -> dict[str, Path]:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed"
    files = {"image": tmp / "in.png", "video": tmp / "in.mp4", "audio": tmp / "in.wav"}
    quiet = [ffmpeg, "-y", "-v", "error", "-f", "lavfi", "-i"]
    subprocess.run([*quiet, "color=c=#3366aa:s=96x64", "-frames:v", "1", str(files["image"])], check=True)
    subprocess.run([*quiet, "testsrc=duration=1:size=96x64:rate=10", "-pix_fmt", "yuv420p", str(files["video"])],
                   check=True)
    subprocess.run([*quiet, "sine=frequency=440:duration=1", str(files["audio"])], check=True)
    return files


def recipe_inputs(recipe: dict[str, Any], media: dict[str, str]) -> dict[str, Any]:
    schema, bindings = recipe["input_schema"], recipe.get("bindings", {})
    inputs: dict[str, Any] = {}
    for name in schema.get("required", []):
        kinds = [b.get("media") for b in bindings.get(name, []) if b.get("media")]
        inputs[name] = media[kinds[0]] if kinds else "a red bicycle by the sea"
    return inputs


def test_recipe_graphs_open_without_overlaps(page: Page, live_studio: LiveStudio, tmp_path: Path) -> None:
    sessions: dict[str, str] = {}
    with api_client(live_studio) as client:
        media = {}
        for kind, path in make_media(tmp_path).items():
            with path.open("rb") as fh:
                r = client.post("/api/v2/media/upload", files={"file": (path.name, fh)})
            assert r.status_code == 201, r.text
            media[kind] = r.json()["id"]
        for file in sorted(RECIPES.glob("*.json")):
            recipe = json.loads(file.read_text())
            r = client.post(f"/api/v2/recipes/{recipe['id']}/run",
                            json={"execute": False, "session_name": f"Layout {recipe['id']}",
                                  "inputs": recipe_inputs(recipe, media)})
            assert r.status_code in (200, 201), (recipe["id"], r.text)
            sessions[recipe["id"]] = r.json()["session_id"]
    assert len(sessions) >= 20

    sign_in(page, live_studio)
    hide_toasts(page)
    for recipe_id, session_id in sessions.items():
        page.goto(f"/studio/{session_id}")
        cards = page.locator(".react-flow__node-studio")
        expect(cards.first).to_be_visible()
        expect(page.get_by_label("Save state: Saved")).to_be_visible()
        page.wait_for_timeout(150)  # the layout pass runs once the nodes are measured
        boxes = [box_of(cards.nth(i)) for i in range(cards.count())]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                overlap = (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                           and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
                assert not overlap, (recipe_id, a, b)
        if recipe_id == "virtual_staging":
            page.screenshot(path=str(SCREENSHOTS / "canvas-recipe-layout.png"))


def test_the_running_toast_ends_with_a_failed_run(page: Page, live_studio: LiveStudio, tmp_path: Path,
                                                  shots: Shots) -> None:
    with api_client(live_studio) as client, make_media(tmp_path)["video"].open("rb") as fh:
        r = client.post("/api/v2/media/upload", files={"file": ("clip.mp4", fh)})
        assert r.status_code == 201, r.text
        video_id = r.json()["id"]
    not_found = watch_not_found(page)
    sign_in(page, live_studio)
    page.get_by_role("button", name="New session").click()
    dialog = page.get_by_role("dialog", name="New session")
    dialog.get_by_label("Search recipes").fill("trim")
    dialog.get_by_label("Trim", exact=True).check()
    form = dialog.get_by_label("Inputs of Trim")
    form.get_by_label("Source video url", exact=True).fill(video_id)
    start = form.get_by_label(re.compile(r"^Start( value)?$")).last
    start.fill("500")  # past the end of a 1 s clip: the run fails
    start.press("Tab")
    form.get_by_role("button", name="Create and run").click()
    expect(page).to_have_url(re.compile(r"/studio/[0-9a-f-]{36}$"))
    expect(page.get_by_label("Last run: failed")).to_be_visible(timeout=30_000)
    toasts = page.locator(".toasts")
    expect(toasts.get_by_text(re.compile("^Running "))).to_have_count(0)
    expect(toasts.get_by_role("alert").filter(has_text="Run failed")).to_be_visible()
    shots("run-failed-toast")
    page.screenshot(path=str(SCREENSHOTS / "canvas-run-failed-toast.png"))
    assert not not_found, not_found
