"""The gallery beside the canvas: files dropped from the computer make the right upload node, gallery items
dragged onto the canvas or onto an upload node feed it, and the lightbox shows how an item was made, compares
two images, filters by day and deletes."""

from __future__ import annotations

import base64
import io
import re
import wave
from typing import Any

import pytest

from .conftest import LiveStudio
from .test_canvas import FIXTURE_IMAGE, SCREENSHOTS, Page, expect, node, sign_in
from .test_canvas_fit_and_search import open_blank_session

pytestmark = pytest.mark.browser

WIDTHS = [1280, 1440, 1920]


def tiny_wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 4000)
    return out.getvalue()


def drop_files(page: Page, files: list[tuple[str, str, bytes]], at: tuple[float, float],
               on: str = ".react-flow__pane") -> None:
    """Drop files from the computer at page coordinates `at` (as a desktop file manager would)."""
    payload = [{"name": n, "mime": m, "b64": base64.b64encode(b).decode()} for n, m, b in files]
    dt = page.evaluate_handle(
        """(files) => { const dt = new DataTransfer();
             for (const f of files) {
               const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
               dt.items.add(new File([bytes], f.name, { type: f.mime }));
             }
             return dt; }""",
        payload,
    )
    init = {"dataTransfer": dt, "clientX": at[0], "clientY": at[1], "bubbles": True, "cancelable": True}
    page.locator(on).first.dispatch_event("dragover", init)
    page.locator(on).first.dispatch_event("drop", init)


def pane_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = page.locator(".react-flow__pane").bounding_box()
    assert box
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def open_gallery(page: Page) -> Any:
    page.get_by_role("tab", name="Gallery tab").click()
    panel = page.get_by_role("complementary", name="Gallery panel")
    panel.get_by_label("Only this session").check()
    return panel


@pytest.mark.parametrize("width", WIDTHS)
def test_drop_files_and_drag_gallery_items_onto_the_canvas(page: Page, live_studio: LiveStudio, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_studio)
    open_blank_session(page, f"Drag and drop at {width}")

    # files from the computer: one upload node per kind, uploaded
    drop_files(page, [("coffee.png", "image/png", FIXTURE_IMAGE.read_bytes()), ("beep.wav", "audio/wav", tiny_wav())],
               pane_point(page, 0.15, 0.2))
    photo, audio = node(page, "upload.image"), node(page, "upload.audio")
    expect(photo).to_have_count(1)
    expect(audio).to_have_count(1)
    expect(photo.locator(".upload-items li")).to_have_count(1, timeout=20_000)
    expect(audio.locator(".upload-items li")).to_have_count(1)
    # a file that is no media says so and makes nothing
    drop_files(page, [("notes.txt", "text/plain", b"hello")], pane_point(page, 0.6, 0.7))
    expect(page.get_by_text("Not an image, video or audio file: notes.txt")).to_be_visible()

    panel = open_gallery(page)
    items = panel.get_by_role("button", name=re.compile("^Gallery item "))
    expect(items).to_have_count(2)
    expect(panel.get_by_role("button", name="Gallery item coffee")).to_be_visible()
    assert panel.evaluate("el => el.scrollWidth <= el.clientWidth"), "the gallery panel scrolls sideways"

    # a gallery item dropped on an empty spot: a new Upload Photo with that media
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    panel.get_by_role("button", name="Gallery item coffee").drag_to(
        page.locator(".react-flow__pane"), target_position={"x": pane["width"] * 0.2, "y": pane["height"] * 0.8})
    expect(photo).to_have_count(2)
    expect(photo.nth(1).locator(".upload-items li")).to_have_count(1)
    # onto an existing upload node of its kind: added there
    panel.get_by_role("button", name="Gallery item coffee").drag_to(photo.first.locator(".snode-head"))
    expect(photo.first.locator(".upload-items li")).to_have_count(2)
    # onto a node of another kind: refused with the reason
    panel.get_by_role("button", name="Gallery item coffee").drag_to(audio.locator(".snode-head"))
    expect(page.get_by_text(re.compile("does not take image"))).to_be_visible()
    expect(audio.locator(".upload-items li")).to_have_count(1)
    if width == 1440:
        page.screenshot(path=str(SCREENSHOTS / "canvas-gallery-panel.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_lightbox_facts_compare_day_filter_and_delete(page: Page, live_studio: LiveStudio, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_studio)
    open_blank_session(page, f"Lightbox at {width}")
    page.get_by_role("button", name="Add Solid Color", exact=True).click()
    page.get_by_role("button", name="Run workflow").click()
    expect(page.get_by_role("status", name="Last run: succeeded")).to_be_visible(timeout=30_000)
    drop_files(page, [("coffee.png", "image/png", FIXTURE_IMAGE.read_bytes())], pane_point(page, 0.1, 0.7))
    expect(node(page, "upload.image").locator(".upload-items li")).to_have_count(1, timeout=20_000)

    panel = open_gallery(page)
    items = panel.get_by_role("button", name=re.compile("^Gallery item "))
    expect(items).to_have_count(2)
    expect(panel.get_by_text(re.compile(r"^Run · "))).to_be_visible()  # grouped by run, uploads apart
    expect(panel.get_by_text("Uploads", exact=True)).to_be_visible()

    panel.get_by_role("button", name=re.compile("^Gallery item Solid Color")).click()
    box = page.get_by_role("dialog")
    facts = box.get_by_label("How it was made")
    expect(facts).to_contain_text("Classical engine")
    expect(facts).to_contain_text("Color")  # the node's parameters, from provenance
    expect(box.locator("[data-slot=lightbox-panels]")).to_have_count(1)
    dialog = box.bounding_box()
    assert dialog and dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width

    box.get_by_label("Compare with").select_option(label="coffee")
    slider = box.get_by_label("Compare position")
    expect(box.get_by_role("img", name=re.compile("^After: coffee"))).to_be_visible()
    slider.fill("20")
    clip = box.get_by_role("img", name=re.compile("^After: ")).evaluate("el => el.style.clipPath")
    assert clip == "inset(0px 80% 0px 0px)", clip
    if width == 1440:
        page.screenshot(path=str(SCREENSHOTS / "gallery-lightbox-compare.png"))
    box.get_by_label("Compare with").select_option(label="— none —")

    # delete, after a confirmation
    box.get_by_role("button", name=re.compile("^Delete ")).click()
    box.get_by_role("button", name="Confirm delete").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(items).to_have_count(1)

    # a day filter: nothing from tomorrow on
    panel.get_by_label("Gallery from day").fill("2999-01-01")
    expect(panel.get_by_text("Nothing here yet")).to_be_visible()
    panel.get_by_label("Gallery from day").fill("")
    expect(items).to_have_count(1)


def test_the_gallery_page_opens_the_same_lightbox_and_filters_by_day(page: Page, live_studio: LiveStudio) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_studio)
    open_blank_session(page, "Gallery page lightbox")
    drop_files(page, [("holiday_photo.png", "image/png", FIXTURE_IMAGE.read_bytes())], pane_point(page, 0.2, 0.3))
    expect(node(page, "upload.image").locator(".upload-items li")).to_have_count(1, timeout=20_000)
    page.goto("/gallery")
    section = page.get_by_role("region", name="Media of Gallery page lightbox")
    section.get_by_role("button", name="Open holiday photo").click()  # readable: no extension, no underscores
    box = page.get_by_role("dialog", name="holiday photo")
    expect(box.get_by_label("How it was made")).to_contain_text("Uploaded")
    box.get_by_role("button", name="Close dialog").click()
    page.get_by_label("To day").fill("2000-01-01")
    expect(section).to_have_count(0)
