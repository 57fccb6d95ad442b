"""The Models page: what is installed (kind, size, credits), import from the server's import folder and remove
(admins only); a node that needs a kind of model none is installed of says so in the palette before it is added."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace

import pytest

from .conftest import PASSWORD, LiveStudio, _cli, serving
from .test_canvas import SCREENSHOTS, Page, expect, sign_in
from .test_canvas_fit_and_search import open_blank_session

pytestmark = pytest.mark.browser

ADMIN = "models-admin@example.com"


@pytest.fixture(scope="module")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    """This module's own studio (it installs and removes models), with an admin and a filled import folder."""
    data = tmp_path_factory.mktemp("models-studio")
    imports = data / "imports"
    sd = imports / "tiny-sd"  # detection reads model_index.json; the files are copied and hashed, never loaded
    sd.mkdir(parents=True)
    (sd / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    (sd / "unet").mkdir()
    (sd / "unet" / "weights.bin").write_bytes(b"\0" * 4096)
    (imports / "notes.txt").write_text("not a model")
    with serving(data) as studio:
        env = {**os.environ, "MINIAI_SECRET_KEY": "browser-test-secret-key-0123456789abcdef"}
        subprocess.run([_cli(), "users", "create", "--email", ADMIN, "--password", PASSWORD, "--admin",
                        "--data-dir", str(data)], env=env, check=True, capture_output=True)
        yield studio


def palette_item(page: Page, title: str) -> object:
    page.get_by_label("Search nodes", exact=True).fill(title)
    return page.get_by_role("button", name=f"Add {title} node")


def test_admin_imports_and_removes_and_the_palette_follows(page: Page, live_studio: LiveStudio) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, replace(live_studio, email=ADMIN))
    open_blank_session(page, "Models and the palette")
    generate = palette_item(page, "Image Generation")
    expect(generate.locator(".model-missing")).to_have_text("no model")
    expect(generate.locator(".model-missing")).to_have_attribute("aria-label", re.compile("No text to image model"))
    expect(palette_item(page, "Upscale").locator(".model-missing")).to_have_count(0)  # it has a classical engine
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    page.mouse.dblclick(pane["x"] + 300, pane["y"] + 200)
    page.get_by_label("Search nodes to add").fill("image generation")
    first = page.get_by_role("listbox", name="Matching nodes").get_by_role("button").first
    expect(first).to_have_accessible_name("Add Image Generation")
    expect(first.locator(".model-missing")).to_have_text("no model")  # in quick-add too, before it is added
    page.keyboard.press("Escape")
    url = page.url

    page.goto("/models")
    expect(page.get_by_text("No models installed yet")).to_be_visible()
    folder = page.get_by_role("table", name="Importable models")
    expect(folder.get_by_role("row", name="Importable notes.txt")).to_contain_text("cannot tell what notes.txt is")
    expect(folder.get_by_role("button", name="Import notes.txt")).to_be_disabled()
    row = folder.get_by_role("row", name="Importable tiny-sd")
    expect(row).to_contain_text("text to image · diffusers")
    row.get_by_label("Credits a run for tiny-sd").fill("2")
    row.get_by_role("button", name="Import tiny-sd").click()
    installed = page.get_by_role("table", name="Installed models")
    model = installed.get_by_role("row", name=re.compile("^Model "))
    expect(model).to_have_count(1)
    expect(model).to_contain_text("text to image")
    expect(model).to_contain_text("4 KB")
    expect(model.locator("td.num").last).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "models-page.png"))

    page.goto(url)
    generate = palette_item(page, "Image Generation")
    expect(generate).to_be_visible()
    expect(generate.locator(".model-missing")).to_have_count(0)
    expect(palette_item(page, "Depth Map").locator(".model-missing")).to_have_count(1)

    page.goto("/models")
    page.get_by_role("button", name=re.compile("^Remove ")).click()
    page.get_by_role("button", name=re.compile("^Confirm removing ")).click()
    expect(page.get_by_text("No models installed yet")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_members_see_the_models_but_cannot_manage_them(page: Page, live_studio: LiveStudio, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_studio)
    page.get_by_role("link", name="Models").click()
    expect(page.get_by_role("heading", name="Models")).to_be_visible()
    expect(page.get_by_text("Only admins install or remove models.")).to_be_visible()
    expect(page.get_by_role("table", name="Importable models")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Remove "))).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.evaluate("el => el.scrollWidth <= el.clientWidth"), "the main navigation overflows"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
