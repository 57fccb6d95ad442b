"""What a user's credits were spent on: GPU-minute sessions and per-run charges, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, select

from ..store.db import Database
from ..store.tables import GpuBillingSession, LedgerEntry, StudioSession

MAX_PAGE = 200  # pages deeper than this are refused (each page merges two newest-first lists)
TOP_SESSIONS = 20  # the sessions that cost the most, for "credits spent per session"


@dataclass(frozen=True)
class UsageRecord:
    type: Literal["gpu", "run"]
    id: str
    at: datetime  # when it started (GPU) or was charged (run)
    credits: int  # charged (an open GPU session: held so far)
    refunded: int
    status: str  # run: charged; gpu: open | closed
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


@dataclass(frozen=True)
class UsageTotals:
    run_credits: int
    gpu_credits: int
    gpu_refunded: int
    gpu_seconds: int
    runs: int
    gpu_sessions: int

    @property
    def credits(self) -> int:
        return self.run_credits + self.gpu_credits


@dataclass(frozen=True)
class SessionSpend:
    """Run credits charged in one session (a deleted session keeps its charges, without a name)."""

    session_id: str
    name: str | None
    credits: int
    runs: int


@dataclass(frozen=True)
class UsagePage:
    items: list[UsageRecord]
    page: int
    page_size: int
    total: int
    totals: UsageTotals
    by_session: list[SessionSpend]


def _run_charges() -> tuple[ColumnElement[bool], ...]:
    return (LedgerEntry.kind == "capture", LedgerEntry.run_id.is_not(None))


class UsageHistory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def page(self, user_id: str, page: int, page_size: int) -> UsagePage:
        depth = page * page_size
        with self.db.session() as s:
            charges = s.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id, *_run_charges())
                                .order_by(LedgerEntry.id.desc()).limit(depth)).all()
            gpu = s.scalars(select(GpuBillingSession).where(GpuBillingSession.user_id == user_id)
                            .order_by(GpuBillingSession.started_at.desc()).limit(depth)).all()
            run_count, run_credits = s.execute(
                select(func.count(), func.coalesce(func.sum(-LedgerEntry.reserved_delta), 0))
                .where(LedgerEntry.user_id == user_id, *_run_charges())).one()
            gpu_count, gpu_charged, gpu_refunded, gpu_seconds = s.execute(
                select(func.count(), func.coalesce(func.sum(GpuBillingSession.charged), 0),
                       func.coalesce(func.sum(GpuBillingSession.refunded), 0),
                       func.coalesce(func.sum(GpuBillingSession.used_seconds), 0))
                .where(GpuBillingSession.user_id == user_id)).one()
            spent = func.sum(-LedgerEntry.reserved_delta)
            per_session = s.execute(
                select(LedgerEntry.session_id, StudioSession.name, spent, func.count())
                .outerjoin(StudioSession, StudioSession.id == LedgerEntry.session_id)
                .where(LedgerEntry.user_id == user_id, LedgerEntry.session_id.is_not(None), *_run_charges())
                .group_by(LedgerEntry.session_id, StudioSession.name)
                .order_by(spent.desc(), LedgerEntry.session_id).limit(TOP_SESSIONS)).all()
        by_session = [SessionSpend(str(sid), name, int(credits or 0), int(runs)) for sid, name, credits, runs
                      in per_session]
        records = [UsageRecord("run", str(e.id), e.created_at, -e.reserved_delta, 0, "charged", session_id=e.session_id,
                               run_id=e.run_id, model_id=e.model_id, actor_id=e.actor_id) for e in charges]
        records += [UsageRecord("gpu", g.id, g.started_at, g.charged if g.charged is not None else g.held,
                                g.refunded or 0, g.status, used_seconds=g.used_seconds, paid_seconds=g.paid_seconds,
                                task_count=g.task_count, price_per_minute=g.price_per_minute, closed_at=g.closed_at,
                                close_reason=g.close_reason) for g in gpu]
        records.sort(key=lambda r: r.at, reverse=True)
        run_count, gpu_count = int(run_count or 0), int(gpu_count or 0)
        totals = UsageTotals(int(run_credits or 0), int(gpu_charged or 0), int(gpu_refunded or 0),
                             int(gpu_seconds or 0), run_count, gpu_count)
        return UsagePage(records[(page - 1) * page_size:depth], page, page_size, run_count + gpu_count,
                         totals, by_session)
