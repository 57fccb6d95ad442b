"""Invoices and monthly statements: gapless numbers under concurrent payments, PDFs that parse and
say what they must, and nobody but the buyer (or an admin) reads an invoice."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from conftest import Api, make_settings, node
from miniaistudio.services.invoices import TaxRule
from miniaistudio.studio import Studio

from .conftest import STRIPE_KEY, WEBHOOK_SECRET
from .fake_stripe import FakeStripe
from .helpers import checkout, invoices, pay
from .test_topups import Served


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-"), content[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def paid_topup(api: Api, client: httpx.AsyncClient, fake: FakeStripe, pack: str = "starter") -> str:
    started = await checkout(api, pack)
    await pay(client, fake, started["checkout_session_id"])
    return str(started["checkout_session_id"])


async def test_invoice_numbers_have_no_gaps_when_payments_arrive_together(
        make_user: Callable[..., Any], client: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    buyers = [await make_user() for _ in range(4)]
    started = [await checkout(buyer) for buyer in buyers for _ in range(3)]
    answers = await asyncio.gather(*(pay(client, stripe_fake, s["checkout_session_id"]) for s in started))
    assert [a.json()["outcome"] for a in answers] == ["credited"] * 12
    year = datetime.now(UTC).year
    listed = [await invoices(buyer) for buyer in buyers]
    assert [len(items) for items in listed] == [3, 3, 3, 3]
    numbers = sorted(invoice["number"] for items in listed for invoice in items)
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 13)]


async def test_the_invoice_pdf_says_what_an_invoice_must(api: Api, client: httpx.AsyncClient,
                                                         stripe_fake: FakeStripe) -> None:
    session_id = await paid_topup(api, client, stripe_fake, "creator")
    [invoice] = await invoices(api)
    r = await api.get(invoice["pdf_url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    text = pdf_text(r.content)
    for expected in (invoice["number"], invoice["issued_at"][:10], api.email, "Mini AI Studio", "5,500 credits",
                     "USD 50.00", stripe_fake.sessions[session_id]["payment_intent"], "Stripe receipt"):
        assert expected in text, f"{expected!r} missing from the invoice:\n{text}"
    assert "VAT" not in text


async def test_a_configured_tax_shows_as_a_line(tmp_path: Path, stripe_fake: FakeStripe) -> None:
    settings = make_settings(tmp_path, stripe_secret_key=STRIPE_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
                             stripe_api_base=stripe_fake.url, invoice_tax_rate_percent="20",
                             invoice_seller_name="Studio Ünited GmbH", invoice_seller_tax_id="DE123456789",
                             invoice_seller_address="Hauptstraße 1\n10115 Berlin")
    async with Served(settings) as (client, make):
        api = await make("zoë@example.com")
        await paid_topup(api, client, stripe_fake)  # 1,000 credits for USD 10.00, tax included
        [invoice] = await invoices(api)
        assert (invoice["amount"], invoice["net_amount"], invoice["tax_amount"]) == (1000, 833, 167)
        assert (invoice["tax_label"], invoice["tax_rate_percent"]) == ("VAT", "20")
        text = pdf_text((await api.get(invoice["pdf_url"])).content)
    for expected in ("VAT 20%", "USD 1.67", "USD 8.33", "USD 10.00", "Studio Ünited GmbH", "Hauptstraße 1",
                     "DE123456789", "zoë@example.com"):
        assert expected in text, f"{expected!r} missing from the invoice:\n{text}"


@pytest.mark.parametrize(("gross", "rate", "tax"), [(1000, "20", 167), (999, "7.7", 71), (1, "19", 0), (5000, "0", 0),
                                                    (12345, "8.5", 967)])
def test_included_tax_is_exact(gross: int, rate: str, tax: int) -> None:
    assert TaxRule("VAT", Decimal(rate)).included_in(gross) == tax


async def test_only_the_buyer_or_an_admin_reads_an_invoice(api: Api, make_user: Callable[..., Any],
                                                           client: httpx.AsyncClient, stripe_fake: FakeStripe) -> None:
    await paid_topup(api, client, stripe_fake)
    [invoice] = await invoices(api)
    stranger, admin = await make_user(), await make_user(admin=True)
    r = await stranger.get(invoice["pdf_url"])
    assert r.status_code == 404 and r.json()["code"] == "INVOICE_NOT_FOUND"
    assert await invoices(stranger) == []
    assert api.email not in r.text
    r = await admin.get(invoice["pdf_url"])
    assert r.status_code == 200 and invoice["number"] in pdf_text(r.content)
    r = await api.get("/api/v2/billing/invoices/no-such-invoice/pdf")
    assert r.status_code == 404 and r.json()["code"] == "INVOICE_NOT_FOUND"


async def test_the_monthly_statement_lists_and_downloads(api: Api, client: httpx.AsyncClient, studio: Studio,
                                                         stripe_fake: FakeStripe) -> None:
    await paid_topup(api, client, stripe_fake, "starter")
    await paid_topup(api, client, stripe_fake, "creator")
    r = await api.get("/api/v2/billing/statements")
    assert r.status_code == 200, r.text
    [current] = r.json()["items"]  # the account is new: only this month
    month = datetime.now(UTC).strftime("%Y-%m")
    assert current["month"] == month and current["credits_added"] == 6500
    assert [p["credits"] for p in current["purchases"]] == [1000, 5500]
    r = await api.get(current["pdf_url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="statement-{month}.pdf"'
    text = pdf_text(r.content)
    year = datetime.now(UTC).year
    for expected in (f"Month: {month}", api.email, "6,500", f"INV-{year}-000001", f"INV-{year}-000002",
                     "USD 50.00", "GPU sessions", "Runs by model"):
        assert expected in text, f"{expected!r} missing from the statement:\n{text}"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-01", "2026-1", "0999-01", "9999-12", "2026-01x",
                                   "yesterday", "2026-\u0660\u0661", "\u0662\u0660\u0662\u0666-01"])
async def test_statement_months_are_validated(month: str, api: Api) -> None:
    r = await api.get(f"/api/v2/billing/statements/{month}/pdf")
    assert r.status_code == 422 and r.json()["code"] == "INVALID_MONTH", (month, r.text)


async def test_a_month_without_activity_has_an_empty_statement(api: Api) -> None:
    r = await api.get("/api/v2/billing/statements/2020-02/pdf")
    assert r.status_code == 200
    assert "none this month" in pdf_text(r.content)


async def test_the_statement_reads_the_ledger(tmp_path: Path, stripe_fake: FakeStripe) -> None:
    """With billing on, a top-up pays for a priced run: the month's statement shows both."""
    settings = make_settings(tmp_path, stripe_secret_key=STRIPE_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
                             stripe_api_base=stripe_fake.url, billing="credits",
                             node_prices={"image.solid_color": 7})
    async with Served(settings) as (client, make):
        api = await make()
        await paid_topup(api, client, stripe_fake)
        session = await api.new_session()
        await api.save_graph(session, {"nodes": [node("c", "image.solid_color", width=16, height=16)], "edges": []})
        run = await api.run(session["id"])
        assert run["status"] == "succeeded", run
        r = await api.get("/api/v2/billing/statements")
        [current] = r.json()["items"]
        text = pdf_text((await api.get(current["pdf_url"])).content)
    assert (current["credits_added"], current["credits_used"], current["refunds"]) == (1000, 7, 0)
    assert current["runs_by_model"] == [{"label": "node prices (no single model)", "count": 1, "credits": 7}]
    assert "node prices (no single model)" in text and "1,000" in text


async def test_the_statement_shows_gpu_sessions(tmp_path: Path, stripe_fake: FakeStripe) -> None:
    """A top-up pays for GPU time: started at a moment the test sets, stopped after 2 min 10 s (3 started
    minutes at 3 credits); the statement lists the session with its tasks and charge."""
    settings = make_settings(tmp_path, stripe_secret_key=STRIPE_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
                             stripe_api_base=stripe_fake.url, billing="credits", models_dir=tmp_path / "models",
                             gpu_price_per_minute=3, gpu_prepaid_minutes=5)
    start = datetime.now(UTC).replace(microsecond=0)
    now = [start]  # the GPU billing clock, moved by the test
    served = Served(settings)
    async with served as (client, make):
        assert served.studio.gpu_billing is not None
        served.studio.gpu_billing.clock = lambda: now[0]
        api = await make()
        await paid_topup(api, client, stripe_fake)
        assert (await api.post("/api/v2/gpu/start")).status_code == 200
        now[0] = start + timedelta(seconds=130)
        assert (await api.post("/api/v2/gpu/stop", json={"mode": "graceful"})).status_code == 200
        r = await api.get(f"/api/v2/billing/statements/{start:%Y-%m}/pdf")
        [current] = (await api.get("/api/v2/billing/statements")).json()["items"]
    assert current["credits_used"] == 9
    [gpu] = current["gpu_sessions"]
    assert gpu["label"] == f"{start:%Y-%m-%d %H:%M} UTC, 3 started min" and gpu["credits"] == 9
    assert gpu["label"] in pdf_text(r.content)
