"""In-process publish/subscribe of run events, per session.

The interface is what a Redis pub/sub bus will implement for distributed workers.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Event = dict[str, Any]


class EventBus:
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
