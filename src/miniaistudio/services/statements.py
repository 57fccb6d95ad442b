"""Monthly usage statements: per user and calendar month (UTC), what was bought and what was used.

Everything a statement says is read by one function, :func:`usage_for_month`, so the statement,
its list entry and its PDF can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequest, Unauthorized
from ..core.policy import Principal
from ..store.db import Database
from ..store.tables import GpuBillingSession, Invoice, LedgerEntry, TopUp, User
from .billing_documents import statement_pdf

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")  # ASCII digits only: \d matches any script
#: How many months ``GET /billing/statements`` lists at most (newest first).
LISTED_MONTHS = 12


@dataclass(frozen=True)
class UsageLine:
    """One row of a statement table: what, how many times, for how many credits."""

    label: str
    count: int
    credits: int


@dataclass(frozen=True)
class Purchase:
    invoice_number: str | None
    paid_at: datetime
    description: str
    credits: int
    amount: int
    currency: str


@dataclass(frozen=True)
class MonthUsage:
    credits_added: int = 0
    credits_used: int = 0
    refunds: int = 0
    purchases: list[Purchase] = field(default_factory=list)
    gpu_sessions: list[UsageLine] = field(default_factory=list)  # count: tasks served
    runs_by_model: list[UsageLine] = field(default_factory=list)


@dataclass(frozen=True)
class Statement:
    month: str  # YYYY-MM
    period_start: datetime
    period_end: datetime  # exclusive: the first instant of the next month
    user_id: str
    email: str
    usage: MonthUsage


def parse_month(month: str) -> tuple[datetime, datetime]:
    """[start, end) of ``YYYY-MM`` in UTC, or ``INVALID_MONTH``."""
    match = _MONTH.match(month)
    if match is None:
        raise InvalidRequest("month must be written YYYY-MM, e.g. 2026-12", code="INVALID_MONTH",
                             details={"month": month[:20]})
    year, number = int(match[1]), int(match[2])
    if not 1970 <= year <= 9998:
        raise InvalidRequest("month must be between 1970-01 and 9998-12", code="INVALID_MONTH",
                             details={"month": month})
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def usage_for_month(s: Session, user_id: str, start: datetime, end: datetime) -> MonthUsage:
    """Everything a statement reports for ``user_id`` in [start, end): the one query of statements.

    From the credits ledger: credits added (top-ups, grants, positive adjustments), used (captures:
    what runs and GPU time were charged), refunded; runs' charges grouped by model; GPU billing
    sessions started in the month. Purchases come from paid top-ups, with their invoice numbers.
    """
    in_month = (LedgerEntry.user_id == user_id, LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
    added = s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        *in_month, or_(LedgerEntry.kind.in_(("topup", "grant")),
                       and_(LedgerEntry.kind == "adjustment", LedgerEntry.amount > 0))))
    used = s.scalar(select(func.coalesce(func.sum(-LedgerEntry.reserved_delta), 0)).where(
        *in_month, LedgerEntry.kind == "capture"))
    refunds = s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        *in_month, LedgerEntry.kind == "refund"))
    by_model = s.execute(
        select(LedgerEntry.model_id, func.count(), func.coalesce(func.sum(-LedgerEntry.reserved_delta), 0))
        .where(*in_month, LedgerEntry.kind == "capture", LedgerEntry.run_id.is_not(None))
        .group_by(LedgerEntry.model_id).order_by(LedgerEntry.model_id)).all()
    gpu = s.scalars(select(GpuBillingSession).where(
        GpuBillingSession.user_id == user_id, GpuBillingSession.started_at >= start,
        GpuBillingSession.started_at < end).order_by(GpuBillingSession.started_at)).all()
    purchases = [
        Purchase(invoice_number=number, paid_at=topup.paid_at or topup.created_at, description=topup.pack_name,
                 credits=topup.credits, amount=topup.amount, currency=topup.currency)
        for topup, number in s.execute(
            select(TopUp, Invoice.number).outerjoin(Invoice, Invoice.topup_id == TopUp.id)
            .where(TopUp.user_id == user_id, TopUp.status == "paid", TopUp.paid_at >= start, TopUp.paid_at < end)
            .order_by(TopUp.paid_at)).all()]
    return MonthUsage(
        credits_added=int(added or 0), credits_used=int(used or 0), refunds=int(refunds or 0), purchases=purchases,
        runs_by_model=[UsageLine(label=model or "node prices (no single model)", count=int(count),
                                 credits=int(credits)) for model, count, credits in by_model],
        gpu_sessions=[UsageLine(label=_gpu_label(g), count=g.task_count, credits=int(g.charged or 0)) for g in gpu])


def _gpu_label(session: GpuBillingSession) -> str:
    minutes = -(-(session.used_seconds or 0) // 60)  # started minutes, as they are charged
    state = f"{minutes} started min" if session.status == "closed" else "still open"
    return f"{session.started_at:%Y-%m-%d %H:%M} UTC, {state}"


class Statements:
    def __init__(self, db: Database) -> None:
        self.db = db

    def for_month(self, principal: Principal, month: str) -> Statement:
        start, end = parse_month(month)
        with self.db.session() as s:
            return self._statement(s, principal.user_id, month, start, end)

    def recent(self, principal: Principal, *, now: datetime | None = None) -> list[Statement]:
        """The caller's statements from the current month back (at most :data:`LISTED_MONTHS`, never
        before the account existed), newest first."""
        now = now or datetime.now(UTC)
        with self.db.session() as s:
            user = s.get(User, principal.user_id)
            if user is None:
                raise Unauthorized("the account no longer exists", details={"reason": "user_gone"})
            first = (user.created_at.year, user.created_at.month)
            statements: list[Statement] = []
            year, number = now.year, now.month
            while len(statements) < LISTED_MONTHS and (year, number) >= first:
                month = f"{year:04d}-{number:02d}"
                start, end = parse_month(month)
                statements.append(self._statement(s, user.id, month, start, end))
                year, number = (year, number - 1) if number > 1 else (year - 1, 12)
            return statements

    def pdf(self, principal: Principal, month: str) -> tuple[str, bytes]:
        """(file name, PDF bytes) of the caller's statement. CPU work: call it off the event loop."""
        statement = self.for_month(principal, month)
        return f"statement-{month}.pdf", statement_pdf(statement)

    @staticmethod
    def _statement(s: Session, user_id: str, month: str, start: datetime, end: datetime) -> Statement:
        email = s.scalar(select(User.email).where(User.id == user_id)) or ""
        return Statement(month=month, period_start=start, period_end=end, user_id=user_id, email=email,
                         usage=usage_for_month(s, user_id, start, end))
