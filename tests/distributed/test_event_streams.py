"""The Redis Streams event bus on a real Redis: streams stay bounded (MAXLEN ~ and an expiry), and a
resume from before what was trimmed is told ``missed`` (the SSE route then starts with a snapshot)."""

from __future__ import annotations

import asyncio

from redis import Redis

from miniaistudio.core.events import NodeProgress
from miniaistudio.store.redis_event_bus import RedisEventBus


async def test_streams_are_trimmed_and_expire_and_a_resume_from_before_the_trim_is_missed(redis_url: str) -> None:
    bus = RedisEventBus(redis_url, max_len=10, ttl_seconds=60)
    redis = Redis.from_url(redis_url, decode_responses=True)
    key = "miniai:events:s1"
    try:
        async with bus.subscribe("s1") as first:
            assert first.position == "0-0" and not first.missed
            for i in range(1000):
                bus.publish("s1", NodeProgress(run_id="r", node_id="n", progress=i / 1000, message=str(i)))
            event = None
            for _ in range(1000):  # read until the last one: every publish reached Redis, in order
                event = await asyncio.wait_for(first.get(), 10)
                if isinstance(event, NodeProgress) and event.message == "999":
                    break
            assert isinstance(event, NodeProgress) and event.message == "999"
        assert redis.xlen(key) < 200  # about max_len: trimming drops whole nodes of entries
        assert 0 < redis.ttl(key) <= 60
        async with bus.subscribe("s1", after="0-0") as too_old:
            assert too_old.missed
        async with bus.subscribe("s1", after=first.position) as recent:
            assert not recent.missed and recent.position == first.position
        async with bus.subscribe("gone", after=first.position) as gone:
            assert gone.missed  # no stream (expired, or Redis restarted): a snapshot is safer
    finally:
        await bus.aclose()
        redis.close()
