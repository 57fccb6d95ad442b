"""Teams and money in a real browser: the owner shares a session from the Share dialog; each
collaborator accepts in their own browser context and gets the canvas their role allows (viewer:
read-only, runner: runs but cannot edit, editor: edits); a run the owner's credits cannot cover says
so with a link to Billing; a Stripe top-up (against the local fake of Stripe) shows on the billing page
with its invoice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from billing_stripe.fake_stripe import FakeStripe, FakeStripeServer, signed_event
from conftest import PASSWORD
from live_process import ServedStudio

from .conftest import CHROMIUM, ROOT, Shots
from .test_canvas import expect

pytestmark = pytest.mark.browser

Page = Any
STRIPE_KEY = "sk_test_browser0123456789abcdef"
WEBHOOK_SECRET = "whsec_browser_0123456789abcdef0123456789"
OWNER, VIEWER, RUNNER, EDITOR = "owner@example.com", "viewer@example.com", "runner@example.com", "editor@example.com"
PRICE = 5  # credits per Solid Color run in this studio
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def stripe_fake() -> Iterator[FakeStripe]:
    with FakeStripeServer(STRIPE_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def team_studio(tmp_path_factory: pytest.TempPathFactory, stripe_fake: FakeStripe) -> Iterator[ServedStudio]:
    """A studio that charges credits (billing = credits), with Stripe top-ups against the fake."""
    data_dir = tmp_path_factory.mktemp("team-studio")
    studio = ServedStudio(data_dir, data_dir / "server.log")
    studio.env.update({
        "MINIAI_BILLING": "credits",
        "MINIAI_NODE_PRICES": json.dumps({"image.solid_color": PRICE}),
        "MINIAI_STRIPE_SECRET_KEY": STRIPE_KEY,
        "MINIAI_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MINIAI_STRIPE_API_BASE": stripe_fake.url,
    })
    for email in (OWNER, VIEWER, RUNNER, EDITOR):
        studio.create_user(email)
    studio.start()
    try:
        yield studio
    finally:
        studio.stop()


def _readme_shot(path: Path, name: str) -> None:
    """Copy a step's screenshot to docs/screenshots/ (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / name).write_bytes(path.read_bytes())


def _context(browser: Any, studio: ServedStudio) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=studio.url)
    context.set_default_timeout(15_000)
    return context


def _sign_in(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()


def _owner_session(studio: ServedStudio) -> str:
    """A session with one priced node, made through the API (the canvas is tested elsewhere)."""
    token = studio.login(OWNER)
    headers = {"Authorization": f"Bearer {token}"}
    graph = {"nodes": [{"id": "color", "type": "image.solid_color", "position": {"x": 200, "y": 160},
                        "params": {"color": "#7c6cff", "width": 64, "height": 64}}], "edges": []}
    r = httpx.post(f"{studio.url}/api/v2/sessions", json={"name": "Team poster", "graph": graph}, headers=headers,
                   timeout=30)
    assert r.status_code in (200, 201), r.text
    session_id: str = r.json()["id"]
    return session_id


def _accept(page: Page, email: str, session_name: str) -> None:
    _sign_in(page, email)
    page.get_by_role("link", name="Invitations").click()
    page.get_by_role("button", name=f"Accept {session_name}").click()
    expect(page.get_by_label("Workflow canvas")).to_be_visible()


def test_share_dialog_and_each_role_in_its_own_browser(browser: Any, team_studio: ServedStudio) -> None:
    assert Path(CHROMIUM).exists()
    session_id = _owner_session(team_studio)
    owner_ctx = _context(browser, team_studio)
    owner = owner_ctx.new_page()
    shots = Shots(owner, "teams-share-dialog")
    _sign_in(owner, OWNER)
    owner.goto(f"/studio/{session_id}")
    owner.get_by_role("button", name="Share session").click()
    dialog = owner.get_by_role("dialog", name="Share “Team poster”")
    for email, role, monthly in ((VIEWER, "viewer", ""), (RUNNER, "runner", "50"), (EDITOR, "editor", "")):
        dialog.get_by_label("Collaborator e-mail").fill(email)
        dialog.get_by_label("Role", exact=True).select_option(role)
        dialog.get_by_label("Monthly credit limit").fill(monthly)
        dialog.get_by_role("button", name="Send invitation").click()
        expect(dialog.get_by_label(f"Collaborator {email}")).to_be_visible()
    expect(dialog.get_by_label(f"Collaborator {RUNNER}")).to_contain_text("50 credits a month")
    expect(dialog.get_by_label(f"Collaborator {VIEWER}").get_by_label("Status: pending")).to_be_visible()
    _readme_shot(shots("share-dialog"), "share-dialog.png")
    dialog.get_by_role("button", name="Done").click()

    # the viewer: read-only canvas, no run, no palette, settings disabled
    viewer_ctx = _context(browser, team_studio)
    viewer = viewer_ctx.new_page()
    _accept(viewer, VIEWER, "Team poster")
    expect(viewer.get_by_label("Your role: viewer")).to_contain_text("read-only")
    expect(viewer.get_by_role("button", name="Run workflow")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Share session")).to_have_count(0)
    expect(viewer.get_by_label("Search nodes", exact=True)).to_have_count(0)
    viewer.locator('.snode[data-node-type="image.solid_color"]').click()
    expect(viewer.get_by_role("note").filter(has_text="Read-only")).to_be_visible()
    expect(viewer.get_by_label("Node title")).to_be_disabled()
    Shots(viewer, "teams-viewer")("viewer-canvas")

    # the runner: runs (refused for credits, with the way to Billing) but cannot edit
    runner_ctx = _context(browser, team_studio)
    runner = runner_ctx.new_page()
    _accept(runner, RUNNER, "Team poster")
    expect(runner.get_by_label("Your role: runner")).to_be_visible()
    expect(runner.get_by_label("Search nodes", exact=True)).to_have_count(0)
    runner.get_by_role("button", name="Run workflow").click()
    banner = runner.get_by_role("alert", name="Not enough credits")
    expect(banner).to_contain_text(f"needs {PRICE}")
    expect(banner.get_by_role("link", name="Open Billing")).to_be_visible()
    Shots(runner, "teams-runner")("insufficient-balance")

    # the editor: palette and saving
    editor_ctx = _context(browser, team_studio)
    editor = editor_ctx.new_page()
    _accept(editor, EDITOR, "Team poster")
    expect(editor.get_by_label("Search nodes", exact=True)).to_be_visible()
    expect(editor.get_by_role("status", name="Save state: Saved")).to_be_visible()

    # the owner sees who accepted, and revokes the viewer: the viewer's page leaves the session
    owner.get_by_role("button", name="Share session").click()
    dialog = owner.get_by_role("dialog", name="Share “Team poster”")
    expect(dialog.get_by_label(f"Collaborator {VIEWER}").get_by_label("Status: accepted")).to_be_visible()
    dialog.get_by_role("button", name=f"Revoke access of {VIEWER}").click()
    expect(dialog.get_by_label(f"Collaborator {VIEWER}")).to_have_count(0)
    expect(viewer.get_by_role("heading", name="Sessions")).to_be_visible(timeout=10_000)
    for ctx in (owner_ctx, viewer_ctx, runner_ctx, editor_ctx):
        ctx.close()


def test_billing_page_after_a_stripe_top_up(browser: Any, team_studio: ServedStudio, stripe_fake: FakeStripe) -> None:
    ctx = _context(browser, team_studio)
    page = ctx.new_page()
    shots = Shots(page, "billing-top-up")
    _sign_in(page, OWNER)
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_label("Available credits: 0")).to_be_visible()
    # Stripe's hosted page cannot be reached from here: the browser lands on a stand-in
    checkout_pages: list[str] = []

    def stand_in(route: Any) -> None:
        checkout_pages.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Stripe Checkout (test stand-in)</h1>")

    page.route("https://checkout.stripe.com/**", stand_in)
    pack = page.locator(".pack").first
    pack.click()
    expect(page.get_by_role("heading", name="Stripe Checkout (test stand-in)")).to_be_visible()
    session_id = checkout_pages[0].rsplit("/", 1)[-1]
    # Stripe tells the studio the session was paid (signed the way Stripe signs)
    payload, headers = signed_event("checkout.session.completed", stripe_fake.pay(session_id), WEBHOOK_SECRET)
    r = httpx.post(f"{team_studio.url}/api/v2/billing/stripe-webhook", content=payload, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    credits = int(stripe_fake.sessions[session_id]["metadata"]["credits"])
    page.goto("/billing?checkout=success")
    expect(page.get_by_role("status").filter(has_text="Payment received")).to_be_visible()
    expect(page.get_by_label(f"Available credits: {credits}")).to_be_visible()
    expect(page.get_by_role("list", name="Invoices").get_by_role("link", name="Download invoice INV-")).to_be_visible()
    _readme_shot(shots("billing-page"), "billing-page.png")
    ctx.close()
