"""The GPU runtime lease: which API process's GPU runtime is up, when several share one database.

The process whose runtime comes up inserts the ``gpu_runtime_leases`` row (one per cluster: the
primary key) with who started it, since when and a snapshot of its status, and refreshes
``heartbeat_at`` (and the snapshot) while the runtime is up; it deletes the row once its runtime has
stopped. Any process reads the row to answer ``gpu status``; a stop asked through another process is
written onto it (``stop_mode``) and carried out by the holder with its next heartbeat. A row not
refreshed for the lease time belongs to a dead process: it reads as stopped, and the next claim
replaces it. Clocks: as for run leases (``store/run_leases.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database
from .tables import GpuRuntimeLease

_NAME = "default"


@dataclass(frozen=True)
class GpuLease:
    holder_id: str
    started_by: str | None
    started_at: float
    stop_mode: str | None
    status: dict[str, Any]


class GpuLeases:
    def __init__(self, db: Database, holder_id: str, lease_seconds: float) -> None:
        self.db = db
        self.holder_id = holder_id
        self.lease_seconds = lease_seconds

    def current(self) -> GpuLease | None:
        """The live holder's lease, or None when no process's runtime is up."""
        fresh = time.time() - self.lease_seconds
        with self.db.session() as s:
            row = s.scalars(select(GpuRuntimeLease).where(GpuRuntimeLease.name == _NAME,
                                                          GpuRuntimeLease.heartbeat_at >= fresh)).first()
            if row is None:
                return None
            return GpuLease(row.holder_id, row.started_by, row.started_at, row.stop_mode, dict(row.status))

    def hold(self, started_by: str | None, started_at: float, status: dict[str, Any]) -> str | None:
        """Claim or refresh the lease for this process's running runtime. Answers the stop mode another
        process asked for (or None); raises :class:`LeaseTaken` when another live process holds it."""
        now = time.time()
        with self.db.session() as s:
            s.execute(delete(GpuRuntimeLease).where(GpuRuntimeLease.name == _NAME,
                                                    GpuRuntimeLease.holder_id != self.holder_id,
                                                    GpuRuntimeLease.heartbeat_at < now - self.lease_seconds))
            row = s.get(GpuRuntimeLease, _NAME, with_for_update=True)
            if row is not None and row.holder_id != self.holder_id:
                raise LeaseTaken(row.holder_id)
            if row is not None:
                row.heartbeat_at, row.status = now, status
                row.started_by, row.started_at = started_by, started_at
                return row.stop_mode
        try:
            with self.db.session() as s:
                s.add(GpuRuntimeLease(name=_NAME, holder_id=self.holder_id, started_by=started_by,
                                      started_at=started_at, heartbeat_at=now, stop_mode=None, status=status))
        except IntegrityError as exc:  # another process claimed it at the same moment
            raise LeaseTaken("another process") from exc
        return None

    def release(self) -> None:
        with self.db.session() as s:
            s.execute(delete(GpuRuntimeLease).where(GpuRuntimeLease.name == _NAME,
                                                    GpuRuntimeLease.holder_id == self.holder_id))

    def request_stop(self, mode: str) -> bool:
        """Ask the live holder to stop its runtime; False when none holds the lease."""
        fresh = time.time() - self.lease_seconds
        with self.db.session() as s:
            done = s.execute(update(GpuRuntimeLease).where(GpuRuntimeLease.name == _NAME,
                                                           GpuRuntimeLease.heartbeat_at >= fresh)
                             .values(stop_mode=mode))
            return bool(done.rowcount)  # type: ignore[attr-defined]


class LeaseTaken(Exception):
    """Another live API process's GPU runtime holds the lease."""
