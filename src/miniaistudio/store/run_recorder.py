"""The engine's RunRecorder on SQLAlchemy: runs, the output cache and generated media."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..core.loops import LoopIterationPlan, LoopPlan
from ..core.ports import CacheEntry, MediaRecord
from ..core.run import NodeState, NodeStatus, RunMode, RunState, RunStatus
from .db import Database
from .tables import CachedOutput, Media, Run, RunNode

_RUN_NODES = cast(Table, RunNode.__table__)  # Core statements: executemany with bound keys, dialect upserts


class SqlRunRecorder:
    """Records runs. Each node state is a ``run_nodes`` row: the first save of a run inserts them
    all, later saves upsert only the nodes the engine reports changed, so a flush writes (and
    snapshots on the event loop) in proportion to what changed, not to the size of the run."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._recorded: set[str] = set()  # active runs whose first save committed
        self.last_write_rows = 0  # node rows written by the latest save (read by tests and benchmarks)
        self.last_write_bytes = 0  # their JSON size

    async def lookup_cache(self, session_id: str, signatures: list[str]) -> dict[str, dict[str, Any]]:
        return await asyncio.to_thread(self._lookup, session_id, signatures)

    def _lookup(self, session_id: str, signatures: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with self.db.session() as s:
            for start in range(0, len(signatures), 500):
                chunk = signatures[start:start + 500]
                rows = s.execute(
                    select(CachedOutput.signature, CachedOutput.outputs).where(
                        CachedOutput.session_id == session_id, CachedOutput.signature.in_(chunk)
                    )
                )
                found.update({sig: outs for sig, outs in rows})
        return found

    async def save_run(
        self, run: RunState, cache: list[CacheEntry], media: list[tuple[str, MediaRecord]],
        changed: set[str] | None = None,
    ) -> None:
        ids = run.nodes.keys() if changed is None or run.id not in self._recorded else changed
        nodes = [{"run_id": run.id, "node_id": nid, "status": state.status.value, "state": state.to_dict()}
                 for nid in ids if (state := run.nodes.get(nid)) is not None]  # snapshot before the thread hop
        finished, saved = run.status.finished, False
        try:
            await asyncio.to_thread(self._save, _run_row(run), nodes, run.session_id, run.user_id, cache, media)
            saved = True
        finally:
            if finished:
                self._recorded.discard(run.id)
            elif saved:
                self._recorded.add(run.id)

    def _save(
        self,
        row: dict[str, Any],
        nodes: list[dict[str, Any]],
        session_id: str,
        user_id: str,
        cache: list[CacheEntry],
        media: list[tuple[str, MediaRecord]],
    ) -> None:
        with self.db.session() as s:
            # An UPDATE first (the common case) without loading the stored state back.
            updated = s.execute(update(Run).where(Run.id == row["id"]).values(**row))
            if updated.rowcount != 1:  # type: ignore[attr-defined]
                s.execute(insert(Run).values(**row, nodes={}))  # node states live in run_nodes
            if nodes:
                _upsert_nodes(s, nodes)
            now = datetime.now(UTC)
            if media:  # one executemany, not an ORM object per file
                s.execute(insert(Media), [{
                    "id": rec.id, "owner_id": user_id, "session_id": session_id, "node_id": node_id,
                    "run_id": row["id"], "origin": "generated", "kind": rec.kind, "mime": rec.mime,
                    "filename": rec.filename, "storage_key": rec.storage_key, "size_bytes": rec.size_bytes,
                    "width": rec.width, "height": rec.height, "duration": rec.duration, "codecs": rec.codecs,
                    "meta": rec.metadata, "created_at": now,
                } for node_id, rec in media])
            if cache:
                latest = {c.signature: c for c in cache}  # identical nodes share a signature
                old = {
                    r.signature: r for r in s.scalars(select(CachedOutput).where(
                        CachedOutput.session_id == session_id, CachedOutput.signature.in_(list(latest))))
                }
                fresh = []
                for sig, entry in latest.items():
                    prev = old.get(sig)
                    if prev is not None:
                        prev.outputs, prev.node_type, prev.created_at = entry.outputs, entry.node_type, now
                    else:
                        fresh.append({"session_id": session_id, "signature": sig, "node_type": entry.node_type,
                                      "outputs": entry.outputs, "created_at": now})
                if fresh:
                    s.execute(insert(CachedOutput), fresh)

        self.last_write_rows = len(nodes)
        self.last_write_bytes = sum(len(json.dumps(n["state"], separators=(",", ":"))) for n in nodes)

    def mark_interrupted(self, keep: set[str] | frozenset[str] = frozenset()) -> int:
        """Runs left active by a crash or kill: mark them interrupted (called at start-up), except
        ``keep`` (runs other live processes hold). Only the rows of nodes that were queued or
        running are rewritten."""
        active = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
        with self.db.session() as s:
            run_ids = [rid for rid in s.scalars(select(Run.id).where(Run.status.in_(active))).all()
                       if rid not in keep]
            interrupt_runs(s, run_ids, {"code": "INTERRUPTED", "message": "the server stopped during this run"})
            return len(run_ids)


def interrupt_runs(s: Session, run_ids: list[str], run_error: dict[str, Any]) -> None:
    """End runs ``interrupted``, with their queued and running nodes."""
    stale = (NodeStatus.QUEUED.value, NodeStatus.RUNNING.value)
    error = {"code": "INTERRUPTED", "message": "the server stopped during this node"}
    for run_id in run_ids:
        rows = s.execute(select(RunNode.node_id, RunNode.state).where(
            RunNode.run_id == run_id, RunNode.status.in_(stale))).all()
        if rows:
            s.execute(
                update(_RUN_NODES).where(RunNode.run_id == bindparam("rid"), RunNode.node_id == bindparam("nid"))
                .values(status=NodeStatus.INTERRUPTED.value, state=bindparam("new_state")),
                [{"rid": run_id, "nid": nid,
                  "new_state": {**state, "status": NodeStatus.INTERRUPTED.value, "error": error}}
                 for nid, state in rows])
        s.execute(update(Run).where(Run.id == run_id, Run.status.in_((RunStatus.QUEUED.value,
                                                                        RunStatus.RUNNING.value)))
                  .values(status=RunStatus.INTERRUPTED.value, finished_at=time.time(), error=run_error))


def _upsert_nodes(s: Session, nodes: list[dict[str, Any]]) -> None:
    """Insert or replace node rows: ``INSERT … ON CONFLICT DO UPDATE`` where the dialect has it
    (SQLite, PostgreSQL), else delete then insert the same keys; both stay portable SQL."""
    table = _RUN_NODES
    dialect = s.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        stmt = sqlite_insert(table) if dialect == "sqlite" else pg_insert(table)
        s.execute(stmt.on_conflict_do_update(
            index_elements=[RunNode.run_id, RunNode.node_id],
            set_={"status": stmt.excluded.status, "state": stmt.excluded.state}), nodes)
        return
    run_id = nodes[0]["run_id"]
    for start in range(0, len(nodes), 500):
        chunk = nodes[start:start + 500]
        s.execute(delete(RunNode).where(RunNode.run_id == run_id,
                                        RunNode.node_id.in_([n["node_id"] for n in chunk])))
        s.execute(insert(table), chunk)


def load_run(s: Session, row: Run) -> RunState:
    """A recorded run with all its node states."""
    nodes = {nid: state for nid, state in s.execute(
        select(RunNode.node_id, RunNode.state).where(RunNode.run_id == row.id))}
    return run_from_row(row, nodes)


def node_counts(s: Session, run_ids: list[str]) -> dict[str, dict[str, int]]:
    """Node counts per status for each run, counted by the database (no node state is loaded)."""
    counts: dict[str, dict[str, int]] = {rid: {} for rid in run_ids}
    if run_ids:
        for rid, status, n in s.execute(
                select(RunNode.run_id, RunNode.status, func.count()).where(RunNode.run_id.in_(run_ids))
                .group_by(RunNode.run_id, RunNode.status)):
            counts[rid][status] = n
    return counts


def _run_row(run: RunState) -> dict[str, Any]:
    return {
        "id": run.id,
        "session_id": run.session_id,
        "user_id": run.user_id,
        "mode": run.mode.value,
        "target_node_id": run.target_node_id,
        "status": run.status.value,
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "loops": {loop_id: asdict(plan) for loop_id, plan in run.loops.items()} or None,
    }


def run_from_row(row: Run, nodes: dict[str, dict[str, Any]]) -> RunState:
    """A run from its row and the node states wanted (all, or none for a summary)."""
    return RunState(
        id=row.id,
        session_id=row.session_id,
        user_id=row.user_id,
        mode=RunMode(row.mode),
        target_node_id=row.target_node_id,
        status=RunStatus(row.status),
        nodes={nid: NodeState.from_dict(data) for nid, data in nodes.items()},
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        loops={
            loop_id: LoopPlan(data["loop_id"], data["group_id"],
                              [LoopIterationPlan(**it) for it in data["iterations"]])
            for loop_id, data in (row.loops or {}).items()
        },
    )
