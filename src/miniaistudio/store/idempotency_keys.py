"""Idempotency keys: the answer to a creating POST, kept so that the same request sent again
(a client retrying after a timeout or a 5xx) gets the same answer instead of doing the work twice.

A request *claims* its (principal, key) by inserting an ``in_flight`` row (the primary key makes the
claim one per key across every process); once answered, the row keeps the answer for the retention
time. A second request with the key finds the row: answered → the stored answer (if the request is
the same), in flight → refused. An ``in_flight`` row older than the claim lease was left by a process
that died mid-request: the next request with the key takes it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .db import Database
from .tables import IdempotencyKey

#: How long an answer is replayed.
RETENTION = timedelta(hours=24)
#: How long a claim holds without an answer before it is taken as abandoned.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: ``claimed`` (go ahead), ``in_flight`` (another request holds
    it) or ``answered`` (``answer`` is the stored answer)."""

    outcome: Literal["claimed", "in_flight", "answered"]
    answer: StoredAnswer | None = None


class IdempotencyKeys:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, principal: str, key: str) -> Claim:
        now = datetime.now(UTC)
        for _ in range(2):  # a second pass after removing an expired or abandoned row
            try:
                with self.db.session() as s:
                    s.add(IdempotencyKey(principal=principal, key=key, status="in_flight", created_at=now,
                                         expires_at=now + CLAIM_LEASE))
                return Claim("claimed")
            except IntegrityError:
                pass
            with self.db.session() as s:
                row = s.get(IdempotencyKey, (principal, key))
                if row is None:
                    continue
                if row.expires_at > now:
                    if row.status == "in_flight":
                        return Claim("in_flight")
                    return Claim("answered", StoredAnswer(row.fingerprint or "", row.response_status or 200,
                                                          [(str(n), str(v)) for n, v in row.response_headers or []],
                                                          row.response_body or b""))
                s.delete(row)
        return Claim("in_flight")

    def answer(self, principal: str, key: str, fingerprint: str, status: int, headers: list[tuple[str, str]],
               body: bytes) -> None:
        """Keep the answer of a claimed key for :data:`RETENTION`."""
        with self.db.session() as s:
            row = s.get(IdempotencyKey, (principal, key))
            if row is None:
                return
            row.status = "done"
            row.fingerprint = fingerprint
            row.response_status = status
            row.response_headers = [list(pair) for pair in headers]
            row.response_body = body
            row.expires_at = datetime.now(UTC) + RETENTION

    def release(self, principal: str, key: str) -> None:
        """Give a claimed key up unanswered (the request failed in a way worth trying again)."""
        with self.db.session() as s:
            s.execute(delete(IdempotencyKey).where(IdempotencyKey.principal == principal,
                                                   IdempotencyKey.key == key,
                                                   IdempotencyKey.status == "in_flight"))

    def purge_expired(self) -> int:
        """Delete the answers past their retention (claims are taken over by the next request)."""
        with self.db.session() as s:
            result = s.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= datetime.now(UTC),
                                                            IdempotencyKey.status == "done"))
        return int(getattr(result, "rowcount", 0) or 0)
