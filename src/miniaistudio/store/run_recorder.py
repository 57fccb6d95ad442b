"""The engine's RunRecorder on SQLAlchemy: runs, the output cache and generated media."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from ..core.loops import LoopIterationPlan, LoopPlan
from ..core.ports import CacheEntry, MediaRecord
from ..core.run import NodeState, NodeStatus, RunMode, RunState, RunStatus
from .db import Database
from .tables import CachedOutput, Media, Run


class SqlRunRecorder:
    """Records runs. While a run is active its node states are kept here as documents and only
    the nodes the engine reports changed are re-snapshotted, so the work done on the event loop
    per flush is proportional to what changed (the engine also spaces flushes by their cost)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._node_docs: dict[str, dict[str, dict[str, Any]]] = {}  # active run id -> node id -> state

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
        docs = self._node_docs.get(run.id)
        if docs is None or changed is None:
            docs = {nid: state.to_dict() for nid, state in run.nodes.items()}
        else:  # snapshot on the event loop, before the thread hop: only what changed
            for nid in changed:
                state = run.nodes.get(nid)
                if state is not None:
                    docs[nid] = state.to_dict()
        self._node_docs[run.id] = docs
        row = _run_row(run, docs)
        try:
            await asyncio.to_thread(self._save, row, run.session_id, run.user_id, cache, media)
        finally:
            if run.status.finished:
                self._node_docs.pop(run.id, None)

    def _save(
        self,
        row: dict[str, Any],
        session_id: str,
        user_id: str,
        cache: list[CacheEntry],
        media: list[tuple[str, MediaRecord]],
    ) -> None:
        with self.db.session() as s:
            # An UPDATE first (the common case) without loading the stored state back.
            updated = s.execute(update(Run).where(Run.id == row["id"]).values(**row))
            if updated.rowcount != 1:  # type: ignore[attr-defined]
                s.execute(insert(Run).values(**row))
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

    def mark_interrupted(self) -> int:
        """Runs left active by a crash or kill: mark them interrupted (called at start-up)."""
        active = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
        with self.db.session() as s:
            runs = s.scalars(select(Run).where(Run.status.in_(active))).all()
            for run in runs:
                nodes = dict(run.nodes)
                for nid, data in nodes.items():
                    if data.get("status") in (NodeStatus.QUEUED.value, NodeStatus.RUNNING.value):
                        nodes[nid] = {**data, "status": NodeStatus.INTERRUPTED.value,
                                      "error": {"code": "INTERRUPTED",
                                                "message": "the server stopped during this node"}}
                run.nodes = nodes
                run.status = RunStatus.INTERRUPTED.value
                run.finished_at = time.time()
                run.error = {"code": "INTERRUPTED", "message": "the server stopped during this run"}
            return len(runs)


def _run_row(run: RunState, nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": run.id,
        "session_id": run.session_id,
        "user_id": run.user_id,
        "mode": run.mode.value,
        "target_node_id": run.target_node_id,
        "status": run.status.value,
        "error": run.error,
        "nodes": nodes,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "loops": {loop_id: asdict(plan) for loop_id, plan in run.loops.items()} or None,
    }


def run_from_row(row: Run) -> RunState:
    return RunState(
        id=row.id,
        session_id=row.session_id,
        user_id=row.user_id,
        mode=RunMode(row.mode),
        target_node_id=row.target_node_id,
        status=RunStatus(row.status),
        nodes={nid: NodeState.from_dict(data) for nid, data in row.nodes.items()},
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
