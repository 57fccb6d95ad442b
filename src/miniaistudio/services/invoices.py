"""Invoices of paid top-ups: numbered ``INV-YYYY-000001`` without gaps, fixed when issued, read by
their buyer (or an admin), and rendered as PDF.

A number is taken from ``invoice_counters`` in the transaction that marks the top-up paid and
writes the invoice: the counter row stays locked until that transaction commits, and a transaction
that fails gives its number back by rolling back, so numbers are gapless even under concurrency
(SQLite serialises writers; PostgreSQL locks the counter row on UPDATE).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.errors import InvoiceNotFound
from ..core.policy import Principal, require_invoice
from ..store.db import Database
from ..store.tables import Invoice, InvoiceCounter, TopUp
from .billing_documents import invoice_pdf


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    tax_id: str | None


@dataclass(frozen=True)
class TaxRule:
    """Tax included in pack prices: ``rate_percent`` of the net amount, shown as one line."""

    label: str
    rate_percent: Decimal

    def included_in(self, gross: int) -> int:
        """The tax inside ``gross`` (smallest currency units), rounded half up to a whole unit."""
        net = (Decimal(gross) * 100 / (100 + self.rate_percent)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return gross - int(net)


@dataclass(frozen=True)
class InvoiceRecord:
    id: str
    number: str
    issued_at: datetime
    user_id: str
    buyer_email: str
    seller: Seller
    description: str
    credits: int
    amount: int  # total paid, tax included, in the currency's smallest unit
    net_amount: int
    tax_amount: int
    tax_label: str | None
    tax_rate: str | None
    currency: str
    payment_reference: str | None
    receipt_url: str | None
    topup_id: str

    @staticmethod
    def of(row: Invoice) -> InvoiceRecord:
        seller = row.seller or {}
        return InvoiceRecord(
            id=row.id, number=row.number, issued_at=row.issued_at, user_id=row.user_id, buyer_email=row.buyer_email,
            seller=Seller(name=str(seller.get("name", "")), address=str(seller.get("address", "")),
                          tax_id=seller.get("tax_id")),
            description=row.description, credits=row.credits, amount=row.amount,
            net_amount=row.amount - row.tax_amount, tax_amount=row.tax_amount, tax_label=row.tax_label,
            tax_rate=row.tax_rate, currency=row.currency, payment_reference=row.payment_reference,
            receipt_url=row.receipt_url, topup_id=row.topup_id)


def invoice_number(year: int, sequence: int) -> str:
    return f"INV-{year:04d}-{sequence:06d}"


class Invoices:
    def __init__(self, db: Database, seller: Seller, tax: TaxRule | None = None) -> None:
        self.db = db
        self.seller = seller
        self.tax = tax

    def issue(self, s: Session, topup: TopUp, *, buyer_email: str, issued_at: datetime) -> Invoice:
        """Write the invoice of ``topup`` in the caller's transaction (the one marking it paid)."""
        year = issued_at.year
        sequence = self._next_sequence(s, year)
        tax_amount = self.tax.included_in(topup.amount) if self.tax else 0
        invoice = Invoice(
            id=str(uuid.uuid4()), number=invoice_number(year, sequence), year=year, sequence=sequence,
            user_id=topup.user_id, topup_id=topup.id, issued_at=issued_at, buyer_email=buyer_email,
            description=f"{topup.pack_name} ({topup.credits:,} credits)", credits=topup.credits,
            amount=topup.amount, tax_amount=tax_amount, tax_label=self.tax.label if self.tax else None,
            tax_rate=format(self.tax.rate_percent.normalize(), "f") if self.tax else None, currency=topup.currency,
            payment_reference=topup.payment_reference, receipt_url=topup.receipt_url,
            seller={"name": self.seller.name, "address": self.seller.address, "tax_id": self.seller.tax_id})
        s.add(invoice)
        s.flush()
        return invoice

    @staticmethod
    def _next_sequence(s: Session, year: int) -> int:
        """The year's next number, from its counter row (created by the year's first invoice)."""
        bump = update(InvoiceCounter).where(InvoiceCounter.year == year).values(
            last_number=InvoiceCounter.last_number + 1)
        if s.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
            try:
                with s.begin_nested():  # a savepoint: a lost race must not abort the whole transaction
                    s.execute(insert(InvoiceCounter).values(year=year, last_number=1))
                return 1
            except IntegrityError:  # another payment created the row first: count after it
                s.execute(bump)
        return int(s.scalar(select(InvoiceCounter.last_number).where(InvoiceCounter.year == year)) or 0)

    # -- reading ---------------------------------------------------------------------------------
    def list_for(self, principal: Principal, *, limit: int = 100) -> list[InvoiceRecord]:
        """The caller's invoices, newest first."""
        with self.db.session() as s:
            rows = s.scalars(select(Invoice).where(Invoice.user_id == principal.user_id)
                             .order_by(Invoice.issued_at.desc(), Invoice.sequence.desc()).limit(limit)).all()
            return [InvoiceRecord.of(row) for row in rows]

    def read(self, principal: Principal, invoice_id: str) -> InvoiceRecord:
        with self.db.session() as s:
            row = s.get(Invoice, invoice_id)
            if row is None:
                raise InvoiceNotFound("invoice not found")
            require_invoice(principal, row.user_id)
            return InvoiceRecord.of(row)

    def pdf(self, principal: Principal, invoice_id: str) -> tuple[str, bytes]:
        """(file name, PDF bytes) of one invoice. CPU work: call it off the event loop."""
        record = self.read(principal, invoice_id)
        return f"{record.number}.pdf", invoice_pdf(record)
