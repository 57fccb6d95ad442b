"""Run leases: which process runs each session's run, when several API processes share one database.

A process that starts a run inserts the session's ``run_leases`` row (the primary key makes it one
per session, across every process) and refreshes ``heartbeat_at`` while the run lasts; it deletes
the row once the run's end is recorded. A process that dies (kill -9, a lost machine) stops
refreshing: once a row is older than the lease time, any other process *reaps* it — deletes it and
marks its run interrupted, so no run stays ``running`` with nobody running it.

A stop or node cancel asked through a process that does not hold the run is written onto the row
(``stop_requested``, ``cancel_nodes``); the holder reads it with its next heartbeat.

Clocks: ``heartbeat_at`` is the writer's wall clock. Processes on different machines must keep
their clocks within a small part of the lease time (NTP does).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..core.run import RunStatus
from .db import Database
from .run_recorder import interrupt_runs
from .tables import Run, RunLease


@dataclass(frozen=True)
class HeldRun:
    """A run this process holds, with what other processes asked of it since."""

    session_id: str
    run_id: str
    stop_requested: bool
    cancel_nodes: list[str]


@dataclass(frozen=True)
class ReapedRun:
    session_id: str
    run_id: str


_ACTIVE_RUNS = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
_LOST = {"code": "INTERRUPTED", "message": "the server running this run stopped answering"}


class RunLeases:
    def __init__(self, db: Database, holder_id: str, lease_seconds: float) -> None:
        self.db = db
        self.holder_id = holder_id
        self.lease_seconds = lease_seconds

    def claim(self, session_id: str, run_id: str) -> bool:
        """Take the session for ``run_id``; False when another live process holds it."""
        try:
            with self.db.session() as s:
                s.add(RunLease(session_id=session_id, run_id=run_id, holder_id=self.holder_id,
                               heartbeat_at=time.time(), stop_requested=False, cancel_nodes=[]))
        except IntegrityError:
            return False
        return True

    def release(self, session_id: str, run_id: str) -> None:
        with self.db.session() as s:
            s.execute(delete(RunLease).where(RunLease.session_id == session_id, RunLease.run_id == run_id,
                                             RunLease.holder_id == self.holder_id))

    def heartbeat(self) -> list[HeldRun]:
        """Refresh every lease this process holds; the runs it still holds, with their requests.
        A run missing from the answer lost its lease (reaped after a stall): its holder stops it."""
        with self.db.session() as s:
            s.execute(update(RunLease).where(RunLease.holder_id == self.holder_id).values(heartbeat_at=time.time()))
            rows = s.execute(select(RunLease.session_id, RunLease.run_id, RunLease.stop_requested,
                                    RunLease.cancel_nodes).where(RunLease.holder_id == self.holder_id)).all()
        return [HeldRun(sid, rid, bool(stop), list(nodes or [])) for sid, rid, stop, nodes in rows]

    def done_with_cancels(self, session_id: str, run_id: str, node_ids: list[str]) -> None:
        """Forget node cancels the holder has carried out."""
        with self.db.session() as s:
            row = s.get(RunLease, session_id, with_for_update=True)
            if row is not None and row.run_id == run_id:
                row.cancel_nodes = [n for n in row.cancel_nodes if n not in node_ids]

    def request_stop(self, session_id: str) -> str | None:
        """Ask the holder of the session's run to stop it; the run's id, or None when none runs."""
        with self.db.session() as s:
            row = s.get(RunLease, session_id, with_for_update=True)
            if row is None:
                return None
            row.stop_requested = True
            return row.run_id

    def request_cancel(self, session_id: str, node_id: str) -> bool:
        """Ask the holder to cancel one node; False when no run holds the session."""
        with self.db.session() as s:
            row = s.get(RunLease, session_id, with_for_update=True)
            if row is None:
                return False
            if node_id not in row.cancel_nodes:
                row.cancel_nodes = [*row.cancel_nodes, node_id]
            return True

    def live_runs(self) -> set[str]:
        """Runs whose holder still heartbeats (start-up recovery leaves them alone)."""
        fresh = time.time() - self.lease_seconds
        with self.db.session() as s:
            return set(s.scalars(select(RunLease.run_id).where(RunLease.heartbeat_at >= fresh)))

    def drop_place(self, place: str) -> int:
        """Forget the leases of an earlier life of this server (holder ids starting with ``place``: same
        host and data dir), dead however fresh their last heartbeat: a restart after kill -9 must not
        wait a lease time to end what that life was running. How many were dropped."""
        with self.db.session() as s:
            gone = s.execute(delete(RunLease).where(RunLease.holder_id.startswith(place, autoescape=True),
                                                    RunLease.holder_id != self.holder_id))
            return int(gone.rowcount or 0)  # type: ignore[attr-defined]

    def reap(self) -> list[ReapedRun]:
        """Take back the leases of dead holders and end their runs ``interrupted``; also end any run
        left ``running`` without a lease (a process killed before its leases existed). What was reaped."""
        stale = time.time() - self.lease_seconds
        reaped: list[ReapedRun] = []
        with self.db.session() as s:
            for sid, rid in s.execute(select(RunLease.session_id, RunLease.run_id)
                                      .where(RunLease.heartbeat_at < stale)).all():
                gone = s.execute(delete(RunLease).where(RunLease.session_id == sid, RunLease.run_id == rid,
                                                        RunLease.heartbeat_at < stale))
                if gone.rowcount == 1:  # type: ignore[attr-defined]  # another process may reap it first
                    reaped.append(ReapedRun(sid, rid))
            orphans = s.execute(select(Run.session_id, Run.id).where(
                Run.status.in_(_ACTIVE_RUNS), Run.id.not_in(select(RunLease.run_id)))).all()
            reaped.extend(ReapedRun(sid, rid) for sid, rid in orphans
                          if all(r.run_id != rid for r in reaped))
            interrupt_runs(s, [r.run_id for r in reaped], _LOST)
        return reaped

