"""Run events on Redis Streams, shared by every API process (``MINIAI_REDIS_URL``).

One stream per session (``miniai:events:<session id>``). Publishing never blocks the engine: events
wait in a bounded in-process outbox that one writer task sends in order, pipelined, with ``XADD
MAXLEN ~`` (each stream keeps about ``max_len`` events, so Redis memory is bounded) and an expiry
renewed on every write (an idle session's stream goes away). Stream ids are the event ids clients
resume after (SSE ``Last-Event-ID``): a client that reconnects to another process reads on from
where it was, and is told ``missed`` when the stream no longer reaches back that far.

Each subscriber reads with its own blocking ``XREAD``. A Redis restart or a dropped connection is
retried (with a short back-off) by the writer and every reader; redis-py reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..core.events import Event, Subscription, event_from_dict, event_to_dict

log = logging.getLogger(__name__)

_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
_RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)
_BATCH = 200


def _ordinal(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq)


class _StreamSubscription:
    def __init__(self, redis: Redis, key: str, position: str, block_ms: int) -> None:
        self._redis = redis
        self._key = key
        self._read_from = position
        self._block_ms = block_ms
        self._buffer: deque[tuple[str, dict[str, str]]] = deque()
        self.position = position
        self.missed = False

    async def get(self) -> Event:
        failures = 0
        while not self._buffer:
            try:
                answer: Any = await self._redis.xread({self._key: self._read_from}, count=_BATCH,
                                                      block=self._block_ms)
            except (RedisError, OSError) as exc:
                delay = _RETRY_SECONDS[min(failures, len(_RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("reading events from Redis failed (%s); retrying in %.2f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for _stream, entries in answer or ():
                self._buffer.extend(entries)
            if self._buffer:
                self._read_from = self._buffer[-1][0]
        event_id, data = self._buffer.popleft()
        self.position = event_id
        return event_from_dict(json.loads(data["e"]))


class RedisEventBus:
    def __init__(self, url: str, *, max_len: int = 1000, ttl_seconds: int = 3600, outbox: int = 10_000,
                 block_ms: int = 5000, prefix: str = "miniai:events:") -> None:
        self._redis = Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_keepalive=True,
                                     health_check_interval=30)
        self.max_len = max_len
        self.ttl_seconds = ttl_seconds
        self._block_ms = block_ms
        self._prefix = prefix
        self._outbox: deque[tuple[str, str]] = deque(maxlen=outbox)
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}{session_id}"

    # -- publishing ----------------------------------------------------------------------------------
    def publish(self, session_id: str, event: Event) -> None:
        """Queue the event for the writer task (call on the event loop; returns at once)."""
        if self._writer is None:
            self._start_writer()
        if threading.get_ident() != self._loop_thread:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self.publish, session_id, event)
            return
        self._outbox.append((session_id, json.dumps(event_to_dict(event), separators=(",", ":"))))
        assert self._wake is not None
        self._wake.set()

    def _start_writer(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._writer = asyncio.create_task(self._write(), name="redis-event-writer")

    async def _write(self) -> None:
        assert self._wake is not None
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(_BATCH, len(self._outbox)))]
                try:
                    await self._send(batch)
                    failures = 0
                except (RedisError, OSError) as exc:
                    self._outbox.extendleft(reversed(batch))  # sent again, in order, once Redis answers
                    delay = _RETRY_SECONDS[min(failures, len(_RETRY_SECONDS) - 1)]
                    failures += 1
                    log.warning("publishing events to Redis failed (%s); retrying in %.2f s", exc, delay)
                    await asyncio.sleep(delay)

    async def _send(self, batch: list[tuple[str, str]]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id, data in batch:
                pipe.xadd(self._key(session_id), {"e": data}, maxlen=self.max_len, approximate=True)
            for session_id in {sid for sid, _ in batch}:
                pipe.expire(self._key(session_id), self.ttl_seconds)
            await pipe.execute()

    # -- subscribing ---------------------------------------------------------------------------------
    @asynccontextmanager
    async def subscribe(self, session_id: str, after: str | None = None) -> AsyncIterator[Subscription]:
        key = self._key(session_id)
        if after is not None and _STREAM_ID.match(after):
            subscription = _StreamSubscription(self._redis, key, after, self._block_ms)
            oldest = await self._oldest_kept(key)
            # Trimmed past the resume point (or gone: expired, Redis restarted): events may be missing.
            subscription.missed = oldest == "gone" or (oldest is not None and _ordinal(oldest) > _ordinal(after))
        else:
            newest = await self._newest(key)
            subscription = _StreamSubscription(self._redis, key, newest or "0-0", self._block_ms)
            subscription.missed = after is not None  # not an id of ours
        yield subscription

    async def _newest(self, key: str) -> str | None:
        """The id of the stream's newest entry (None: empty, or Redis unreachable: read from the start)."""
        try:
            entries: Any = await self._redis.xrevrange(key, count=1)
        except (RedisError, OSError) as exc:
            log.warning("reading the event stream's end from Redis failed: %s", exc)
            return None
        return str(entries[0][0]) if entries else None

    async def _oldest_kept(self, key: str) -> str | None:
        """The id of the oldest entry when older ones were trimmed; None when none was; "gone" when the
        stream does not exist (expired, or a restarted Redis) or Redis cannot say."""
        try:
            info: Any = await self._redis.xinfo_stream(key)
        except (RedisError, OSError):
            return "gone"
        first = info.get("first-entry")
        if not first:
            return None if info.get("entries-added", 1) == 0 else "gone"
        if info.get("entries-added", info["length"] + 1) == info["length"]:  # Redis 7 counts: nothing trimmed
            return None
        return str(first[0])

    def subscriber_count(self, session_id: str) -> int:
        """Listeners may be on any process, so events are always published."""
        return 1

    async def aclose(self) -> None:
        """Send what is queued (briefly, if Redis answers), then close the connections."""
        if self._writer is not None:
            if self._outbox:
                try:
                    await asyncio.wait_for(self._send(list(self._outbox)), 2)
                except (RedisError, OSError, TimeoutError):
                    log.warning("%d event(s) not published at shutdown", len(self._outbox))
                self._outbox.clear()
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._redis.aclose()
