"""Text that does not fit says so on the canvas (issue 18 item 12): the overlay's clipped warning is a line on
the node, live after the run and again after a reload; fitting the text makes it go away."""

from __future__ import annotations

import shutil

import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import SCREENSHOTS, Page, expect, sign_in
from .test_canvas_fit_and_search import open_blank_session
from .test_run_problems import put_graph, studio_node

pytestmark = pytest.mark.browser

LONG_TEXT = " ".join(["A caption far too long for a small banner at this size"] * 4)


def test_clipped_text_warns_on_the_node(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    open_blank_session(page, "Overlay warning")
    session_id = page.url.rsplit("/", 1)[1]
    overlay = studio_node("o", "image.text_overlay", 340, 40, text=LONG_TEXT, size=64, position="center", fit=False)
    overlay["title"] = "Banner text"
    fitted = studio_node("f", "image.text_overlay", 660, 40, text=LONG_TEXT, size=64, position="center")
    fitted["title"] = "Fitted text"
    put_graph(live_studio, session_id, {
        "nodes": [studio_node("c", "image.solid_color", 40, 40, width=512, height=256, color="#203040"),
                  overlay, fitted],
        "edges": [{"id": "e1", "source": "c", "source_handle": "image", "target": "o", "target_handle": "image"},
                  {"id": "e2", "source": "c", "source_handle": "image", "target": "f", "target_handle": "image"}]})
    page.reload()
    page.get_by_role("button", name="Run workflow").click()
    expect(page.get_by_role("status", name="Last run: succeeded")).to_be_visible(timeout=30_000)
    warning = page.get_by_role("note", name="Banner text warning")
    expect(warning).to_contain_text("text clipped")
    expect(page.get_by_role("note", name="Fitted text warning")).to_have_count(0)
    shutil.copy(shots("clipped-text-warning"), SCREENSHOTS / "text-overlay-warning.png")
    page.reload()
    expect(page.get_by_role("note", name="Banner text warning")).to_contain_text("text clipped")
