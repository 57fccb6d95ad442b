"""Running sessions: full runs, runs from a node, isolated reruns, cancel and stop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from ..core.engine import Engine
from ..core.errors import RunNotFound
from ..core.policy import Action, Principal
from ..core.run import RunMode, RunState
from ..store.db import Database
from ..store.run_recorder import load_run, node_counts, run_from_row
from ..store.tables import CreditHold, Run, User
from .run_coordination import SharedRuns
from .run_queue import QueuedRun, RunQueue
from .sessions import FlowUpdate, Sessions


@dataclass(frozen=True)
class SavedOutput:
    """A node's stored outputs (encoded, as recorded) and where they come from."""

    outputs: dict[str, Any]
    source: Literal["cache", "latest_run"]


@dataclass(frozen=True)
class RunHistory:
    """Runs without their node states (an active run's may be there); ``counts``: run id -> status -> nodes."""

    runs: list[RunState]
    counts: dict[str, dict[str, int]]
    limit: int
    offset: int
    emails: dict[str, str] = field(default_factory=dict)  # user id -> email (who ran it)
    credits: dict[str, int] = field(default_factory=dict)  # run id -> credits charged (captured - refunded)


@dataclass(frozen=True)
class NodeCancel:
    node_id: str
    canceled: bool  # False when the node was not queued or running


@dataclass(frozen=True)
class RunStop:
    stopped: bool  # False when nothing was running
    run_id: str | None


class Execution:
    def __init__(self, db: Database, sessions: Sessions, engine: Engine, shared: SharedRuns | None = None) -> None:
        self.db = db
        self.sessions = sessions
        self.engine = engine
        self.shared = shared  # other API processes may be running the session (stop and cancel reach them)
        self.queue = RunQueue(engine, engine.bus)

    async def execute(
        self, principal: Principal, session_id: str, mode: RunMode, target_node_id: str | None, *,
        skip_incomplete: bool = False, queue: bool = False,
    ) -> RunState:
        """Start a run; ``skip_incomplete`` runs what can run and reports the rest skipped (see Engine.plan).
        ``queue``: when the session is busy, the run waits its turn (answered ``queued``) instead of
        being refused with SESSION_BUSY."""
        run, _ = await self.save_and_execute(principal, session_id, mode, target_node_id, None,
                                             skip_incomplete=skip_incomplete, queue=queue)
        return run

    async def save_and_execute(
        self, principal: Principal, session_id: str, mode: RunMode, target_node_id: str | None,
        flow: FlowUpdate | None, *, skip_incomplete: bool = False, queue: bool = False,
    ) -> tuple[RunState, int]:
        """Save ``flow`` (if given, see :meth:`Sessions.save_for_run`) and start a run of the saved graph,
        in one step, so a client pays one round trip; answers the run and the graph version it ran."""
        if flow is not None:
            graph, version = await asyncio.to_thread(self.sessions.save_for_run, principal, session_id, flow)
        else:
            graph, version = await asyncio.to_thread(self.sessions.graph_for_run, principal, session_id)
        if queue and self.queue.must_wait(session_id):
            waiting = self.queue.add(session_id=session_id, user_id=principal.user_id, mode=mode,
                                     target_node_id=target_node_id, skip_incomplete=skip_incomplete,
                                     graph=graph, graph_version=version)
            return waiting.as_run(), version
        run = await self.engine.submit(session_id=session_id, user_id=principal.user_id, graph=graph,
                                        mode=mode, target_node_id=target_node_id, graph_version=version,
                                        checked=self.sessions.checked_graph(session_id, version, graph),
                                        skip_incomplete=skip_incomplete)
        return run, version

    async def delete_session(self, principal: Principal, session_id: str) -> None:
        await asyncio.to_thread(self.sessions.load, principal, session_id, Action.OWN)
        self.queue.clear(session_id)
        run = self.engine.stop(session_id)
        if run is not None:
            await self.engine.wait(session_id, run.id, timeout=30)
        elif self.shared is not None:
            await self.shared.request_stop(session_id)
        await asyncio.to_thread(self.sessions.delete, principal, session_id)

    async def wait(self, session_id: str, run_id: str, timeout: float) -> RunState:
        """Wait up to ``timeout`` s for the run to end (a queued run for its turn first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.queue.wait_started(session_id, run_id, timeout)
        await self.engine.wait(session_id, run_id, max(0.0, deadline - loop.time()))
        held = self._run_in_memory(session_id, run_id)
        return held if held is not None else await asyncio.to_thread(self.run_by_id, session_id, run_id)

    def _run_in_memory(self, session_id: str, run_id: str) -> RunState | None:
        """The run if this process still holds it (active or just ended): no database read, no thread hop."""
        active = self.engine.active_run(session_id)
        if active is not None and active.id == run_id:
            return active
        recent = self.engine.recent_run(run_id)
        return recent if recent is not None and recent.session_id == session_id else None

    async def waiting(self, principal: Principal, session_id: str) -> list[QueuedRun]:
        """The runs waiting in the session's queue, next first."""
        await asyncio.to_thread(self.sessions.load, principal, session_id, Action.VIEW)
        return self.queue.waiting(session_id)

    async def cancel_queued(self, principal: Principal, session_id: str, run_id: str) -> bool:
        """Take a waiting run out of the queue (False when it already started or is unknown)."""
        await asyncio.to_thread(self.sessions.load, principal, session_id, Action.RUN)
        return self.queue.cancel(session_id, run_id)

    async def saved_outputs(self, principal: Principal, session_id: str) -> dict[str, SavedOutput]:
        """What each node last produced, where that still matches its current settings and inputs."""
        graph = await asyncio.to_thread(self.sessions.graph_of, principal, session_id, Action.VIEW)
        outputs, volatile = await self.engine.saved_outputs(session_id, graph)
        nodes = {nid: SavedOutput(outs, "cache") for nid, outs in outputs.items()}
        if volatile:  # never cached (random seeds): show what the latest run made
            latest = await asyncio.to_thread(self.current, principal, session_id)
            for nid in volatile:
                state = latest.nodes.get(nid) if latest is not None else None
                if state is not None and state.outputs:
                    nodes[nid] = SavedOutput(state.outputs, "latest_run")
        return nodes

    async def cancel_node(self, principal: Principal, session_id: str, node_id: str) -> NodeCancel:
        """Engine commands run on the event loop (the engine and the event bus are not thread-safe)."""
        await asyncio.to_thread(self.sessions.load, principal, session_id, Action.RUN)
        canceled = self.engine.cancel_node(session_id, node_id)
        if not canceled and self.shared is not None and self.engine.active_run(session_id) is None:
            canceled = await self.shared.request_cancel(session_id, node_id)  # carried out by its holder
        return NodeCancel(node_id, canceled)

    async def stop(self, principal: Principal, session_id: str) -> RunStop:
        await asyncio.to_thread(self.sessions.load, principal, session_id, Action.RUN)
        run = self.engine.stop(session_id)
        if run is None and self.shared is not None:
            run_id = await self.shared.request_stop(session_id)  # carried out by the process running it
            return RunStop(stopped=run_id is not None, run_id=run_id)
        return RunStop(stopped=run is not None, run_id=run.id if run else None)

    def current(self, principal: Principal, session_id: str) -> RunState | None:
        """The active run, else the latest one (``GetSessionExecution``)."""
        self.sessions.load(principal, session_id, Action.VIEW)
        active = self.engine.active_run(session_id)
        if active is not None:
            return active
        with self.db.session() as s:
            row = s.scalars(select(Run).where(Run.session_id == session_id)
                            .order_by(Run.created_at.desc()).limit(1)).first()
            return load_run(s, row) if row else None

    def run_by_id(self, session_id: str, run_id: str) -> RunState:
        waiting = self.queue.find(session_id, run_id)
        if waiting is not None:
            return waiting.as_run()
        held = self._run_in_memory(session_id, run_id)
        if held is not None:
            return held
        with self.db.session() as s:
            row = s.get(Run, run_id)
            if row is None or row.session_id != session_id:
                raise RunNotFound("run not found")
            return load_run(s, row)

    def get_run(self, principal: Principal, session_id: str, run_id: str) -> RunState:
        self.sessions.load(principal, session_id, Action.VIEW)
        return self.run_by_id(session_id, run_id)

    def history(self, principal: Principal, session_id: str, limit: int, offset: int) -> RunHistory:
        self.sessions.load(principal, session_id, Action.VIEW)
        with self.db.session() as s:
            rows = s.scalars(select(Run).where(Run.session_id == session_id)
                             .order_by(Run.created_at.desc()).limit(limit).offset(offset)).all()
            counts = node_counts(s, [row.id for row in rows])
            runs = [run_from_row(row, {}) for row in rows]
            active = self.engine.active_run(session_id)
            if active is not None and offset == 0:
                counts[active.id] = active.counts()
                if all(r.id != active.id for r in runs):
                    runs.insert(0, active)
            ids = [r.id for r in runs]
            credits: dict[str, int] = {}
            for run_id, captured, refunded in s.execute(
                    select(CreditHold.run_id, CreditHold.captured, CreditHold.refunded)
                    .where(CreditHold.run_id.in_(ids), CreditHold.purpose == "run")):
                if run_id is not None:
                    credits[run_id] = credits.get(run_id, 0) + captured - refunded
            user_ids = {r.user_id for r in runs}
            emails = {uid: email for uid, email in s.execute(select(User.id, User.email).where(User.id.in_(user_ids)))}
        return RunHistory(runs, counts, limit, offset, emails, credits)
