"""Issue 18, provenance anyone can verify: an enlarged output shows its C2PA Content Credentials with a
✓ badge when they verify, and what made it (not AI for a classical node)."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT, LiveStudio, Shots
from .test_canvas import Page, expect, node
from .test_gallery_panel import open_gallery
from .test_loops_and_recipes import new_blank_session, palette_drop

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "docs" / "screenshots"


def test_an_enlarged_output_shows_verified_content_credentials(page: Page, live_studio: LiveStudio,
                                                                shots: Shots) -> None:
    new_blank_session(page, live_studio, "Content Credentials")
    palette_drop(page, "Solid Color", "solid color", (60, 40))
    solid = node(page, "image.solid_color")
    page.get_by_role("button", name="Run workflow").click()
    expect(solid.get_by_label(re.compile("^Status: (Done|Cached)$"))).to_be_visible(timeout=60_000)
    solid.get_by_role("button", name="Enlarge the output of Solid Color").click()
    lightbox = page.get_by_role("dialog", name="Solid Color: output")
    badge = lightbox.get_by_role("button", name="Content Credentials: ✓ Verified")
    expect(badge).to_be_visible(timeout=15_000)
    expect(lightbox.get_by_text("Not AI-generated")).to_be_visible()
    badge.click()
    credentials = lightbox.get_by_label("Content Credentials", exact=True)
    expect(credentials.get_by_text("Mini AI Studio signer")).to_be_visible()
    expect(credentials.get_by_text("Made by an algorithm (no AI model)")).to_be_visible()
    expect(credentials.get_by_text("nothing: made from scratch")).to_be_visible()
    shots("content-credentials")
    page.screenshot(path=str(SCREENSHOTS / "content-credentials.png"))


def test_the_gallery_lightbox_shows_content_credentials(page: Page, live_studio: LiveStudio) -> None:
    new_blank_session(page, live_studio, "Gallery credentials")
    palette_drop(page, "Solid Color", "solid color", (60, 40))
    page.get_by_role("button", name="Run workflow").click()
    expect(node(page, "image.solid_color").get_by_label(re.compile("^Status: (Done|Cached)$"))).to_be_visible(
        timeout=60_000)
    panel = open_gallery(page)
    panel.get_by_role("button", name=re.compile("^Gallery item Solid Color")).click()
    box = page.get_by_role("dialog")
    expect(box.get_by_role("button", name="Content Credentials: ✓ Verified")).to_be_visible(timeout=15_000)
    expect(box.get_by_text("Not AI-generated")).to_be_visible()
