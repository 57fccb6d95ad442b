"""Deliveries of node tasks to Celery workers, counted in the database (the ``task_attempts`` table).

Celery's redis transport redelivers the task of a worker that died, but keeps no count: a task
that kills its worker every time would loop forever (celery discussion #8969). Each delivery
goes through :meth:`TaskAttempts.begin`, which says whether to run it, give up, or answer
with the end an earlier delivery already stored (so a task redelivered after it ended, for
example when its worker died between storing the result and acking, never runs twice and
never makes a second set of media).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from .db import Database
from .tables import TaskAttempt, utcnow

ENDED = ("succeeded", "failed", "canceled")


class Verdict(enum.Enum):
    RUN = "run"  # a first delivery, or a redelivery within the limit
    REPLAY = "replay"  # it already ended: report that end again, run nothing
    GIVE_UP = "give_up"  # delivered too often (its worker kept dying): fail it


@dataclass(frozen=True)
class Delivery:
    verdict: Verdict
    deliveries: int  # counting this one
    status: str = "running"  # the stored end's status for REPLAY
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class TaskAttempts:
    def __init__(self, db: Database, max_deliveries: int) -> None:
        self._db = db
        self.max_deliveries = max_deliveries

    def begin(self, *, task_id: str, run_id: str, node_id: str, node_type: str, attempt: int, queue: str,
              worker: str) -> Delivery:
        """Count one delivery of ``task_id`` and say what the worker does with it."""
        try:
            return self._begin(task_id, run_id, node_id, node_type, attempt, queue, worker)
        except IntegrityError:  # two first deliveries raced to insert: the loser counts as a redelivery
            return self._begin(task_id, run_id, node_id, node_type, attempt, queue, worker)

    def _begin(self, task_id: str, run_id: str, node_id: str, node_type: str, attempt: int, queue: str,
               worker: str) -> Delivery:
        with self._db.session() as s:
            row = s.get(TaskAttempt, task_id, with_for_update=True)
            now = utcnow()
            if row is None:
                s.add(TaskAttempt(task_id=task_id, run_id=run_id, node_id=node_id[:200], node_type=node_type[:120],
                                  attempt=attempt, queue=queue, deliveries=1, status="running", worker=worker[:200],
                                  created_at=now, updated_at=now))
                return Delivery(Verdict.RUN, 1)
            if row.status in ENDED:
                return Delivery(Verdict.REPLAY, row.deliveries, row.status, row.result, row.error)
            if row.deliveries >= self.max_deliveries:
                row.status, row.updated_at = "failed", now
                row.error = {"code": "WORKER_LOST_REPEATEDLY",
                             "message": f"the worker running this node died (or was killed at the task time "
                                        f"limit) {row.deliveries} time(s); the task is not delivered again",
                             "details": {"deliveries": row.deliveries, "max_deliveries": self.max_deliveries}}
                return Delivery(Verdict.GIVE_UP, row.deliveries, row.status, None, row.error)
            row.deliveries += 1
            row.worker, row.updated_at, row.status = worker[:200], now, "running"
            return Delivery(Verdict.RUN, row.deliveries)

    def finish(self, task_id: str, status: str, *, result: dict[str, Any] | None = None,
               error: dict[str, Any] | None = None) -> Delivery:
        """Store the task's end, unless another delivery stored one first; the end that stands."""
        with self._db.session() as s:
            row = s.get(TaskAttempt, task_id, with_for_update=True)
            if row is None:
                return Delivery(Verdict.REPLAY, 0, status, result, error)
            if row.status not in ENDED:
                row.status, row.result, row.error, row.updated_at = status, result, error, utcnow()
            return Delivery(Verdict.REPLAY, row.deliveries, row.status, row.result, row.error)
