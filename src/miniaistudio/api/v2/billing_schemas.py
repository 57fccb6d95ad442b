"""The v2 door's public models of billing: balance, usage history and the active GPU session
(a sibling of ``schemas.py``, same conventions)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ...services.credits import Balance
from ...services.gpu_billing import GpuActive
from ...services.usage_history import UsagePage, UsageRecord
from .schemas import Public


class BalancePublic(Public):
    available: int
    reserved: int
    total: int  # available + reserved
    billing: Literal["credits", "off"]

    @classmethod
    def of(cls, balance: Balance, billing: Literal["credits", "off"]) -> BalancePublic:
        return cls(available=balance.available, reserved=balance.reserved, total=balance.total, billing=billing)


class UsageRecordPublic(Public):
    type: Literal["gpu", "run"]
    id: str
    at: datetime
    credits: int
    refunded: int
    status: str
    session_id: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    actor_id: str | None = None
    used_seconds: int | None = None
    paid_seconds: int | None = None
    task_count: int | None = None
    price_per_minute: int | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None

    @classmethod
    def of(cls, r: UsageRecord) -> UsageRecordPublic:
        return cls(type=r.type, id=r.id, at=r.at, credits=r.credits, refunded=r.refunded, status=r.status,
                   session_id=r.session_id, run_id=r.run_id, model_id=r.model_id, actor_id=r.actor_id,
                   used_seconds=r.used_seconds, paid_seconds=r.paid_seconds, task_count=r.task_count,
                   price_per_minute=r.price_per_minute, closed_at=r.closed_at, close_reason=r.close_reason)


class UsageTotalsPublic(Public):
    credits: int
    run_credits: int
    gpu_credits: int
    gpu_refunded: int
    gpu_seconds: int
    runs: int
    gpu_sessions: int


class SessionSpendPublic(Public):
    """Run credits charged in one session; ``name`` is null once the session was deleted."""

    session_id: str
    name: str | None
    credits: int
    runs: int


class UsageHistoryPublic(Public):
    items: list[UsageRecordPublic]
    page: int
    page_size: int
    total: int
    totals: UsageTotalsPublic
    by_session: list[SessionSpendPublic] = Field(description="the sessions that cost the most (up to 20), most first")

    @classmethod
    def of(cls, found: UsagePage) -> UsageHistoryPublic:
        t = found.totals
        return cls(items=[UsageRecordPublic.of(r) for r in found.items], page=found.page, page_size=found.page_size,
                   total=found.total,
                   totals=UsageTotalsPublic(credits=t.credits, run_credits=t.run_credits, gpu_credits=t.gpu_credits,
                                            gpu_refunded=t.gpu_refunded, gpu_seconds=t.gpu_seconds, runs=t.runs,
                                            gpu_sessions=t.gpu_sessions),
                   by_session=[SessionSpendPublic(session_id=b.session_id, name=b.name, credits=b.credits, runs=b.runs)
                               for b in found.by_session])


class GpuActivePublic(Public):
    """The caller's open GPU billing session; every field but ``active`` is null when there is none."""

    active: bool
    id: str | None = None
    started_at: datetime | None = None
    elapsed_seconds: int | None = None
    paid_seconds: int | None = None
    task_count: int | None = None
    expires_at: datetime | None = None
    estimated_refund: int | None = None
    price_per_minute: int | None = None
    held: int | None = None

    @classmethod
    def of(cls, found: GpuActive | None) -> GpuActivePublic:
        if found is None:
            return cls(active=False)
        return cls(active=True, id=found.id, started_at=found.started_at, elapsed_seconds=found.elapsed_seconds,
                   paid_seconds=found.paid_seconds, task_count=found.task_count, expires_at=found.expires_at,
                   estimated_refund=found.estimated_refund, price_per_minute=found.price_per_minute,
                   held=found.held)
