"""GPU smart billing: the paid time of the GPU runtime, per started minute, from prepaid blocks.

Starting the runtime (``POST /api/v2/gpu/start``, the GPU Control node, or a GPU node's
auto-start) opens a billing session for the user who started it and holds a prepaid block
(``gpu_prepaid_minutes * gpu_price_per_minute``) from their credits. While it runs, :meth:`tick`
(about every second) extends it by another block before the paid time runs out (or stops the
runtime gracefully, recording ``insufficient_balance``, when the balance cannot cover one), stops
it after ``gpu_idle_timeout_seconds`` without running work, and writes ``last_tick_at`` every few
seconds. Closing charges ``max(1, ceil(elapsed / 60)) * price`` and releases the rest of the blocks:
the refund is exact. After a crash, :meth:`recover` closes an open session with the time up to its
last tick, so nobody pays for time after the crash and no refund is lost.

Several API processes on one database (``holder_id`` given): the process that opened a session
holds it (``holder_id``) and heartbeats it every tick; only the holder ticks it, and an extension is
a compare-and-set on ``paid_seconds``, so one interval is held once across every process. Start-up
and a periodic :meth:`recover` close only sessions whose holder stopped heartbeating for the lease
time (the ``open -> closed`` claim makes that once); a holder that finds its session closed by
another process stops its runtime without settling it again.

:class:`GpuBilling` is the runtime's :class:`~miniaistudio.runtimes.models.gpu.GpuObserver`.
Its methods are synchronous (they run on the runtime's and the ticker's threads).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..core.errors import BillingUnavailable
from ..runtimes.models.gpu import GpuRuntime
from ..store.db import Database
from ..store.tables import CreditHold, GpuBillingSession
from .credits import CreditLedger, rows_touched

log = logging.getLogger(__name__)

#: ``last_tick_at`` is written at least this often while a session is open.
PERSIST_EVERY = timedelta(seconds=5)
#: A new block is held this long before the paid time runs out (ticks come about every second).
EXTEND_AHEAD = timedelta(seconds=3)


@dataclass(frozen=True)
class GpuActive:
    """An open billing session, as of now."""

    id: str
    user_id: str
    started_at: datetime
    elapsed_seconds: int
    paid_seconds: int
    task_count: int
    expires_at: datetime  # when it stops if nothing runs before then
    estimated_refund: int  # credits given back if stopped now
    price_per_minute: int
    held: int


@dataclass(frozen=True)
class GpuUsage:
    """A billing session as the usage history lists it (closed ones have the charge and refund)."""

    id: str
    status: str
    started_at: datetime
    closed_at: datetime | None
    used_seconds: int | None
    paid_seconds: int
    task_count: int
    price_per_minute: int
    held: int
    charged: int | None
    refunded: int | None
    close_reason: str | None


@dataclass
class _Open:
    id: str
    user_id: str
    started_at: datetime
    price_per_minute: int
    block_minutes: int
    held: int
    paid_seconds: int
    task_count: int
    last_activity_at: datetime
    persisted_at: datetime


def started_minutes(elapsed: timedelta) -> int:
    """Minutes charged for ``elapsed`` runtime: every started minute, at least one."""
    return max(1, math.ceil(elapsed.total_seconds() / 60))


class GpuBilling:
    def __init__(self, db: Database, ledger: CreditLedger, runtime: GpuRuntime, *, price_per_minute: int,
                 block_minutes: int, idle_timeout_seconds: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 holder_id: str | None = None, lease_seconds: float = 15.0,
                 wall: Callable[[], float] = time.time) -> None:
        self.db = db
        self.ledger = ledger
        self.runtime = runtime
        self.price_per_minute = price_per_minute
        self.block_minutes = block_minutes
        self.idle_timeout = timedelta(seconds=idle_timeout_seconds)
        self.clock = clock
        self.holder_id = holder_id  # None: the embedded studio, the only process
        self.lease_seconds = lease_seconds
        self.wall = wall  # heartbeats, in epoch seconds as run leases
        self._lock = threading.RLock()
        self._open: _Open | None = None
        self._stop_reason: str | None = None  # why the next stop happens (idle, insufficient_balance)
        runtime.observer = self

    @property
    def is_open(self) -> bool:
        return self._open is not None

    # ------------------------------------------------------------ the observer
    def starting(self, started_by: str | None) -> None:
        """Open a session and hold the first block; INSUFFICIENT_BALANCE (or BILLING_UNAVAILABLE)
        refuses the start."""
        if started_by is None:
            return  # the studio itself started it: nobody to bill
        try:
            self._open_session(started_by)
        except SQLAlchemyError as exc:
            log.exception("GPU billing could not open a session")
            raise BillingUnavailable("billing state cannot be read right now; the GPU runtime was not started") \
                from exc

    def _open_session(self, started_by: str) -> None:
        with self._lock:
            if self._open is not None:
                return
            now = self.clock()
            session_id = str(uuid.uuid4())
            block = self.price_per_minute * self.block_minutes
            with self.db.session() as s:  # the row first, so a hold never exists without its session
                s.add(GpuBillingSession(id=session_id, user_id=started_by, status="open",
                                        price_per_minute=self.price_per_minute, block_minutes=self.block_minutes,
                                        held=0, paid_seconds=0, task_count=0, started_at=now, last_tick_at=now,
                                        last_activity_at=now, holder_id=self.holder_id,
                                        heartbeat_at=self.wall()))
            try:
                if block > 0:
                    self.ledger.hold(started_by, block, actor_id=started_by, purpose="gpu",
                                     gpu_session_id=session_id, reason="GPU runtime: prepaid block")
            except BaseException:
                with self.db.session() as s:
                    s.execute(update(GpuBillingSession).where(GpuBillingSession.id == session_id)
                              .values(status="closed", charged=0, refunded=0, used_seconds=0,
                                      close_reason="insufficient_balance", closed_at=now))
                raise
            paid = self.block_minutes * 60
            with self.db.session() as s:
                s.execute(update(GpuBillingSession).where(GpuBillingSession.id == session_id)
                          .values(held=block, paid_seconds=paid))
            self._open = _Open(session_id, started_by, now, self.price_per_minute, self.block_minutes, block, paid,
                               0, now, now)
            self._stop_reason = None

    def start_failed(self) -> None:
        self._close("start_failed", charge_nothing=True)

    def task_finished(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.task_count += 1
                self._open.last_activity_at = self.clock()

    def stopped(self) -> None:
        with self._lock:
            reason, self._stop_reason = self._stop_reason or "stopped", None
        self._close(reason)

    # ----------------------------------------------------------------- ticking
    def tick(self) -> None:
        """Extend, expire, or persist the open session (call about every second)."""
        with self._lock:
            current = self._open
            if current is None:
                return
            now = self.clock()
            stop_reason = None
            if self.holder_id is not None and not self._heartbeat(current):
                log.warning("GPU billing session %s was closed by another process; stopping the runtime", current.id)
                self._open = None
                stop_reason = "taken_over"
            elif self.runtime.running_tasks == 0 and now >= current.last_activity_at + self.idle_timeout:
                stop_reason = "idle"
            elif (now + EXTEND_AHEAD >= current.started_at + timedelta(seconds=current.paid_seconds)
                  and not self._extend(current)):
                stop_reason = "insufficient_balance"
            if stop_reason is None and now - current.persisted_at >= PERSIST_EVERY:
                self._persist(current, now)
            if stop_reason is not None:
                self._stop_reason = stop_reason
        if stop_reason is not None:
            log.info("stopping the GPU runtime: %s", stop_reason)
            self.runtime.stop("graceful")

    def _heartbeat(self, current: _Open) -> bool:
        """Refresh this process's hold on the session; False when another process closed it."""
        with self.db.session() as s:
            done = s.execute(update(GpuBillingSession)
                             .where(GpuBillingSession.id == current.id, GpuBillingSession.status == "open",
                                    GpuBillingSession.holder_id == self.holder_id)
                             .values(heartbeat_at=self.wall()))
            return rows_touched(done) == 1

    def _claim_block(self, current: _Open, paid_seconds: int, held: int) -> bool:
        """Move the session from ``current``'s paid time to the next (compare-and-set): across every
        process, one claim wins per interval."""
        with self.db.session() as s:
            done = s.execute(update(GpuBillingSession)
                             .where(GpuBillingSession.id == current.id, GpuBillingSession.status == "open",
                                    GpuBillingSession.paid_seconds == current.paid_seconds)
                             .values(held=held, paid_seconds=paid_seconds))
            return rows_touched(done) == 1

    def _extend(self, current: _Open) -> bool:
        block = current.price_per_minute * current.block_minutes
        paid = current.paid_seconds + current.block_minutes * 60
        if not self._claim_block(current, paid, current.held + block):
            log.warning("GPU billing session %s was extended or closed elsewhere; not extending it", current.id)
            return False
        if block > 0:
            try:
                self.ledger.hold(current.user_id, block, actor_id=current.user_id, purpose="gpu",
                                 gpu_session_id=current.id, reason="GPU runtime: another prepaid block")
            except Exception as exc:  # INSUFFICIENT_BALANCE (or the ledger is unreachable): stop gracefully
                log.warning("could not extend GPU billing session %s: %s", current.id, exc)
                with self.db.session() as s:  # the claim back: the paid time is what the holds cover
                    s.execute(update(GpuBillingSession)
                              .where(GpuBillingSession.id == current.id, GpuBillingSession.paid_seconds == paid)
                              .values(held=current.held, paid_seconds=current.paid_seconds))
                return False
        current.held += block
        current.paid_seconds = paid
        return True

    def _persist(self, current: _Open, now: datetime) -> None:
        with self.db.session() as s:
            s.execute(update(GpuBillingSession).where(GpuBillingSession.id == current.id)
                      .values(last_tick_at=now, task_count=current.task_count,
                              last_activity_at=current.last_activity_at))
        current.persisted_at = now

    # ----------------------------------------------------------------- closing
    def _close(self, reason: str, *, charge_nothing: bool = False) -> None:
        with self._lock:
            current, self._open = self._open, None
        if current is None:
            return
        self._settle(current.id, current.started_at, self.clock(), current.price_per_minute, current.task_count,
                     reason, charge_nothing=charge_nothing)

    def _settle(self, session_id: str, started_at: datetime, until: datetime, price: int, task_count: int,
                reason: str, *, charge_nothing: bool = False) -> bool:
        """Charge the started minutes up to ``until`` from the session's holds, oldest first; release the
        rest. The session row is claimed first (open -> closed), so a session is settled once."""
        elapsed = max(until - started_at, timedelta(0))
        holds = self._holds(session_id)
        held = sum(h.amount for h in holds)
        minutes = started_minutes(elapsed)
        charge = 0 if charge_nothing else min(minutes * price, held)
        with self.db.session() as s:
            claimed = s.execute(update(GpuBillingSession)
                                .where(GpuBillingSession.id == session_id, GpuBillingSession.status == "open")
                                .values(status="closed", held=held, charged=charge, refunded=held - charge,
                                        used_seconds=math.ceil(elapsed.total_seconds()), task_count=task_count,
                                        close_reason=reason, last_tick_at=until, closed_at=self.clock()))
            if rows_touched(claimed) == 0:
                return False  # already closed (by a recovery in another process)
        remaining = charge
        for hold in holds:
            take = min(remaining, hold.amount)
            self.ledger.capture(hold.id, take, reason=f"GPU runtime: {minutes} started minute(s)"
                                if take else "GPU runtime: unused prepaid time")
            remaining -= take
        log.info("GPU billing session %s closed (%s): %d charged, %d refunded", session_id, reason, charge,
                 held - charge)
        return True

    def _holds(self, session_id: str) -> list[CreditHold]:
        with self.db.session() as s:
            return list(s.scalars(select(CreditHold).where(CreditHold.gpu_session_id == session_id,
                                                           CreditHold.status == "active")
                                  .order_by(CreditHold.created_at)))

    def close(self, reason: str = "shutdown") -> None:
        """Close the open session now (the studio is shutting down)."""
        self._close(reason)

    def recover(self, previous: str | None = None) -> int:
        """Start-up (and, with several processes, now and then): close the open sessions whose holder
        is gone with the time up to their last tick, then release any GPU hold without an open
        session. Sessions other live processes hold are left alone; ``previous``: the holder-id start
        of this server's earlier lives (dead, however fresh their heartbeat). Returns how many were closed."""
        holds = self.ledger.active_holds("gpu")  # first: a hold listed here has its session row already
        with self.db.session() as s:
            query = select(GpuBillingSession).where(GpuBillingSession.status == "open")
            rows = list(s.scalars(query))
        with self._lock:
            mine = self._open.id if self._open is not None else None
        dead = self.wall() - self.lease_seconds
        stale = [r for r in rows if r.id != mine and (
            self.holder_id is None or r.holder_id is None or (r.heartbeat_at or 0.0) < dead
            or (previous is not None and r.holder_id.startswith(previous) and r.holder_id != self.holder_id))]
        closed = 0
        for row in stale:
            if self._settle(row.id, row.started_at, row.last_tick_at, row.price_per_minute, row.task_count,
                            "interrupted"):
                closed += 1
        still_open = {r.id for r in rows} - {r.id for r in stale}
        for session_id in {h.gpu_session_id for h in holds if h.gpu_session_id not in still_open}:
            self._finish_holds(session_id)
        return closed

    def _finish_holds(self, session_id: str | None) -> None:
        """Settle the holds a closed session left active, as its close would have: its charge from the
        oldest first, the rest given back. A close still capturing in another process computes the
        same amounts (each capture happens once); a block held after the close gets nothing charged."""
        with self.db.session() as s:
            row = s.get(GpuBillingSession, session_id) if session_id is not None else None
            if row is not None and row.status == "open":
                return
            remaining = (row.charged or 0) if row is not None else 0
            holds = list(s.scalars(select(CreditHold).where(CreditHold.gpu_session_id == session_id)
                                   .order_by(CreditHold.created_at)))
        for hold in holds:
            if hold.status != "active":
                remaining -= hold.captured
                continue
            take = min(max(remaining, 0), hold.amount)
            self.ledger.capture(hold.id, take, reason="GPU runtime: started minute(s)"
                                if take else "GPU runtime: unused prepaid time")
            remaining -= take

    # ----------------------------------------------------------------- reading
    def active(self, user_id: str) -> GpuActive | None:
        """The user's open session: this process's, or (several processes) the one a live process holds,
        as of its last persisted tick."""
        with self._lock:
            current = self._open
            if current is None or current.user_id != user_id:
                return self._held_elsewhere(user_id) if self.holder_id is not None else None
            return self._active_of(current)

    def _held_elsewhere(self, user_id: str) -> GpuActive | None:
        fresh = self.wall() - self.lease_seconds
        with self.db.session() as s:
            row = s.scalars(select(GpuBillingSession).where(
                GpuBillingSession.user_id == user_id, GpuBillingSession.status == "open",
                GpuBillingSession.heartbeat_at >= fresh).order_by(GpuBillingSession.started_at.desc())).first()
            if row is None:
                return None
            return self._active_of(_Open(row.id, row.user_id, row.started_at, row.price_per_minute,
                                         row.block_minutes, row.held, row.paid_seconds, row.task_count,
                                         row.last_activity_at, row.last_tick_at))

    def _active_of(self, current: _Open) -> GpuActive:
        now = self.clock()
        elapsed = max(now - current.started_at, timedelta(0))
        charge = min(started_minutes(elapsed) * current.price_per_minute, current.held)
        return GpuActive(id=current.id, user_id=current.user_id, started_at=current.started_at,
                         elapsed_seconds=int(elapsed.total_seconds()), paid_seconds=current.paid_seconds,
                         task_count=current.task_count, expires_at=current.last_activity_at + self.idle_timeout,
                         estimated_refund=current.held - charge, price_per_minute=current.price_per_minute,
                         held=current.held)

    def usage(self, user_id: str, limit: int, offset: int = 0) -> tuple[list[GpuUsage], int]:
        """The user's billing sessions, newest first, and how many there are."""
        with self.db.session() as s:
            total = int(s.scalar(select(func.count()).select_from(GpuBillingSession)
                                 .where(GpuBillingSession.user_id == user_id)) or 0)
            rows = s.scalars(select(GpuBillingSession).where(GpuBillingSession.user_id == user_id)
                             .order_by(GpuBillingSession.started_at.desc()).limit(limit).offset(offset)).all()
            return [GpuUsage(r.id, r.status, r.started_at, r.closed_at, r.used_seconds, r.paid_seconds, r.task_count,
                             r.price_per_minute, r.held, r.charged, r.refunded, r.close_reason) for r in rows], total
