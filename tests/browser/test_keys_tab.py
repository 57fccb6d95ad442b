"""The profile page's Keys tab in a browser: list every key, create one (the secret shown once, with copy),
see its scopes, allowlist, expiry, cap and last use, and revoke it."""

from __future__ import annotations

import re

import httpx
import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import Page, expect, sign_in
from .test_loops_and_recipes import hide_toasts

pytestmark = pytest.mark.browser


def test_keys_tab_creates_lists_and_revokes(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    page.goto("/profile/keys")
    expect(page.get_by_role("tab", name="Keys", exact=True)).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Create API key").click()
    page.get_by_label("Key name").fill("Render farm")
    page.get_by_label("Scope generate:image").check()
    page.get_by_label("IP allowlist").fill("10.0.0.0/8\nnot-an-address")
    page.get_by_label("Credit cap").fill("250")
    page.get_by_role("button", name="Confirm create key").click()
    expect(page.get_by_text("ip_allowlist.1", exact=False).or_(page.get_by_text("not an IP address"))).to_be_visible()
    page.get_by_label("IP allowlist").fill("10.0.0.0/8\n127.0.0.1")
    page.get_by_role("button", name="Confirm create key").click()
    secret = page.get_by_label("New API key secret")
    expect(secret).to_have_value(re.compile(r"^avs_live_[0-9A-Za-z]{38}$"))
    key = secret.input_value()
    page.get_by_role("button", name="Copy API key").click()
    expect(page.get_by_role("button", name="Copy API key")).to_have_text("Copied ✓")
    hide_toasts(page)
    card = page.get_by_role("listitem", name="Key Render farm")
    expect(card).to_contain_text("generate:image, read")
    expect(card).to_contain_text("10.0.0.0/8, 127.0.0.1/32")
    expect(card).to_contain_text("0 of 250 spent")
    expect(card).to_contain_text(key[:13])
    shots("created")

    r = httpx.get(f"{live_studio.url}/api/v1/keys", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"  # used from 127.0.0.1
    page.get_by_role("button", name="I have stored the key").click()
    page.reload()
    card = page.get_by_role("listitem", name="Key Render farm")
    expect(card.locator("dt:has-text('Last used') + dd")).not_to_have_text("Never")  # the key was used above

    card.get_by_role("button", name="Revoke Render farm").click()
    page.get_by_role("button", name="Confirm revoke").click()
    expect(page.get_by_role("listitem", name="Key Render farm")).to_have_count(0)
    r = httpx.get(f"{live_studio.url}/api/v1/keys", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    shots("revoked")

    page.get_by_role("tab", name="API Key", exact=True).click()  # the personal key's tab still works
    expect(page.get_by_label("API key prefix")).to_be_visible()


def test_keys_tab_creates_a_miraflow_key(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    sign_in(page, live_studio)
    page.goto("/profile/keys")
    page.get_by_role("button", name="Create API key").click()
    page.get_by_label("Key name").fill("Miraflow client")
    page.get_by_label("Key API").select_option("miraflow")
    page.get_by_label("IP allowlist").fill("not-an-address")
    page.get_by_role("button", name="Confirm create key").click()
    expect(page.get_by_text("not an IP address", exact=False).or_(page.get_by_text("ip_allowlist"))).to_be_visible()
    page.get_by_label("IP allowlist").fill("")
    page.get_by_role("button", name="Confirm create key").click()
    secret = page.get_by_label("New API key secret")
    expect(secret).to_have_value(re.compile(r"^mfl_live_[0-9A-Za-z]{38}$"))
    key = secret.input_value()
    r = httpx.get(f"{live_studio.url}/api/avatars", headers={"x-api-key": key})
    assert r.status_code == 200 and r.json()["avatars"], r.text
    page.get_by_role("button", name="I have stored the key").click()
    expect(page.get_by_role("listitem", name="Key Miraflow client")).to_contain_text("mfl_live_")
    shots("miraflow-key")
