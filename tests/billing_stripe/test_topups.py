"""Top-ups with Stripe Checkout through the real app: checkout, webhook fulfilment exactly once,
refusals, and what happens when Stripe is not configured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from conftest import Api, make_settings
from miniaistudio.app import create_app
from miniaistudio.store.tables import StripeEvent, TopUp
from miniaistudio.studio import Studio

from .conftest import STRIPE_KEY, WEBHOOK_SECRET
from .fake_stripe import FakeStripe, signed_event
from .helpers import WEBHOOK, balance, checkout, deliver, invoices, pay


def row_user(studio: Studio) -> str:
    """The buyer of the one top-up."""
    [row] = topup_rows(studio)
    return row.user_id


def topup_rows(studio: Studio) -> list[TopUp]:
    with studio.db.session() as s:
        return list(s.scalars(select(TopUp).order_by(TopUp.created_at)))


async def test_packs_are_listed(api: Api) -> None:
    r = await api.get("/api/v2/billing/packs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["top_ups_enabled"] is True
    assert [p["id"] for p in body["packs"]] == ["starter", "creator", "studio"]
    assert body["packs"][0] == {"id": "starter", "name": "1,000 credits", "credits": 1000, "amount": 1000,
                                "currency": "usd"}


async def test_checkout_creates_a_stripe_session_and_a_pending_topup(api: Api, studio: Studio,
                                                                    stripe_fake: FakeStripe) -> None:
    started = await checkout(api, "creator")
    assert started["checkout_url"].startswith("https://checkout.stripe.com/")
    assert {k: started[k] for k in ("pack_id", "credits", "amount", "currency")} == {
        "pack_id": "creator", "credits": 5500, "amount": 5000, "currency": "usd"}
    sent = stripe_fake.requests[-1]
    assert sent.form["line_items[0][price_data][unit_amount]"] == "5000"
    assert sent.form["metadata[topup_id]"] == started["topup_id"]
    assert sent.form["customer_email"] == api.email
    assert sent.form["success_url"] == \
        "http://studio.test/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}"
    assert sent.headers["idempotency-key"] == f"topup-{started['topup_id']}"
    [row] = topup_rows(studio)
    assert (row.id, row.checkout_session_id, row.status, row.credits, row.amount) == (
        started["topup_id"], started["checkout_session_id"], "pending", 5500, 5000)


async def test_public_url_setting_shapes_the_return_links(tmp_path: Path, stripe_fake: FakeStripe) -> None:
    settings = make_settings(tmp_path, stripe_secret_key=STRIPE_KEY, stripe_api_base=stripe_fake.url,
                             billing_public_url="https://studio.example.com/")
    async with Served(settings) as (_client, make):
        api = await make()
        await checkout(api)
    assert stripe_fake.requests[-1].form["cancel_url"] == "https://studio.example.com/billing?checkout=canceled"


async def test_unknown_pack_is_refused(api: Api, stripe_fake: FakeStripe) -> None:
    r = await api.post("/api/v2/billing/payment-intent", json={"pack_id": "gold"})
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_CREDIT_PACK", r.text
    assert r.json()["details"]["available"] == ["creator", "starter", "studio"]
    assert stripe_fake.requests == []


async def test_the_webhook_credits_once_and_issues_the_invoice(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                               stripe_fake: FakeStripe) -> None:
    started = await checkout(api)
    assert (await balance(api))["available"] == 0  # opening the checkout credits nothing
    r = await pay(client, stripe_fake, started["checkout_session_id"])
    assert r.json() == {"received": True, "outcome": "credited"}
    assert await balance(api) == {"available": 1000, "reserved": 0, "total": 1000, "billing": "off"}
    [entry] = studio.credits.entries(row_user(studio)).entries
    assert (entry.kind, entry.amount) == ("topup", 1000)
    assert entry.idempotency_key == f"stripe:{started['checkout_session_id']}"
    [row] = topup_rows(studio)
    assert row.status == "paid" and row.paid_at is not None
    assert row.payment_reference == stripe_fake.sessions[started["checkout_session_id"]]["payment_intent"]
    assert row.receipt_url == stripe_fake.receipt_url(started["checkout_session_id"])
    [invoice] = await invoices(api)
    assert invoice["number"] == f"INV-{row.paid_at.year}-000001"
    assert (invoice["credits"], invoice["amount"], invoice["currency"]) == (1000, 1000, "usd")
    assert invoice["buyer_email"] == api.email
    assert invoice["receipt_url"] == row.receipt_url and invoice["payment_reference"] == row.payment_reference
    assert invoice["tax_label"] is None and invoice["tax_amount"] == 0


async def test_replays_and_duplicates_credit_nothing(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                     stripe_fake: FakeStripe) -> None:
    started = await checkout(api)
    session = stripe_fake.pay(started["checkout_session_id"])
    payload, headers = signed_event("checkout.session.completed", session, WEBHOOK_SECRET)
    first = await client.post(WEBHOOK, content=payload, headers=headers)
    replay = await client.post(WEBHOOK, content=payload, headers=headers)  # the same delivery again
    assert first.json()["outcome"] == "credited"
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    # Another event about the same session (Stripe may send completed and async_payment_succeeded).
    other = await deliver(client, "checkout.session.async_payment_succeeded", session)
    assert other.status_code == 200 and other.json()["outcome"] == "already_paid"
    assert len(await invoices(api)) == 1
    assert (await balance(api))["available"] == 1000  # credited once
    with studio.db.session() as s:
        outcomes = sorted(e.outcome or "" for e in s.scalars(select(StripeEvent)))
    assert outcomes == ["already_paid", "credited"]


async def test_a_delayed_payment_is_credited_when_it_succeeds(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                              stripe_fake: FakeStripe) -> None:
    started = await checkout(api)
    sid = started["checkout_session_id"]
    r = await deliver(client, "checkout.session.completed", stripe_fake.pay(sid, payment_status="unpaid"))
    assert r.status_code == 200 and r.json()["outcome"] == "awaiting_payment"
    assert topup_rows(studio)[0].status == "pending" and await invoices(api) == []
    assert (await balance(api))["available"] == 0
    r = await deliver(client, "checkout.session.async_payment_succeeded", stripe_fake.settle(sid))
    assert r.status_code == 200 and r.json()["outcome"] == "credited"
    assert (await balance(api))["available"] == 1000
    assert topup_rows(studio)[0].status == "paid" and len(await invoices(api)) == 1


async def test_expired_and_failed_sessions_close_the_topup(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                           stripe_fake: FakeStripe) -> None:
    expired, failed = await checkout(api), await checkout(api)
    r = await deliver(client, "checkout.session.expired", stripe_fake.sessions[expired["checkout_session_id"]])
    assert r.json()["outcome"] == "expired"
    session = stripe_fake.pay(failed["checkout_session_id"], payment_status="unpaid")
    r = await deliver(client, "checkout.session.async_payment_failed", session)
    assert r.json()["outcome"] == "payment_failed"
    assert sorted(t.status for t in topup_rows(studio)) == ["expired", "failed"]
    assert await invoices(api) == [] and (await balance(api))["available"] == 0


@pytest.mark.parametrize("tamper", ["no header", "wrong secret", "changed body", "garbage header", "binary body"])
async def test_bad_signatures_are_refused(tamper: str, api: Api, client: httpx.AsyncClient, studio: Studio,
                                          stripe_fake: FakeStripe) -> None:
    started = await checkout(api)
    payload, headers = signed_event("checkout.session.completed", stripe_fake.pay(started["checkout_session_id"]),
                                    "whsec_wrong" if tamper == "wrong secret" else WEBHOOK_SECRET)
    if tamper == "no header":
        del headers["Stripe-Signature"]
    elif tamper == "changed body":
        payload = payload.replace(b'"amount_total": 1000', b'"amount_total": 1')
    elif tamper == "garbage header":
        headers["Stripe-Signature"] = "t=abc,v1="
    elif tamper == "binary body":
        payload = b"\xff\xfe" + payload
    r = await client.post(WEBHOOK, content=payload, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "WEBHOOK_SIGNATURE_INVALID", r.text
    assert topup_rows(studio)[0].status == "pending" and (await balance(api))["available"] == 0
    with studio.db.session() as s:
        assert s.scalar(select(StripeEvent.id)) is None  # nothing recorded from an unverified body


async def test_an_old_timestamp_is_refused(api: Api, client: httpx.AsyncClient, studio: Studio,
                                           stripe_fake: FakeStripe) -> None:
    started = await checkout(api)
    r = await deliver(client, "checkout.session.completed", stripe_fake.pay(started["checkout_session_id"]),
                      timestamp=int(time.time()) - 301)
    assert r.status_code == 400 and r.json()["code"] == "WEBHOOK_SIGNATURE_INVALID"
    assert r.json()["details"]["reason"] == "timestamp_too_old"
    assert topup_rows(studio)[0].status == "pending"


async def test_an_unknown_session_is_acknowledged_without_credit(client: httpx.AsyncClient, studio: Studio,
                                                                 stripe_fake: FakeStripe,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    session = {"id": "cs_test_made_elsewhere", "object": "checkout.session", "payment_status": "paid",
               "amount_total": 1000, "currency": "usd", "payment_intent": "pi_test_elsewhere"}
    r = await deliver(client, "checkout.session.completed", session)
    assert r.status_code == 200 and r.json()["outcome"] == "unknown_session"
    assert "cs_test_made_elsewhere" in caplog.text
    assert topup_rows(studio) == []


async def test_other_event_types_are_ignored(client: httpx.AsyncClient) -> None:
    r = await deliver(client, "customer.created", {"id": "cus_test_1", "object": "customer"})
    assert r.status_code == 200 and r.json() == {"received": True, "outcome": "ignored"}


async def test_the_webhook_needs_no_credential_but_login_cookies_do_not_help(api: Api, client: httpx.AsyncClient,
                                                                            stripe_fake: FakeStripe) -> None:
    """A cross-site browser post with the login cookie gets no further than the signature check."""
    r = await client.post(WEBHOOK, content=b"{}", headers={"Origin": "http://evil.example",
                                                          "Cookie": f"mas_token={api.token}"})
    assert r.status_code == 400 and r.json()["code"] == "WEBHOOK_SIGNATURE_INVALID"


async def test_stripe_outage_answers_a_stable_code(api: Api, studio: Studio, stripe_fake: FakeStripe) -> None:
    stripe_fake.down = True
    r = await api.post("/api/v2/billing/payment-intent", json={"pack_id": "starter"})
    assert r.status_code == 502 and r.json()["code"] == "PAYMENT_PROVIDER_ERROR", r.text
    assert topup_rows(studio) == []  # nothing pending is left behind


# -- without Stripe keys ----------------------------------------------------------------------------------
class Served:
    """A second studio with its own settings, signed-in users made on demand."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    async def __aenter__(self) -> tuple[httpx.AsyncClient, Callable[[], Any]]:
        self.studio = Studio(self.settings)
        await self.studio.start()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(self.settings, self.studio)),
                                        base_url="http://studio.test")

        async def make(email: str = "buyer@example.com") -> Api:
            self.studio.accounts.create_user(email, "correct-horse-battery")
            r = await self.client.post("/api/v2/auth/login", json={"email": email, "password": "correct-horse-battery"})
            self.client.cookies.clear()
            return Api(self.client, r.json()["token"], email)

        return self.client, make

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self.studio.stop()


async def test_without_stripe_keys_top_ups_are_unavailable(tmp_path: Path) -> None:
    async with Served(make_settings(tmp_path)) as (client, make):
        api = await make()
        r = await api.post("/api/v2/billing/payment-intent", json={"pack_id": "starter"})
        assert r.status_code == 503 and r.json()["code"] == "BILLING_UNAVAILABLE", r.text
        assert "MINIAI_STRIPE_SECRET_KEY" in r.json()["message"]
        packs = await api.get("/api/v2/billing/packs")
        assert packs.json()["top_ups_enabled"] is False
        payload, headers = signed_event("checkout.session.completed", {"id": "cs_1"}, WEBHOOK_SECRET)
        r = await client.post(WEBHOOK, content=payload, headers=headers)
        assert r.status_code == 503 and r.json()["code"] == "BILLING_UNAVAILABLE"  # Stripe retries later


def test_settings_refuse_ambiguous_packs_and_addresses(tmp_path: Path) -> None:
    pack = {"id": "starter", "credits": 10, "unit_amount": 100}
    with pytest.raises(ValidationError, match="unique"):
        make_settings(tmp_path, credit_packs=[pack, pack])
    with pytest.raises(ValidationError):
        make_settings(tmp_path, credit_packs=[{**pack, "unit_amount": 1.5}])  # money is whole cents
    with pytest.raises(ValidationError, match="http"):
        make_settings(tmp_path, billing_public_url="studio.example.com")


async def test_credits_do_not_wait_for_the_receipt(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                   stripe_fake: FakeStripe) -> None:
    """Stripe's API is down while its webhook arrives: the buyer is credited, the invoice cites the payment
    from the event itself, without a receipt link."""
    started = await checkout(api)
    session = stripe_fake.pay(started["checkout_session_id"])
    stripe_fake.down = True
    r = await deliver(client, "checkout.session.completed", session)
    assert r.status_code == 200 and r.json()["outcome"] == "credited", r.text
    assert (await balance(api))["available"] == 1000
    [invoice] = await invoices(api)
    assert invoice["payment_reference"] == session["payment_intent"] and invoice["receipt_url"] is None


async def test_concurrent_deliveries_credit_once(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                 stripe_fake: FakeStripe) -> None:
    """The same event delivered several times at once, beside another event about the same session."""
    started = await checkout(api)
    session = stripe_fake.pay(started["checkout_session_id"])
    payload, headers = signed_event("checkout.session.completed", session, WEBHOOK_SECRET)
    same = [client.post(WEBHOOK, content=payload, headers=headers) for _ in range(4)]
    other = deliver(client, "checkout.session.async_payment_succeeded", session)
    answers = await asyncio.gather(*same, other)
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert [a.json()["outcome"] for a in answers].count("credited") == 1
    assert (await balance(api))["available"] == 1000
    assert len(await invoices(api)) == 1
    assert [e.kind for e in studio.credits.entries(row_user(studio)).entries] == ["topup"]


async def test_a_local_email_is_not_sent_to_stripe(make_user: Callable[..., Any], stripe_fake: FakeStripe) -> None:
    """Stripe refuses addresses like the first admin's admin@localhost: Checkout then asks the buyer."""
    await checkout(await make_user("admin@localhost"))
    assert "customer_email" not in stripe_fake.requests[-1].form
