"""The credits ledger: balances, holds before work, captures after it, and the append-only entries.

Every change of an account is one transaction that updates ``credit_accounts`` with a
conditional ``UPDATE … WHERE available >= :x`` (never read-then-write: the race was measured on
SQLite and PostgreSQL, ../shared/notes/wave2-deps.md §D.3) and appends a ``ledger_entries`` row
with the balances after it, so ``verify`` can prove each balance equals the sum of its entries.

Holds reserve credits (``available → reserved``); ``capture`` charges at most what was held and
releases the rest in the same transaction; both are idempotent. A collaborator's hold on a shared
session also bumps their ``collaborator_usage`` counter in that transaction, conditionally on
their limits. Amounts are integer credits. Methods are synchronous: async callers run them with
``asyncio.to_thread`` like every other service's database work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.errors import CreditLimit, InsufficientBalance, InvalidRequest, NotFound
from ..store.db import Database
from ..store.tables import CollaboratorUsage, CreditAccount, CreditHold
from ..store.tables import LedgerEntry as EntryRow

#: The largest amount one operation moves, and the largest balance an account may reach.
MAX_AMOUNT = 10**12
MAX_BALANCE = 10**15
STARTING_GRANT_KEY = "starting-grant:"

EntryKind = Literal["grant", "topup", "hold", "capture", "release", "refund", "adjustment"]
HoldPurpose = Literal["run", "gpu"]


@dataclass(frozen=True)
class Balance:
    available: int
    reserved: int

    @property
    def total(self) -> int:
        return self.available + self.reserved


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    user_id: str
    kind: str
    amount: int  # effect on available
    reserved_delta: int  # effect on reserved
    available_after: int
    reserved_after: int
    reason: str
    run_id: str | None
    session_id: str | None
    model_id: str | None
    gpu_session_id: str | None
    hold_id: str | None
    actor_id: str | None
    ref_type: str | None
    ref_id: str | None
    idempotency_key: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: EntryRow) -> LedgerEntry:
        return cls(row.id, row.user_id, row.kind, row.amount, row.reserved_delta, row.available_after,
                   row.reserved_after, row.reason, row.run_id, row.session_id, row.model_id, row.gpu_session_id,
                   row.hold_id, row.actor_id, row.ref_type, row.ref_id, row.idempotency_key, row.created_at)


@dataclass(frozen=True)
class Hold:
    id: str
    payer_id: str
    actor_id: str
    session_id: str | None
    run_id: str | None
    gpu_session_id: str | None
    purpose: str
    amount: int
    captured: int
    refunded: int
    status: str  # active | captured | released
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: CreditHold) -> Hold:
        return cls(row.id, row.user_id, row.actor_id, row.session_id, row.run_id, row.gpu_session_id, row.purpose,
                   row.amount, row.captured, row.refunded, row.status, row.created_at, row.closed_at)


@dataclass(frozen=True)
class CollaboratorLimits:
    """A collaborator's credit limits on a shared session (None: unlimited)."""

    monthly: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]
    total: int  # entries of the user in all
    page: int
    page_size: int


@dataclass(frozen=True)
class AccountCheck:
    """An account against the sum of its entries and its active holds."""

    user_id: str
    available: int
    reserved: int
    entries_available: int
    entries_reserved: int
    holds_reserved: int

    @property
    def ok(self) -> bool:
        return (self.available == self.entries_available and self.reserved == self.entries_reserved
                and self.reserved == self.holds_reserved)


def _amount(value: int, *, what: str = "amount") -> int:
    """A positive integer amount within bounds, else INVALID_AMOUNT (never a 500, never stored)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{what} must be an integer number of credits", code="INVALID_AMOUNT")
    if value <= 0 or value > MAX_AMOUNT:
        raise InvalidRequest(f"{what} must be between 1 and {MAX_AMOUNT} credits", code="INVALID_AMOUNT",
                             details={"amount": value, "max": MAX_AMOUNT})
    return value


def rows_touched(result: Result[Any]) -> int:
    """Rows an INSERT/UPDATE touched (every DML result is a cursor result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


class CreditLedger:
    def __init__(self, db: Database, *, starting_grant: int = 0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.starting_grant = starting_grant
        self.clock = clock

    # ----------------------------------------------------------------- reading
    def balance(self, user_id: str, *, open_account: bool = True) -> Balance:
        """The user's balance; opens the account (with the starting grant) on first use unless told not to."""
        with self.db.session() as s:
            row = s.get(CreditAccount, user_id)
            if row is not None:
                return Balance(row.available, row.reserved)
        if not open_account:
            return Balance(0, 0)
        self.open_account(user_id)
        with self.db.session() as s:
            row = s.get(CreditAccount, user_id)
            return Balance(row.available, row.reserved) if row else Balance(0, 0)

    def entries(self, user_id: str, page: int = 1, page_size: int = 50) -> LedgerPage:
        """The user's entries, newest first."""
        with self.db.session() as s:
            total = int(s.scalar(select(func.count()).select_from(EntryRow).where(EntryRow.user_id == user_id)) or 0)
            rows = s.scalars(select(EntryRow).where(EntryRow.user_id == user_id).order_by(EntryRow.id.desc())
                             .limit(page_size).offset((page - 1) * page_size)).all()
            return LedgerPage([LedgerEntry.of(r) for r in rows], total, page, page_size)

    def hold_of(self, hold_id: str) -> Hold:
        with self.db.session() as s:
            row = s.get(CreditHold, hold_id)
            if row is None:
                raise NotFound("no such hold", code="HOLD_NOT_FOUND")
            return Hold.of(row)

    def active_holds(self, purpose: HoldPurpose | None = None) -> list[Hold]:
        with self.db.session() as s:
            query = select(CreditHold).where(CreditHold.status == "active")
            if purpose is not None:
                query = query.where(CreditHold.purpose == purpose)
            return [Hold.of(r) for r in s.scalars(query.order_by(CreditHold.created_at))]

    def credits_used(self, session_id: str, actor_id: str) -> tuple[int, int]:
        """Credits a collaborator has spent (or holds) on a shared session: (this month, in total)."""
        month = month_of(self.clock())
        with self.db.session() as s:
            rows = s.scalars(select(CollaboratorUsage).where(CollaboratorUsage.session_id == session_id,
                                                             CollaboratorUsage.actor_id == actor_id)).all()
            return (sum(r.used_month for r in rows if r.month == month), sum(r.used_total for r in rows))

    def verify(self, user_id: str | None = None) -> list[AccountCheck]:
        """Every account (or one) against the sums of its entries and of its active holds."""
        with self.db.session() as s:
            sums = select(EntryRow.user_id, func.coalesce(func.sum(EntryRow.amount), 0),
                          func.coalesce(func.sum(EntryRow.reserved_delta), 0)).group_by(EntryRow.user_id)
            held = (select(CreditHold.user_id, func.coalesce(func.sum(CreditHold.amount), 0))
                    .where(CreditHold.status == "active").group_by(CreditHold.user_id))
            accounts = select(CreditAccount)
            if user_id is not None:
                sums = sums.where(EntryRow.user_id == user_id)
                held = held.where(CreditHold.user_id == user_id)
                accounts = accounts.where(CreditAccount.user_id == user_id)
            by_user = {uid: (int(a), int(r)) for uid, a, r in s.execute(sums)}
            holds = {uid: int(h) for uid, h in s.execute(held)}
            checks = []
            for acct in s.scalars(accounts):
                a, r = by_user.pop(acct.user_id, (0, 0))
                checks.append(AccountCheck(acct.user_id, acct.available, acct.reserved, a, r,
                                           holds.get(acct.user_id, 0)))
            for uid, (a, r) in by_user.items():  # entries without an account
                checks.append(AccountCheck(uid, 0, 0, a, r, holds.get(uid, 0)))
            return sorted(checks, key=lambda c: c.user_id)

    # ---------------------------------------------------------------- crediting
    def open_account(self, user_id: str) -> None:
        """Create the account if it has none, with the starting grant (once per user)."""
        with self.db.session() as s:
            self._ensure_account(s, user_id)

    def grant(self, user_id: str, amount: int, *, reason: str = "grant", actor_id: str | None = None,
              idempotency_key: str | None = None) -> LedgerEntry:
        return self._credit(user_id, _amount(amount), "grant", reason=reason, actor_id=actor_id,
                            idempotency_key=idempotency_key)

    def top_up(self, user_id: str, amount: int, *, idempotency_key: str, reason: str = "top-up",
               ref_type: str | None = None, ref_id: str | None = None) -> LedgerEntry:
        """Credit a paid top-up once: a second call with the same key credits nothing and
        returns the first entry."""
        if not idempotency_key:
            raise InvalidRequest("a top-up needs an idempotency key", code="INVALID_REQUEST")
        return self._credit(user_id, _amount(amount), "topup", reason=reason, actor_id=user_id,
                            idempotency_key=idempotency_key, ref_type=ref_type, ref_id=ref_id)

    def adjust(self, user_id: str, amount: int, *, reason: str, actor_id: str | None = None,
               idempotency_key: str | None = None) -> LedgerEntry:
        """A correction: positive credits, negative debits (never below zero: INSUFFICIENT_BALANCE)."""
        if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
            return self._debit(user_id, _amount(-amount), reason=reason, actor_id=actor_id,
                               idempotency_key=idempotency_key)
        return self._credit(user_id, _amount(amount), "adjustment", reason=reason, actor_id=actor_id,
                            idempotency_key=idempotency_key)

    def _credit(self, user_id: str, amount: int, kind: EntryKind, *, reason: str, actor_id: str | None,
                idempotency_key: str | None, ref_type: str | None = None, ref_id: str | None = None) -> LedgerEntry:
        def apply(s: Session) -> LedgerEntry:
            self._ensure_account(s, user_id)
            after = s.execute(
                update(CreditAccount)
                .where(CreditAccount.user_id == user_id, CreditAccount.available + amount <= MAX_BALANCE)
                .values(available=CreditAccount.available + amount)
                .returning(CreditAccount.available, CreditAccount.reserved)).first()
            if after is None:
                raise InvalidRequest(f"the balance would exceed {MAX_BALANCE} credits", code="INVALID_AMOUNT",
                                     details={"amount": amount, "max_balance": MAX_BALANCE})
            return self._append(s, user_id, kind, amount, 0, after, reason=reason, actor_id=actor_id,
                                idempotency_key=idempotency_key, ref_type=ref_type, ref_id=ref_id)

        return self._once(idempotency_key, apply)

    def _debit(self, user_id: str, amount: int, *, reason: str, actor_id: str | None,
               idempotency_key: str | None) -> LedgerEntry:
        def apply(s: Session) -> LedgerEntry:
            self._ensure_account(s, user_id)
            after = s.execute(
                update(CreditAccount)
                .where(CreditAccount.user_id == user_id, CreditAccount.available >= amount)
                .values(available=CreditAccount.available - amount)
                .returning(CreditAccount.available, CreditAccount.reserved)).first()
            if after is None:
                raise self._insufficient(s, user_id, amount)
            return self._append(s, user_id, "adjustment", -amount, 0, after, reason=reason, actor_id=actor_id,
                                idempotency_key=idempotency_key)

        return self._once(idempotency_key, apply)

    def _once(self, idempotency_key: str | None, apply: Callable[[Session], LedgerEntry]) -> LedgerEntry:
        """Apply in one transaction; with a key, an entry already made under it is returned instead
        (also when a concurrent call wins the race: the unique key rolls this one back whole)."""
        if idempotency_key is not None:
            found = self._entry_by_key(idempotency_key)
            if found is not None:
                return found
        try:
            with self.db.session() as s:
                return apply(s)
        except IntegrityError:
            found = self._entry_by_key(idempotency_key) if idempotency_key is not None else None
            if found is None:
                raise
            return found

    def _entry_by_key(self, key: str) -> LedgerEntry | None:
        with self.db.session() as s:
            row = s.scalar(select(EntryRow).where(EntryRow.idempotency_key == key))
            return LedgerEntry.of(row) if row is not None else None

    # ------------------------------------------------------------------- holds
    def hold(self, payer_id: str, amount: int, *, actor_id: str, session_id: str | None = None,
             run_id: str | None = None, gpu_session_id: str | None = None, purpose: HoldPurpose = "run",
             limits: CollaboratorLimits | None = None, reason: str = "") -> Hold:
        """Reserve ``amount`` of the payer's credits, atomically: one conditional UPDATE moves them
        from available to reserved or nothing happens (INSUFFICIENT_BALANCE). When the actor is not
        the payer (a collaborator on a shared session), their usage counter is bumped in the same
        transaction within ``limits`` (CREDIT_LIMIT)."""
        amount = _amount(amount)
        hold_id = str(uuid.uuid4())
        with self.db.session() as s:
            self._ensure_account(s, payer_id)
            now = self.clock()
            usage_month = None
            if actor_id != payer_id and session_id is not None:
                # The collaborator's own limit first (CREDIT_LIMIT does not depend on who else is
                # spending the owner's credits); a refused balance below rolls the count back.
                usage_month = month_of(now)
                self._count_usage(s, payer_id, session_id, actor_id, amount, usage_month, limits)
            after = s.execute(
                update(CreditAccount)
                .where(CreditAccount.user_id == payer_id, CreditAccount.available >= amount)
                .values(available=CreditAccount.available - amount, reserved=CreditAccount.reserved + amount)
                .returning(CreditAccount.available, CreditAccount.reserved)).first()
            if after is None:
                raise self._insufficient(s, payer_id, amount)
            s.add(CreditHold(id=hold_id, user_id=payer_id, actor_id=actor_id, session_id=session_id, run_id=run_id,
                             gpu_session_id=gpu_session_id, purpose=purpose, amount=amount, captured=0, refunded=0,
                             status="active", usage_month=usage_month, created_at=now))
            s.flush()
            self._append(s, payer_id, "hold", -amount, amount, after, reason=reason or f"{purpose} hold",
                         actor_id=actor_id, run_id=run_id, session_id=session_id, gpu_session_id=gpu_session_id,
                         hold_id=hold_id)
            row = s.get(CreditHold, hold_id)
            assert row is not None
            return Hold.of(row)

    def capture(self, hold_id: str, amount: int, *, reason: str = "", model_id: str | None = None) -> Hold:
        """Charge ``amount`` (≤ the hold) and release the rest, in one transaction. Idempotent:
        a hold already captured or released is returned as it is."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidRequest("a capture is a non-negative integer number of credits", code="INVALID_AMOUNT")
        return self._settle(hold_id, amount, reason=reason, model_id=model_id)

    def release(self, hold_id: str, *, reason: str = "") -> Hold:
        """Give the whole hold back (failure, cancel, stop, crash). Idempotent."""
        return self._settle(hold_id, 0, reason=reason)

    def _settle(self, hold_id: str, charge: int, *, reason: str, model_id: str | None = None) -> Hold:
        held = self.hold_of(hold_id)
        if held.status != "active":
            return held
        if charge > held.amount:
            raise InvalidRequest(f"cannot capture {charge} credits from a hold of {held.amount}",
                                 code="INVALID_AMOUNT", details={"amount": charge, "held": held.amount})
        rest = held.amount - charge
        with self.db.session() as s:
            now = self.clock()
            claimed = s.execute(update(CreditHold).where(CreditHold.id == hold_id, CreditHold.status == "active")
                                .values(status="captured" if charge else "released", captured=charge,
                                        closed_at=now))
            row = s.get(CreditHold, hold_id)
            assert row is not None
            if rows_touched(claimed) == 0:  # settled meanwhile by someone else
                return Hold.of(row)
            # Rows are locked in one order everywhere (hold, collaborator usage, account; ``hold`` takes usage
            # then account), so concurrent holds and settles on PostgreSQL wait for each other, never deadlock.
            if row.usage_month is not None and rest and row.session_id is not None:
                self._uncount_usage(s, row, rest)
            after = s.execute(
                update(CreditAccount).where(CreditAccount.user_id == held.payer_id)
                .values(available=CreditAccount.available + rest, reserved=CreditAccount.reserved - held.amount)
                .returning(CreditAccount.available, CreditAccount.reserved)).one()
            refs: dict[str, Any] = {"actor_id": held.actor_id, "run_id": held.run_id, "session_id": held.session_id,
                                    "gpu_session_id": held.gpu_session_id, "hold_id": hold_id}
            if charge:
                self._append(s, held.payer_id, "capture", 0, -charge, (after[0] - rest, after[1] + rest),
                             reason=reason or f"{held.purpose} charge", model_id=model_id, **refs)
            if rest:
                self._append(s, held.payer_id, "release", rest, -rest, after,
                             reason=reason if not charge and reason else f"{held.purpose} release", **refs)
            return Hold.of(row)

    def refund(self, hold_id: str, amount: int, *, reason: str, actor_id: str | None = None) -> LedgerEntry:
        """Give back part of what a hold charged (at most what it captured, less earlier refunds)."""
        amount = _amount(amount)
        held = self.hold_of(hold_id)
        with self.db.session() as s:
            claimed = s.execute(update(CreditHold)
                                .where(CreditHold.id == hold_id, CreditHold.status == "captured",
                                       CreditHold.refunded + amount <= CreditHold.captured)
                                .values(refunded=CreditHold.refunded + amount))
            if rows_touched(claimed) == 0:
                raise InvalidRequest(f"cannot refund {amount} credits: the hold charged {held.captured} "
                                     f"and {held.refunded} were refunded", code="INVALID_AMOUNT",
                                     details={"amount": amount, "captured": held.captured,
                                              "refunded": held.refunded})
            after = s.execute(
                update(CreditAccount).where(CreditAccount.user_id == held.payer_id)
                .values(available=CreditAccount.available + amount)
                .returning(CreditAccount.available, CreditAccount.reserved)).one()
            return self._append(s, held.payer_id, "refund", amount, 0, after, reason=reason,
                                actor_id=actor_id or held.actor_id, run_id=held.run_id, session_id=held.session_id,
                                gpu_session_id=held.gpu_session_id, hold_id=hold_id)

    def release_active(self, purpose: HoldPurpose, keep: Callable[[Hold], bool] = lambda _: False) -> int:
        """Release every active hold of ``purpose`` that ``keep`` does not claim (start-up recovery:
        the runs they paid for are no longer running). Returns how many were released."""
        released = 0
        for held in self.active_holds(purpose):
            if not keep(held):
                self.release(held.id, reason=f"{purpose} interrupted")
                released += 1
        return released

    # ----------------------------------------------------------------- helpers
    def _ensure_account(self, s: Session, user_id: str) -> None:
        """Insert the account if missing (ON CONFLICT DO NOTHING), granting the starting grant once."""
        dialect = s.get_bind().dialect.name
        values = {"user_id": user_id, "available": 0, "reserved": 0}
        if dialect in ("sqlite", "postgresql"):
            stmt = sqlite_insert(CreditAccount) if dialect == "sqlite" else pg_insert(CreditAccount)
            # RETURNING answers a row only when one was inserted; the rowcount of INSERT … ON CONFLICT is not
            # reported on every driver (psycopg through SQLAlchemy gives -1).
            opened = s.execute(stmt.values(**values).on_conflict_do_nothing(index_elements=[CreditAccount.user_id])
                               .returning(CreditAccount.user_id)).first() is not None
        else:
            opened = s.get(CreditAccount, user_id) is None
            if opened:
                s.execute(insert(CreditAccount).values(**values))
        if opened and self.starting_grant > 0:
            grant = min(self.starting_grant, MAX_AMOUNT)
            after = s.execute(update(CreditAccount).where(CreditAccount.user_id == user_id)
                              .values(available=CreditAccount.available + grant)
                              .returning(CreditAccount.available, CreditAccount.reserved)).one()
            self._append(s, user_id, "grant", grant, 0, after, reason="starting grant",
                         idempotency_key=STARTING_GRANT_KEY + user_id)

    def _count_usage(self, s: Session, payer_id: str, session_id: str, actor_id: str, amount: int, month: str,
                     limits: CollaboratorLimits | None) -> None:
        key = (CollaboratorUsage.payer_id == payer_id, CollaboratorUsage.session_id == session_id,
               CollaboratorUsage.actor_id == actor_id)
        dialect = s.get_bind().dialect.name
        values = {"payer_id": payer_id, "session_id": session_id, "actor_id": actor_id, "month": month,
                  "used_month": 0, "used_total": 0}
        if dialect in ("sqlite", "postgresql"):
            stmt = sqlite_insert(CollaboratorUsage) if dialect == "sqlite" else pg_insert(CollaboratorUsage)
            s.execute(stmt.values(**values).on_conflict_do_nothing())
        elif s.scalar(select(CollaboratorUsage.month).where(*key)) is None:
            s.execute(insert(CollaboratorUsage).values(**values))
        this_month = case((CollaboratorUsage.month == month, CollaboratorUsage.used_month), else_=0)
        conditions = list(key)
        if limits is not None and limits.total is not None:
            conditions.append(CollaboratorUsage.used_total + amount <= limits.total)
        if limits is not None and limits.monthly is not None:
            conditions.append(this_month + amount <= limits.monthly)
        bumped = s.execute(update(CollaboratorUsage).where(*conditions).values(
            used_total=CollaboratorUsage.used_total + amount, used_month=this_month + amount, month=month))
        if rows_touched(bumped) == 1:
            return
        row = s.scalars(select(CollaboratorUsage).where(*key)).one()
        used_month = row.used_month if row.month == month else 0
        assert limits is not None
        if limits.total is not None and row.used_total + amount > limits.total:
            limit, used, period = limits.total, row.used_total, "total"
        else:
            limit, used, period = limits.monthly or 0, used_month, "month"
        raise CreditLimit(f"this run needs {amount} credits and would cross your {period} credit limit "
                          f"on this shared session ({used} of {limit} used)",
                          details={"limit": limit, "used": used, "required": amount, "period": period})

    def _uncount_usage(self, s: Session, hold: CreditHold, amount: int) -> None:
        """Give a collaborator's unused hold back to their counters (this month's only if it is the hold's)."""
        assert hold.session_id is not None and hold.usage_month is not None
        s.execute(update(CollaboratorUsage).where(
            CollaboratorUsage.payer_id == hold.user_id, CollaboratorUsage.session_id == hold.session_id,
            CollaboratorUsage.actor_id == hold.actor_id).values(
            used_total=CollaboratorUsage.used_total - amount,
            used_month=case((CollaboratorUsage.month == hold.usage_month, CollaboratorUsage.used_month - amount),
                            else_=CollaboratorUsage.used_month)))

    @staticmethod
    def _insufficient(s: Session, user_id: str, amount: int) -> InsufficientBalance:
        available = s.scalar(select(CreditAccount.available).where(CreditAccount.user_id == user_id)) or 0
        return InsufficientBalance(f"this needs {amount} credits and {available} are available",
                                   details={"required": amount, "available": int(available)})

    def _append(self, s: Session, user_id: str, kind: EntryKind, amount: int, reserved_delta: int,
                after: Sequence[int], *, reason: str, actor_id: str | None = None, run_id: str | None = None,
                session_id: str | None = None, model_id: str | None = None, gpu_session_id: str | None = None,
                hold_id: str | None = None, idempotency_key: str | None = None, ref_type: str | None = None,
                ref_id: str | None = None) -> LedgerEntry:
        row = EntryRow(user_id=user_id, kind=kind, amount=amount, reserved_delta=reserved_delta,
                       available_after=int(after[0]), reserved_after=int(after[1]), reason=reason[:300],
                       run_id=run_id, session_id=session_id, model_id=model_id, gpu_session_id=gpu_session_id,
                       hold_id=hold_id, actor_id=actor_id, ref_type=ref_type, ref_id=ref_id,
                       idempotency_key=idempotency_key, created_at=self.clock())
        s.add(row)
        s.flush()
        return LedgerEntry.of(row)
