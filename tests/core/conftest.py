"""The engine in-process: the fake executor, an in-memory recorder, no HTTP, SQLite or threads."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import pytest

from miniaistudio.core.engine import Engine
from miniaistudio.core.events import Event, EventBus
from miniaistudio.core.graph import Graph
from miniaistudio.core.ports import CacheEntry, MediaRecord, Meter, RetryPolicy
from miniaistudio.core.registry import default_registry
from miniaistudio.core.run import RunMode, RunState
from miniaistudio.core.run_plan import RunPlan
from miniaistudio.executors.fake import FakeExecutor, outputs_from

SESSION = "s1"
E = TypeVar("E", bound=Event)


class MemoryRecorder:
    """A RunRecorder in a dict: the last saved copy of each run, the cache per session."""

    def __init__(self) -> None:
        self.runs: dict[str, RunState] = {}
        self.cache: dict[str, dict[str, dict[str, Any]]] = {}  # session -> signature -> outputs
        self.media: list[tuple[str, MediaRecord]] = []
        self.saves = 0

    async def lookup_cache(self, session_id: str, signatures: list[str]) -> dict[str, dict[str, Any]]:
        stored = self.cache.get(session_id, {})
        return {sig: stored[sig] for sig in signatures if sig in stored}

    async def save_run(self, run: RunState, cache: list[CacheEntry], media: list[tuple[str, MediaRecord]],
                       changed: set[str] | None = None) -> None:
        self.saves += 1
        self.runs[run.id] = copy.deepcopy(run)
        for entry in cache:
            self.cache.setdefault(run.session_id, {})[entry.signature] = entry.outputs
        self.media.extend(media)


class Harness:
    """An engine on a fake executor, and what it published."""

    def __init__(self, *, retry: RetryPolicy = RetryPolicy(), max_concurrent: int | None = None,
                 meter: Meter | None = None) -> None:
        self.executor = FakeExecutor(default=outputs_from(default_registry), max_concurrent=max_concurrent)
        self.recorder = MemoryRecorder()
        self.bus = EventBus()
        self.engine = Engine(default_registry, self.executor, self.recorder, self.bus, flush_interval=0.01,
                             health_interval=0.02, retry=retry, plan_off_loop=False, meter=meter)
        self.events: list[Event] = []
        self._listener: asyncio.Task[None] | None = None

    async def listen(self) -> None:
        ready = asyncio.Event()

        async def collect() -> None:
            async with self.bus.subscribe(SESSION) as queue:
                ready.set()
                while True:
                    self.events.append(await queue.get())

        self._listener = asyncio.create_task(collect())
        await ready.wait()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        await self.engine.shutdown()
        await self.executor.aclose()

    async def start(self, graph: dict[str, Any], mode: RunMode = RunMode.FULL, target: str | None = None,
                    version: Any = None) -> RunState:
        return await self.engine.submit(session_id=SESSION, user_id="u1", graph=Graph.model_validate(graph),
                                        mode=mode, target_node_id=target, graph_version=version)

    async def finish(self, run: RunState, timeout: float = 5.0) -> RunState:
        await self.engine.wait(SESSION, run.id, timeout)
        assert self.engine.active_run(SESSION) is None, "the run did not finish in time"
        await asyncio.sleep(0)  # let the listener take the last event
        finished = self.engine.recent_run(run.id)
        assert finished is not None
        return finished

    async def plan(self, graph: dict[str, Any], mode: RunMode = RunMode.FULL, target: str | None = None) -> RunPlan:
        return await self.engine.plan(session_id=SESSION, user_id="u1", graph=Graph.model_validate(graph),
                                      mode=mode, target_node_id=target)

    async def run(self, graph: dict[str, Any], mode: RunMode = RunMode.FULL, target: str | None = None,
                  version: Any = None) -> RunState:
        return await self.finish(await self.start(graph, mode, target, version))

    def events_of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    await h.listen()
    yield h
    await h.close()


def node(node_id: str, node_type: str, parent: str | None = None, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "params": params, "parent_id": parent}


def edge(source: str, source_handle: str, target: str, target_handle: str) -> dict[str, Any]:
    return {"id": f"{source}.{source_handle}-{target}.{target_handle}", "source": source,
            "source_handle": source_handle, "target": target, "target_handle": target_handle}


def chain() -> dict[str, Any]:
    """color → a1 → a2, and a separate branch color → b."""
    return {
        "nodes": [node("color", "image.solid_color", width=8, height=8), node("a1", "image.adjust"),
                  node("a2", "image.adjust", brightness=1.5), node("b", "image.adjust", contrast=2.0)],
        "edges": [edge("color", "image", "a1", "image"), edge("a1", "image", "a2", "image"),
                  edge("color", "image", "b", "image")],
    }
