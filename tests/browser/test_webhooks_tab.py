"""The profile page's Webhooks tab in a browser, on its own studio that may reach loopback receivers
over http (browser tests only): create a webhook (the secret shown once, with copy), send the test
event to a real receiver, see the delivery succeed in the log, redeliver it, delete the webhook."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from webhooks.receiver import receiving, seed_verifies

from .conftest import LiveStudio, Shots, serving
from .test_canvas import Page, expect, sign_in
from .test_loops_and_recipes import hide_toasts

pytestmark = pytest.mark.browser

LOOPBACK_WEBHOOKS_ENV = {"MINIAI_WEBHOOK_ALLOW_HTTP": "true", "MINIAI_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
                         "MINIAI_WEBHOOK_POLL_SECONDS": "0.1"}


@pytest.fixture(scope="module")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    """This module's own studio (the page fixture serves it): loopback webhook targets allowed."""
    with serving(tmp_path_factory.mktemp("webhooks-studio"), LOOPBACK_WEBHOOKS_ENV) as studio:
        yield studio


def test_webhooks_tab_creates_tests_and_shows_the_delivery_log(page: Page, live_studio: LiveStudio,
                                                               shots: Shots) -> None:
    with receiving() as receiver:
        sign_in(page, live_studio)
        page.goto("/profile/webhooks")
        expect(page.get_by_role("tab", name="Webhooks", exact=True)).to_have_attribute("aria-selected", "true")
        page.get_by_role("button", name="Create webhook").click()
        page.get_by_label("Webhook URL").fill("ftp://example.com/hook")
        page.get_by_role("button", name="Confirm create webhook").click()
        expect(page.locator(".field-error")).to_be_visible()  # the API's failing field, next to the input
        page.get_by_label("Webhook URL").fill(receiver.url)
        page.get_by_label("Event generation.failed").uncheck()
        page.get_by_label("Webhook description").fill("Render farm")
        page.get_by_role("button", name="Confirm create webhook").click()
        secret_box = page.get_by_label("New webhook secret")
        expect(secret_box).to_have_value(re.compile(r"^whsec_"))
        secret = secret_box.input_value()
        page.get_by_role("button", name="Copy webhook").click()
        expect(page.get_by_role("button", name="Copy webhook")).to_have_text("Copied ✓")
        hide_toasts(page)
        card = page.get_by_role("listitem", name=f"Webhook {receiver.url}")
        expect(card).to_contain_text("generation.completed")
        expect(card).not_to_contain_text("generation.failed")
        expect(card.get_by_label("Last delivery")).to_have_text("None yet")
        shots("created")

        card.get_by_role("button", name="Send test event").click()
        card.get_by_role("button", name="Delivery log").click()
        log = card.get_by_role("list", name="Delivery log")
        expect(log.get_by_label("Delivery status").first).to_have_text(re.compile(r"^delivered · HTTP 200 · 1 attempt"))
        expect(card.get_by_label("Last delivery")).to_have_text("webhook.test: delivered (HTTP 200)")
        [got] = receiver.wait_for(1)
        assert json.loads(got.body)["event"] == "webhook.test"
        assert seed_verifies([got], secret) == [True]  # the seed's JavaScript verifier, under node
        shots("delivered")

        log.get_by_role("button", name="Redeliver").first.click()
        expect(log.get_by_role("listitem", name=re.compile(r"^Delivery "))).to_have_count(2)
        expect(log.get_by_label("Delivery status").nth(0)).to_have_text(re.compile(r"^delivered · HTTP 200"))
        again = receiver.wait_for(2)
        assert again[1].headers["x-webhook-id"] == got.headers["x-webhook-id"]  # the same event, sent again
        shots("redelivered")

        page.get_by_role("button", name="I have stored the key").click()
        page.reload()
        expect(page.get_by_label(re.compile("^New webhook"))).to_have_count(0)  # the secret is shown once
        card = page.get_by_role("listitem", name=f"Webhook {receiver.url}")
        card.get_by_role("button", name="Delete webhook").click()
        page.get_by_role("button", name="Confirm delete webhook").click()
        expect(page.get_by_role("listitem", name=f"Webhook {receiver.url}")).to_have_count(0)
        expect(page.get_by_text("No webhooks yet")).to_be_visible()
        shots("deleted")
