"""The issue-3 scenario in a real browser: sign in, build Text + Upload Photo -> Text Overlay, refuse a bad link,
run, rerun one node (upstream cached), download from the gallery, regenerate the API key."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import ROOT, LiveStudio, Shots, serving

pytestmark = pytest.mark.browser

FIXTURE_IMAGE = ROOT.parent / "shared" / "fixtures" / "images" / "coffee.png"
SCREENSHOTS = ROOT / "docs" / "screenshots"

Page = Any  # playwright.sync_api.Page; kept loose so mypy does not need playwright's stubs


@pytest.fixture(scope="module")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    """This module's own studio: it starts from the first-run state ("No sessions yet"), whatever other
    browser modules did to the shared one before it."""
    with serving(tmp_path_factory.mktemp("canvas-studio")) as studio:
        yield studio


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(target)


def sign_in(page: Page, studio: LiveStudio) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to your studio")).to_be_visible()
    page.get_by_label("Email").fill(studio.email)
    page.get_by_label("Password").fill(studio.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()


def node(page: Page, node_type: str) -> Any:
    return page.locator(f'.snode[data-node-type="{node_type}"]')


def drag(page: Page, source: Any, target: Any, *, release: bool = True) -> None:
    a = source.bounding_box()
    b = target.bounding_box()
    assert a and b
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + 40, a["y"] + 10, steps=4)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    if release:
        page.mouse.up()


def add_from_palette(page: Page, title: str, search: str, at: tuple[int, int]) -> None:
    """Drag a palette item onto the canvas at `at` (page coordinates)."""
    page.get_by_label("Search nodes", exact=True).fill(search)
    item = page.get_by_role("button", name=f"Add {title} node")
    item.drag_to(page.locator(".react-flow__pane"), target_position={"x": at[0], "y": at[1]})


def test_build_run_rerun_gallery_and_api_key(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    # 1. sign in and create a session from Blank workflow
    sign_in(page, live_studio)
    expect(page.get_by_text("No sessions yet")).to_be_visible()
    shots("sessions-empty")
    page.get_by_role("button", name="New session").click()
    page.get_by_label("Session name").fill("Summer campaign")
    page.get_by_label("Blank workflow").check()
    shots("new-session-dialog")
    page.get_by_role("button", name="Create session").click()
    expect(page).to_have_url(re.compile(r"/studio/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Start your workflow")).to_be_visible()
    expect(page.get_by_label("Socket types").first).to_be_visible()
    shots("empty-canvas")

    # 2. add Text (palette drag), Upload Photo (palette drag) and Text Overlay (double-click search)
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    add_from_palette(page, "Text", "text", (40, 30))
    expect(node(page, "text")).to_be_visible()
    add_from_palette(page, "Upload Photo", "upload photo", (40, 250))
    expect(node(page, "upload.image")).to_be_visible()
    page.get_by_label("Search nodes", exact=True).fill("")
    page.mouse.dblclick(pane["x"] + 400, pane["y"] + 120)
    page.get_by_label("Search nodes to add").fill("text overlay image")
    page.keyboard.press("Enter")
    overlay = node(page, "image.text_overlay")
    expect(overlay).to_be_visible()
    expect(overlay.get_by_label("Image is required and not connected")).to_be_visible()
    shots("three-nodes")

    # 3. upload a photo into the Upload Photo node (the node grows around it)
    upload = node(page, "upload.image")
    before = upload.bounding_box()
    upload.locator('input[type="file"]').set_input_files(str(FIXTURE_IMAGE))
    expect(upload.locator(".upload-items img")).to_have_count(1)
    after = upload.bounding_box()
    assert before and after and after["height"] > before["height"]

    # 4. the Text node's text, from the Inspector
    node(page, "text").locator(".snode-head").click()
    page.get_by_role("textbox", name="Text", exact=True).fill("Summer sale")
    expect(node(page, "text")).to_contain_text("Summer sale")

    # 5. an incompatible link is refused while dragging, with the reason
    text_out = node(page, "text").get_by_label("Text output (text)")
    drag(page, text_out, overlay.get_by_label("Image input (image)"), release=False)
    refusal = page.locator(".link-refusal")
    expect(refusal).to_contain_text("text output cannot connect to image input")
    shots("incompatible-link-refused")
    page.mouse.up()
    expect(page.get_by_text("Link refused: text output cannot connect to image input")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(0)

    # 6. compatible links
    drag(page, text_out, overlay.get_by_label("Text input (text)"))
    drag(page, upload.get_by_label("Image output (image)"), overlay.get_by_label("Image input (image)"))
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    expect(overlay.get_by_label("Image is required and not connected")).to_have_count(0)
    shots("connected")

    page.add_style_tag(content=".toasts { display: none !important; }")  # clean screenshots from here on

    # 7. run the workflow; live state comes over SSE; the output preview appears on the node
    page.get_by_role("button", name="Run workflow").click()
    expect(overlay.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(overlay.locator(".node-outputs img")).to_be_visible()
    expect(node(page, "upload.image").get_by_label("Status: Done")).to_be_visible()
    page.locator(".react-flow__pane").click(position={"x": 700, "y": 560})
    shots("run-finished")
    shutil.copy(shots.dir / f"{shots.n:02d}-run-finished.png", _readme_shot("canvas-run.png"))

    # 8. change one parameter of the overlay and rerun only that node: upstream nodes come from the cache
    overlay.locator(".snode-head").click()
    expect(page.get_by_label("Node title")).to_have_attribute("placeholder", re.compile("Text Overlay"))
    page.get_by_label("Position", exact=True).select_option("top-center")
    overlay.click(button="right")
    page.get_by_role("menuitem", name=re.compile("Rerun this node")).click()
    expect(node(page, "upload.image").get_by_label("Status: Cached")).to_be_visible(timeout=30_000)
    expect(node(page, "text").get_by_label("Status: Cached")).to_be_visible()
    expect(overlay.get_by_label("Status: Done")).to_be_visible(timeout=60_000)
    expect(page.get_by_label("Inputs", exact=True)).to_contain_text("Text")
    shots("rerun-one-node")
    shutil.copy(shots.dir / f"{shots.n:02d}-rerun-one-node.png", _readme_shot("inspector-rerun.png"))

    # 9. autosave has stored the graph with its links
    expect(page.get_by_label("Save state: Saved")).to_be_visible()

    # 10. the gallery lists the media by session; download one and a zip
    page.get_by_role("button", name="Open My Gallery").click()
    expect(page.get_by_role("heading", name="My Gallery")).to_be_visible()
    page.get_by_role("button", name="Show Images").click()
    section = page.get_by_role("region", name="Media of Summer campaign")
    expect(section.locator(".media-card").first).to_be_visible()
    shots("gallery")
    shutil.copy(shots.dir / f"{shots.n:02d}-gallery.png", _readme_shot("gallery.png"))
    with page.expect_download() as info:
        section.get_by_role("link", name=re.compile("^Download ")).first.click()
    download = info.value
    assert download.suggested_filename.endswith((".png", ".jpg", ".jpeg", ".webp"))
    assert Path(download.path()).stat().st_size > 100
    section.locator(".media-check").first.check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download selected as zip").click()
    assert info.value.suggested_filename == "media.zip"

    # 11. regenerate the API key: the full secret is shown once, with a copy button
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("tab", name="API Key").click()
    expect(page.get_by_label("API key prefix")).to_be_visible()
    page.get_by_role("button", name="Regenerate API key").click()
    page.get_by_role("button", name="Confirm regenerate").click()
    secret = page.get_by_label("New API key secret")
    expect(secret).to_have_value(re.compile(r"^mas_"))
    key = secret.input_value()
    page.get_by_role("button", name="Copy API key").click()
    expect(page.get_by_role("button", name="Copy API key")).to_have_text("Copied ✓")
    expect(page.get_by_label("API key prefix")).to_contain_text(key[:8])
    expect(page.get_by_label("Enable API access")).to_be_checked()
    shots("api-key")
    r = httpx.get(f"{live_studio.url}/api/v2/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["email"] == live_studio.email


def test_undo_copy_paste_group_and_conflict(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    page.get_by_role("button", name="New session").click()
    page.get_by_label("Session name").fill("Editing")
    page.get_by_role("button", name="Create session").click()
    expect(page.get_by_text("Start your workflow")).to_be_visible()

    # add, undo, redo
    page.get_by_role("button", name="Add Solid Color node").click()
    expect(node(page, "image.solid_color")).to_have_count(1)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    expect(node(page, "image.solid_color")).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    expect(node(page, "image.solid_color")).to_have_count(1)

    # copy/paste and duplicate
    node(page, "image.solid_color").locator(".snode-head").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(node(page, "image.solid_color")).to_have_count(2)
    page.keyboard.press("Control+d")
    expect(node(page, "image.solid_color")).to_have_count(3)

    # select all and group; the shortcuts help opens with ?
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+g")
    expect(page.locator(".frame-node")).to_have_count(1)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    shots("shortcuts-help")
    page.keyboard.press("Escape")
    expect(page.get_by_label("Save state: Saved")).to_be_visible()

    # another writer saves first: the page takes that version (at once from the event stream when nothing is
    # unsaved, else after its refused save, re-applying its own edits): the node added here is there once
    session_id = page.url.rsplit("/", 1)[1]
    with httpx.Client(base_url=live_studio.url) as client:
        login = client.post("/api/v2/auth/login", json={"email": live_studio.email, "password": live_studio.password})
        client.cookies.clear()  # a script, not a browser: it signs its writes with the token, not the cookie
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        doc = client.get(f"/api/v2/sessions/{session_id}").json()
        r = client.put(f"/api/v2/sessions/{session_id}/flow", json={"graph": doc["graph"], "version": doc["version"]})
        assert r.status_code == 200
        page.get_by_role("button", name="Add Solid Color node").click()
        expect(node(page, "image.solid_color")).to_have_count(4)
        expect(page.get_by_label("Save state: Saved")).to_be_visible()
        shots("after-other-writer")
        deadline = time.monotonic() + 15
        while True:  # the page's save of the added node may still be on its way
            saved = client.get(f"/api/v2/sessions/{session_id}").json()
            count = sum(n["type"] == "image.solid_color" for n in saved["graph"]["nodes"])
            if count == 4 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert count == 4, saved["graph"]["nodes"]


def _readme_shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
