"""Public models of the billing routes for top-ups, invoices and statements (``api/v2/topups.py``).

Money is exact: ``amount`` fields are integers in the currency's smallest unit (cents), ``currency``
is ISO 4217 in lower case (Stripe's form); credits are integers.
"""

from __future__ import annotations

from datetime import datetime

from ...config import CreditPack
from ...services.invoices import InvoiceRecord
from ...services.payments import StartedCheckout, WebhookOutcome
from ...services.statements import Purchase, Statement, UsageLine
from .schemas import Public

BILLING = "/api/v2/billing"


class CreditPackPublic(Public):
    id: str
    name: str
    credits: int
    amount: int
    currency: str

    @classmethod
    def of(cls, pack: CreditPack) -> CreditPackPublic:
        return cls(id=pack.id, name=pack.title, credits=pack.credits, amount=pack.unit_amount, currency=pack.currency)


class CreditPacksPublic(Public):
    packs: list[CreditPackPublic]
    top_ups_enabled: bool  # false until an admin configures Stripe: the page then explains how


class CheckoutPublic(Public):
    checkout_url: str
    checkout_session_id: str
    topup_id: str
    pack_id: str
    credits: int
    amount: int
    currency: str

    @classmethod
    def of(cls, started: StartedCheckout) -> CheckoutPublic:
        pack = started.pack
        return cls(checkout_url=started.checkout_url, checkout_session_id=started.checkout_session_id,
                   topup_id=started.topup_id, pack_id=pack.id, credits=pack.credits, amount=pack.unit_amount,
                   currency=pack.currency)


class WebhookAckPublic(Public):
    received: bool
    outcome: WebhookOutcome


class InvoicePublic(Public):
    id: str
    number: str
    issued_at: datetime
    buyer_email: str
    description: str
    credits: int
    amount: int
    net_amount: int
    tax_amount: int
    tax_label: str | None
    tax_rate_percent: str | None  # exact decimal text, e.g. "20" or "8.5"
    currency: str
    payment_reference: str | None
    receipt_url: str | None
    pdf_url: str

    @classmethod
    def of(cls, invoice: InvoiceRecord) -> InvoicePublic:
        return cls(id=invoice.id, number=invoice.number, issued_at=invoice.issued_at, buyer_email=invoice.buyer_email,
                   description=invoice.description, credits=invoice.credits, amount=invoice.amount,
                   net_amount=invoice.net_amount, tax_amount=invoice.tax_amount, tax_label=invoice.tax_label,
                   tax_rate_percent=invoice.tax_rate, currency=invoice.currency,
                   payment_reference=invoice.payment_reference, receipt_url=invoice.receipt_url,
                   pdf_url=f"{BILLING}/invoices/{invoice.id}/pdf")


class InvoicesPublic(Public):
    items: list[InvoicePublic]


class UsageLinePublic(Public):
    label: str
    count: int
    credits: int

    @classmethod
    def of(cls, line: UsageLine) -> UsageLinePublic:
        return cls(label=line.label, count=line.count, credits=line.credits)


class PurchasePublic(Public):
    invoice_number: str | None
    paid_at: datetime
    description: str
    credits: int
    amount: int
    currency: str

    @classmethod
    def of(cls, purchase: Purchase) -> PurchasePublic:
        return cls(invoice_number=purchase.invoice_number, paid_at=purchase.paid_at, description=purchase.description,
                   credits=purchase.credits, amount=purchase.amount, currency=purchase.currency)


class StatementPublic(Public):
    month: str
    period_start: datetime
    period_end: datetime
    credits_added: int
    credits_used: int
    refunds: int
    purchases: list[PurchasePublic]
    gpu_sessions: list[UsageLinePublic]
    runs_by_model: list[UsageLinePublic]
    pdf_url: str

    @classmethod
    def of(cls, statement: Statement) -> StatementPublic:
        usage = statement.usage
        return cls(month=statement.month, period_start=statement.period_start, period_end=statement.period_end,
                   credits_added=usage.credits_added, credits_used=usage.credits_used, refunds=usage.refunds,
                   purchases=[PurchasePublic.of(p) for p in usage.purchases],
                   gpu_sessions=[UsageLinePublic.of(line) for line in usage.gpu_sessions],
                   runs_by_model=[UsageLinePublic.of(line) for line in usage.runs_by_model],
                   pdf_url=f"{BILLING}/statements/{statement.month}/pdf")


class StatementsPublic(Public):
    items: list[StatementPublic]
