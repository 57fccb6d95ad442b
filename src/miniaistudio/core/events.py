"""Run events: one small class per event, plain data only, and their publish/subscribe bus.

Events cross process boundaries (a Redis bus will carry them for distributed workers), so
every field is JSON data: node outputs stay *encoded* values (see ``values.encode_value``);
each door serializes events into its own wire format (v2: ``api/v2/events.py``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class RunStarted:
    type: ClassVar[str] = "run.started"
    run_id: str
    mode: str
    target_node_id: str | None
    nodes: dict[str, str]  # node id -> initial status ("queued" | "cached")


@dataclass(frozen=True)
class NodeStatusChanged:
    type: ClassVar[str] = "node.status"
    run_id: str
    node_id: str
    status: str
    progress: float
    message: str | None
    error: dict[str, Any] | None
    outputs: dict[str, Any] | None  # encoded values


@dataclass(frozen=True)
class NodeProgress:
    type: ClassVar[str] = "node.progress"
    run_id: str
    node_id: str
    progress: float
    message: str | None


@dataclass(frozen=True)
class NodesCanceled:
    """Many queued nodes canceled at once (a stop), in one event."""

    type: ClassVar[str] = "nodes.canceled"
    run_id: str
    node_ids: list[str]
    error: dict[str, Any]


@dataclass(frozen=True)
class RunFinished:
    type: ClassVar[str] = "run.finished"
    run_id: str
    status: str
    error: dict[str, Any] | None
    counts: dict[str, int]
    #: Per loop, its iterations with each member's final state (encoded outputs), as a run reports them.
    loops: dict[str, list[dict[str, Any]]] | None = None
    #: Node id -> {"outputs": encoded, "source": "cache" | "latest_run"}: every stored output that still
    #: matches the run's graph (what ``saved_outputs`` answers now), so clients need not ask again.
    saved: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class QueueChanged:
    """The session's run queue changed: what waits now, in order (``[]`` when empty). ``dropped``
    names a queued run that could not start when its turn came, with the error that stopped it."""

    type: ClassVar[str] = "queue.changed"
    items: list[dict[str, Any]]  # {"run_id", "user_id", "mode", "target_node_id", "queued_at"}
    dropped: dict[str, Any] | None = None  # {"run_id", "error": {"code", "message"}}


@dataclass(frozen=True)
class SessionSaved:
    """The session's graph was saved (a new version): other tabs learn they are behind."""

    type: ClassVar[str] = "session.saved"
    version: int
    user_id: str
    client_id: str | None  # the saving tab's id, so it can ignore its own save


@dataclass(frozen=True)
class AccessChanged:
    """A collaborator's share of the session was revoked, declined or changed: that user's open
    event streams re-check their access (and end when it is gone). Not sent to clients."""

    type: ClassVar[str] = "access.changed"
    user_id: str


Event = (RunStarted | NodeStatusChanged | NodeProgress | NodesCanceled | RunFinished | QueueChanged | SessionSaved
         | AccessChanged)
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in (RunStarted, NodeStatusChanged, NodeProgress,
                                                                  NodesCanceled, RunFinished, QueueChanged,
                                                                  SessionSaved, AccessChanged)}


def event_to_dict(event: Event) -> dict[str, Any]:
    """``{"type": ..., **fields}`` in declaration order: what travels between processes."""
    return {"type": event.type, **{f.name: getattr(event, f.name) for f in fields(event)}}


def event_from_dict(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES[data["type"]]
    return cls(**{k: v for k, v in data.items() if k != "type"})


class EventBus:
    """In-process publish/subscribe of run events, per session.

    The interface is what a Redis pub/sub bus will implement for distributed workers."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._queue_size = queue_size

    def publish(self, session_id: str, event: Event) -> None:
        for queue in tuple(self._subscribers.get(session_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A stalled client: drop its oldest event rather than block the engine.
                queue.get_nowait()
                queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers[session_id].add(queue)
        try:
            yield queue
        finally:
            subs = self._subscribers.get(session_id)
            if subs is not None:
                subs.discard(queue)
                if not subs:
                    del self._subscribers[session_id]

    def subscriber_count(self, session_id: str) -> int:
        return len(self._subscribers.get(session_id, ()))
