"""Run events: one small class per event, plain data only, and their publish/subscribe bus.

Events cross process boundaries (``store/redis_event_bus.py`` carries them between API processes), so
every field is JSON data: node outputs stay *encoded* values (see ``values.encode_value``);
each door serializes events into its own wire format (v2: ``api/v2/events.py``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict, defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol


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


class Subscription(Protocol):
    """One listener's view of a session's events, in order. ``position`` is the id of the last
    event :meth:`get` returned (before the first: where the subscription starts), the value a
    client resumes after (SSE ``Last-Event-ID``). ``missed``: the resume point asked for is no
    longer kept (too old, or another process's), so events may be missing: show a fresh state."""

    position: str
    missed: bool

    async def get(self) -> Event: ...


class Bus(Protocol):
    """What the engine and the doors need of an event bus: :class:`EventBus` in one process,
    ``store.redis_event_bus.RedisEventBus`` across API processes. Publish on the event loop."""

    def publish(self, session_id: str, event: Event) -> None: ...

    def subscribe(self, session_id: str, after: str | None = None) -> AbstractAsyncContextManager[Subscription]:
        ...

    def subscriber_count(self, session_id: str) -> int: ...

    async def aclose(self) -> None: ...


class _MemorySubscription:
    def __init__(self, queue_size: int, epoch: str, start: int) -> None:
        self.queue: asyncio.Queue[tuple[int, Event]] = asyncio.Queue(queue_size)
        self._epoch = epoch
        self.position = f"{epoch}-{start}"
        self.missed = False

    def put(self, item: tuple[int, Event]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A stalled client: drop its oldest event rather than block the engine.
            self.queue.get_nowait()
            self.queue.put_nowait(item)

    async def get(self) -> Event:
        seq, event = await self.queue.get()
        self.position = f"{self._epoch}-{seq}"
        return event


@dataclass
class _History:
    events: deque[tuple[int, Event]]
    floor: int = 0  # the newest sequence number dropped from ``events``


class EventBus:
    """In-process publish/subscribe of run events, per session.

    Each event gets an id (this process's epoch and a sequence number), and the latest events of
    recently active sessions are kept, so a client that reconnects (SSE ``Last-Event-ID``) gets
    what it missed. Ids of another process (or of this one before a restart) are ``missed``."""

    def __init__(self, queue_size: int = 1000, history: int = 500, sessions_kept: int = 256) -> None:
        self._subscribers: dict[str, set[_MemorySubscription]] = defaultdict(set)
        self._queue_size = queue_size
        self._epoch = uuid.uuid4().hex[:12]
        self._seq = 0
        self._history_size = history
        self._sessions_kept = sessions_kept
        self._history: OrderedDict[str, _History] = OrderedDict()

    def publish(self, session_id: str, event: Event) -> None:
        self._seq += 1
        item = (self._seq, event)
        kept = self._history.get(session_id)
        if kept is None:
            kept = self._history[session_id] = _History(deque())
            while len(self._history) > self._sessions_kept:
                self._history.popitem(last=False)
        else:
            self._history.move_to_end(session_id)
        if len(kept.events) == self._history_size:
            kept.floor = kept.events.popleft()[0]
        kept.events.append(item)
        for subscriber in tuple(self._subscribers.get(session_id, ())):
            subscriber.put(item)

    @asynccontextmanager
    async def subscribe(self, session_id: str, after: str | None = None) -> AsyncIterator[Subscription]:
        subscription = _MemorySubscription(self._queue_size, self._epoch, self._seq)
        if after is not None:
            self._replay(subscription, session_id, after)
        self._subscribers[session_id].add(subscription)
        try:
            yield subscription
        finally:
            subs = self._subscribers.get(session_id)
            if subs is not None:
                subs.discard(subscription)
                if not subs:
                    del self._subscribers[session_id]

    def _replay(self, subscription: _MemorySubscription, session_id: str, after: str) -> None:
        epoch, _, number = after.partition("-")
        kept = self._history.get(session_id)
        if epoch != self._epoch or not number.isdigit() or int(number) > self._seq or (
                kept is None and int(number) < self._seq):
            subscription.missed = True  # a restart, another process, or history no longer kept
            return
        seq = int(number)
        subscription.position = after
        if kept is None:
            return
        subscription.missed = seq < kept.floor
        for item in kept.events:
            if item[0] > seq:
                subscription.put(item)

    def subscriber_count(self, session_id: str) -> int:
        return len(self._subscribers.get(session_id, ()))

    async def aclose(self) -> None:
        """Nothing to release in one process."""
