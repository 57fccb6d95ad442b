"""One active run per session across every API process sharing a database (``store/run_leases.py``).

The engine claims a session's lease before a run starts and releases it once the run's end is
recorded. A keeper task heartbeats the leases this process holds, carries out the stops and node
cancels other processes wrote onto them, stops a run whose lease was taken back (this process
stalled past the lease time), and reaps the leases of dead processes: their runs end
``interrupted``, their credit holds are released, their API jobs fail, and the run's end is
published on the (shared) event bus, so clients watching from any process see it end.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ..core.engine import Engine
from ..core.events import Bus, RunFinished
from ..store.db import Database
from ..store.run_leases import HeldRun, ReapedRun, RunLeases
from ..store.run_recorder import node_counts

log = logging.getLogger(__name__)

_LOST = {"code": "INTERRUPTED", "message": "the server running this run stopped answering"}


def holder_place(data_dir: Path | None = None) -> str:
    """The start of the holder ids of every server life on one host and data dir: a server restarted
    over the same data dir knows what its previous life held (GPU billing recovers it at once)."""
    place = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8] if data_dir is not None else "-"
    return f"{socket.gethostname()[:60]}:{place}:"


def holder_id(data_dir: Path | None = None) -> str:
    """This process, as lease rows name it (host, data dir, pid and a random part: pids are reused)."""
    return f"{holder_place(data_dir)}{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SharedRuns:
    """The engine's :class:`~miniaistudio.core.ports.RunCoordinator` when processes share a database."""

    def __init__(self, db: Database, bus: Bus, lease_seconds: float, *,
                 on_reaped: Callable[[set[str]], None] = lambda _: None, holder: str | None = None) -> None:
        self.db = db
        self.leases = RunLeases(db, holder or holder_id(), lease_seconds)
        self.bus = bus
        self.heartbeat_seconds = lease_seconds / 4
        self.on_reaped = on_reaped  # releases the credit holds and fails the jobs of reaped runs
        self.engine: Engine | None = None
        self._claimed: dict[str, float] = {}  # run id -> when claimed (monotonic)
        self._orphans: set[str] = set()  # held leases of no local run, at the last heartbeat
        self._task: asyncio.Task[None] | None = None

    # -- the engine's seam -------------------------------------------------------------------------
    async def claim(self, session_id: str, run_id: str) -> bool:
        claimed = await asyncio.to_thread(self.leases.claim, session_id, run_id)
        if not claimed and await self.reap():  # a dead process's lease is taken back now, not after a while
            claimed = await asyncio.to_thread(self.leases.claim, session_id, run_id)
        if claimed:  # noted once committed: a heartbeat asked before this may not see it yet
            self._claimed[run_id] = time.monotonic()
        return claimed

    async def release(self, session_id: str, run_id: str) -> None:
        self._claimed.pop(run_id, None)
        await asyncio.to_thread(self.leases.release, session_id, run_id)

    # -- asked through a process that may not hold the run -----------------------------------------
    async def request_stop(self, session_id: str) -> str | None:
        return await asyncio.to_thread(self.leases.request_stop, session_id)

    async def request_cancel(self, session_id: str, node_id: str) -> bool:
        return await asyncio.to_thread(self.leases.request_cancel, session_id, node_id)

    def live_runs(self, previous_life: str | None = None) -> set[str]:
        """Runs other live processes hold; leases of ``previous_life`` (this server's own place, see
        :func:`holder_place`, when no other server runs on its data dir) are dropped first: that life is dead."""
        if previous_life is not None:
            self.leases.drop_place(previous_life)
        return self.leases.live_runs()

    # -- the keeper --------------------------------------------------------------------------------
    def start(self, engine: Engine) -> None:
        self.engine = engine
        self._task = asyncio.create_task(self._keep(), name="run-lease-keeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _keep(self) -> None:
        reap_every = max(1, round(self.leases.lease_seconds / self.heartbeat_seconds / 2))
        tick = 0
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            tick += 1
            try:
                asked_at = time.monotonic()
                held = await asyncio.to_thread(self.leases.heartbeat)
                await self._carry_out(held, asked_at)
                if tick % reap_every == 0:
                    await self.reap()
            except Exception:  # the database is unreachable for a moment: try again next beat
                log.exception("run lease heartbeat failed")

    async def _carry_out(self, held: list[HeldRun], asked_at: float) -> None:
        engine = self.engine
        assert engine is not None
        holding = {h.run_id for h in held}
        for run in engine.active_runs():
            claimed = self._claimed.get(run.id)
            if run.id not in holding and claimed is not None and claimed < asked_at:
                log.warning("run %s lost its lease (this process stalled past the lease time); stopping it", run.id)
                self._claimed.pop(run.id, None)
                engine.stop(run.session_id)
        # A lease this process holds for no run of its own (its release failed: the database was away)
        # would be kept alive by these heartbeats forever: seen so on two beats running, it goes.
        orphans = {h.run_id for h in held if h.run_id not in self._claimed}
        for lease in held:
            if lease.run_id in orphans & self._orphans:
                log.warning("releasing the lease of run %s, which this process no longer runs", lease.run_id)
                await asyncio.to_thread(self.leases.release, lease.session_id, lease.run_id)
        self._orphans = orphans
        for lease in held:
            active = engine.active_run(lease.session_id)
            if active is None or active.id != lease.run_id:
                continue
            if lease.stop_requested:
                engine.stop(lease.session_id)
            if lease.cancel_nodes:
                for node_id in lease.cancel_nodes:
                    engine.cancel_node(lease.session_id, node_id)
                await asyncio.to_thread(self.leases.done_with_cancels, lease.session_id, lease.run_id,
                                        lease.cancel_nodes)

    async def reap(self) -> list[ReapedRun]:
        """End the runs of dead processes; tell their clients (on the shared bus)."""
        reaped = await asyncio.to_thread(self.leases.reap)
        if not reaped:
            return reaped
        log.warning("took back %d run(s) of a process that stopped answering: ended interrupted", len(reaped))
        run_ids = {r.run_id for r in reaped}
        try:
            await asyncio.to_thread(self.on_reaped, run_ids)
        except Exception:
            log.exception("could not settle the holds and jobs of reaped runs")
        counts = await asyncio.to_thread(self._counts, list(run_ids))
        for r in reaped:
            self.bus.publish(r.session_id, RunFinished(run_id=r.run_id, status="interrupted", error=dict(_LOST),
                                                       counts=counts.get(r.run_id, {})))
        return reaped

    def _counts(self, run_ids: list[str]) -> dict[str, dict[str, int]]:
        with self.db.session() as s:
            return node_counts(s, run_ids)
