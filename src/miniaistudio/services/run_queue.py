"""Runs waiting their turn: one queue per session, started one after another on the engine.

A run asked for while the session is busy waits here with the graph as it was saved when it was
asked for (what the user queued is what runs, as in ComfyUI), and keeps the id it was answered
with, so ``GET /session/runs/{id}`` and the event stream name it before and after it starts.

The queue lives in this process's memory, as the engine's active runs do: a restart drops what
waits (nothing was charged: credits are held only when a run starts). Clients that would rather
be refused than queued ask with ``queue=False`` and get ``SESSION_BUSY`` as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..core.engine import Engine
from ..core.errors import RunQueueFull, SessionBusy, StudioError
from ..core.events import Bus, QueueChanged
from ..core.graph import Graph
from ..core.run import RunMode, RunState

log = logging.getLogger(__name__)

#: Most runs one session may have waiting.
QUEUE_LIMIT = 20


@dataclass
class QueuedRun:
    run_id: str
    session_id: str
    user_id: str
    mode: RunMode
    target_node_id: str | None
    skip_incomplete: bool
    graph: Graph
    graph_version: int
    queued_at: float = field(default_factory=time.time)
    left: asyncio.Event = field(default_factory=asyncio.Event)  # started, canceled or dropped

    def summary(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "user_id": self.user_id, "mode": self.mode.value,
                "target_node_id": self.target_node_id, "queued_at": self.queued_at}

    def as_run(self) -> RunState:
        """How a waiting run answers: status ``queued``, no node states yet."""
        return RunState(id=self.run_id, session_id=self.session_id, user_id=self.user_id, mode=self.mode,
                        target_node_id=self.target_node_id, created_at=self.queued_at)


class RunQueue:
    """Per-session FIFO of runs; a pump task per busy session starts the next when the engine is free.
    Every method runs on the event loop (the engine and the bus are not thread-safe)."""

    def __init__(self, engine: Engine, bus: Bus, limit: int = QUEUE_LIMIT) -> None:
        self.engine = engine
        self.bus = bus
        self.limit = limit
        self._waiting: dict[str, deque[QueuedRun]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}

    def waiting(self, session_id: str) -> list[QueuedRun]:
        return list(self._waiting.get(session_id, ()))

    def find(self, session_id: str, run_id: str) -> QueuedRun | None:
        return next((q for q in self._waiting.get(session_id, ()) if q.run_id == run_id), None)

    def must_wait(self, session_id: str) -> bool:
        """A new run would wait: one runs, or others wait before it."""
        return self.engine.active_run(session_id) is not None or bool(self._waiting.get(session_id))

    def add(self, *, session_id: str, user_id: str, mode: RunMode, target_node_id: str | None,
            skip_incomplete: bool, graph: Graph, graph_version: int) -> QueuedRun:
        line = self._waiting.setdefault(session_id, deque())
        if len(line) >= self.limit:
            raise RunQueueFull(f"{len(line)} runs already wait in this session; cancel one or wait",
                               details={"limit": self.limit})
        item = QueuedRun(run_id=str(uuid.uuid4()), session_id=session_id, user_id=user_id, mode=mode,
                         target_node_id=target_node_id, skip_incomplete=skip_incomplete, graph=graph,
                         graph_version=graph_version)
        line.append(item)
        self._changed(session_id)
        if session_id not in self._pumps:
            pump = asyncio.create_task(self._pump(session_id), name=f"queue-{session_id}")
            self._pumps[session_id] = pump
        return item

    def cancel(self, session_id: str, run_id: str) -> bool:
        """Take a waiting run out of the queue; False when it is not waiting (started or unknown)."""
        item = self.find(session_id, run_id)
        if item is None:
            return False
        self._waiting[session_id].remove(item)
        item.left.set()
        self._changed(session_id)
        return True

    def clear(self, session_id: str) -> int:
        """Drop everything waiting (the session is being deleted)."""
        line = self._waiting.pop(session_id, deque())
        for item in line:
            item.left.set()
        if line:
            self._changed(session_id)
        return len(line)

    async def wait_started(self, session_id: str, run_id: str, timeout: float) -> None:
        item = self.find(session_id, run_id)
        if item is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(item.left.wait(), timeout)

    async def shutdown(self) -> None:
        for session_id in list(self._waiting):
            self.clear(session_id)
        pumps = list(self._pumps.values())
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

    # ----------------------------------------------------------------- pump
    async def _pump(self, session_id: str) -> None:
        try:
            while self._waiting.get(session_id):
                active = self.engine.active_run(session_id)
                if active is not None:
                    await self.engine.wait(session_id, active.id, None)
                    await asyncio.sleep(0)  # let the finished run's last event go out first
                    continue
                item = self._waiting[session_id].popleft()
                try:
                    await self.engine.submit(
                        session_id=session_id, user_id=item.user_id, graph=item.graph, mode=item.mode,
                        target_node_id=item.target_node_id, graph_version=item.graph_version,
                        skip_incomplete=item.skip_incomplete, run_id=item.run_id)
                except SessionBusy:  # another run started first (a client that does not queue): wait again
                    self._waiting[session_id].appendleft(item)
                    await asyncio.sleep(0.05)
                    continue
                except StudioError as error:  # e.g. the graph no longer plans, or credits ran out
                    item.left.set()
                    self._changed(session_id, {"run_id": item.run_id,
                                               "error": {"code": error.code, "message": error.message}})
                    continue
                item.left.set()
                self._changed(session_id)
        except Exception:
            log.exception("the run queue of session %s stopped", session_id)
        finally:
            self._pumps.pop(session_id, None)
            if not self._waiting.get(session_id):
                self._waiting.pop(session_id, None)

    def _changed(self, session_id: str, dropped: dict[str, Any] | None = None) -> None:
        items = [q.summary() for q in self._waiting.get(session_id, ())]
        self.bus.publish(session_id, QueueChanged(items=items, dropped=dropped))
