"""A key shown once (issue 18 item 7): a regenerated key's Copy button starts as "Copy", and leaving the page
before copying it asks first, in the app and on reload."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import Page, expect, sign_in
from .test_loops_and_recipes import hide_toasts

pytestmark = pytest.mark.browser


def regenerate(page: Page, previous: str = "") -> str:
    page.get_by_role("button", name="Regenerate API key").click()
    page.get_by_role("button", name="Confirm regenerate").click()
    secret = page.get_by_label("New API key secret")
    expect(secret).to_have_value(re.compile(r"^mas_"))
    if previous:
        expect(secret).not_to_have_value(previous)
    return str(secret.input_value())


def test_copy_state_is_per_key_and_leaving_uncopied_asks(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    hide_toasts(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()  # in the app
    copy = page.get_by_role("button", name="Copy API key")
    first = regenerate(page)
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied ✓")

    second = regenerate(page, first)
    expect(page.get_by_label("New API key secret")).to_have_value(second)
    expect(copy).to_have_text("Copy")  # the new key was not copied yet
    shots("regenerated-key-not-copied")

    # In the app: a link away asks; staying keeps the key on screen.
    asked: list[Any] = []

    def stay(dialog: Any) -> None:
        asked.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page.get_by_label("New API key secret")).to_have_value(second)
    assert asked and asked[0][0] == "confirm" and "not copied" in asked[0][1], asked
    assert page.url.endswith("/profile/api-key")

    # The browser's back button (to the sessions list, in the app) asks too.
    page.once("dialog", stay)
    with page.expect_event("dialog"):
        page.evaluate("history.back()")
    expect(page.get_by_label("New API key secret")).to_have_value(second)
    assert len(asked) == 2, asked
    assert page.url.endswith("/profile/api-key")

    # Reloading (or closing) the tab asks through the browser's own prompt.
    leaving: list[str] = []

    def leave(dialog: Any) -> None:
        leaving.append(dialog.type)
        dialog.accept()

    page.once("dialog", leave)
    page.reload()
    assert leaving == ["beforeunload"], leaving
    expect(page.get_by_label("API key prefix")).to_contain_text(second[:8])
    expect(page.get_by_label("New API key secret")).to_have_count(0)  # shown once

    # Once copied, leaving is quiet.
    hide_toasts(page)
    regenerate(page)
    copy.click()
    expect(copy).to_have_text("Copied ✓")
    page.once("dialog", stay)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    assert len(asked) == 2, asked
    page.remove_listener("dialog", stay)
