"""The engine: turns a run request into node tasks, in dependency order, on an executor.

One coordinator per session at a time. State lives in memory while a run is active and
is written through the :class:`RunRecorder` (throttled while running, always at the end),
so polling and the event stream show the same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import Canceled, SessionBusy, StudioError
from .events import EventBus
from .graph import Graph
from .loops import LOOP_TYPE, LoopPlan, expand_loops, loop_node_ids
from .planner import Plan, current_signatures, decide_execution, plan_run
from .ports import CacheEntry, Executor, MediaRecord, NodeTask, RunRecorder, TaskResult
from .registry import NodeRegistry
from .run import NodeState, NodeStatus, RunMode, RunState, RunStatus
from .urls import MediaUris, Urls
from .validation import CheckedGraph, check_structure
from .values import public_outputs

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_RECENT_RUNS = 64
_PLAN_MEMO = 32
#: Graphs up to this many nodes + links are planned inline (a thread hop costs more than the
#: work); larger ones, and any graph with loops, are planned on a worker thread.
INLINE_GRAPH_ITEMS = 500
#: A periodic flush waits at least this many times as long as the previous write took, so
#: recording a large run costs a bounded share of the time however big its state is.
_FLUSH_DUTY = 9.0
#: Most node tasks handed to the executor at once (at least its largest concurrency).
_LAUNCH_WINDOW = 64


@dataclass
class _Prepared:
    """What a run derives from the graph alone; reused while the graph version is unchanged."""

    checked: CheckedGraph
    closure: list[str]
    wanted: set[str]
    forced: set[str]
    params: dict[str, dict[str, Any]]
    signatures: dict[str, str]
    loops: list[LoopPlan]


@dataclass
class _ActiveRun:
    run: RunState
    checked: CheckedGraph
    plan: Plan
    done: asyncio.Event = field(default_factory=asyncio.Event)
    task_ids: dict[str, str] = field(default_factory=dict)  # node id -> task id while running
    tasks: dict[str, asyncio.Task[TaskResult]] = field(default_factory=dict)  # node id -> task handed out
    pending_cache: list[CacheEntry] = field(default_factory=list)
    pending_media: list[tuple[str, MediaRecord]] = field(default_factory=list)
    dirty: bool = True
    dirty_nodes: set[str] = field(default_factory=set)  # nodes changed since the last flush
    stopping: bool = False
    flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    last_progress_event: dict[str, float] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        registry: NodeRegistry,
        executor: Executor,
        recorder: RunRecorder,
        bus: EventBus,
        *,
        flush_interval: float = 0.25,
        progress_interval: float = 0.1,
        max_expanded_nodes: int | None = None,
        urls: Urls | None = None,
    ) -> None:
        self.registry = registry
        self.urls: Urls = urls or MediaUris()  # how events address media outputs (the door's)
        self.executor = executor
        self.recorder = recorder
        self.bus = bus
        self._flush_interval = flush_interval
        self._progress_interval = progress_interval
        self._max_expanded_nodes = max_expanded_nodes
        self._active: dict[str, _ActiveRun] = {}
        self._recent: OrderedDict[str, RunState] = OrderedDict()  # finished runs by id, newest last
        self._plans: OrderedDict[tuple[Any, ...], _Prepared] = OrderedDict()
        self._drivers: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- queries
    def active_run(self, session_id: str) -> RunState | None:
        active = self._active.get(session_id)
        return active.run if active else None

    def recent_run(self, run_id: str) -> RunState | None:
        """A run that finished lately in this process (saves a database read after waiting)."""
        return self._recent.get(run_id)

    async def wait(self, session_id: str, run_id: str, timeout: float | None) -> None:
        active = self._active.get(session_id)
        if active is None or active.run.id != run_id:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(active.done.wait(), timeout)

    # ---------------------------------------------------------------- commands
    async def submit(
        self,
        *,
        session_id: str,
        user_id: str,
        graph: Graph,
        mode: RunMode,
        target_node_id: str | None = None,
        graph_version: Any = None,
    ) -> RunState:
        """Start a run. ``graph_version`` (any value that changes when the graph does) lets an
        unchanged resubmit reuse the previous plan's validation and signatures."""
        if session_id in self._active:
            raise SessionBusy("this session is already running; stop it or wait for it to finish")
        run_id = str(uuid.uuid4())
        memo_key = (session_id, graph_version, mode, target_node_id) if graph_version is not None else None
        prepared = self._plans.get(memo_key) if memo_key is not None else None
        large = is_large(graph)
        if prepared is None:
            prepared = await _off_loop(large, self._prepare, graph, mode, target_node_id, run_id)
        checked, closure, sigs = prepared.checked, prepared.closure, prepared.signatures
        lookup = [sigs[nid] for nid in closure if nid not in prepared.forced]
        hits = await self.recorder.lookup_cache(session_id, lookup) if lookup else {}
        if session_id in self._active:  # lost a race while awaiting the cache
            raise SessionBusy("this session is already running; stop it or wait for it to finish")
        large = large or len(closure) > INLINE_GRAPH_ITEMS
        plan, nodes = await _off_loop(large, _plan_states, prepared, hits)
        if session_id in self._active:
            raise SessionBusy("this session is already running; stop it or wait for it to finish")
        if memo_key is not None and not plan.salted:
            self._plans[memo_key] = prepared
            self._plans.move_to_end(memo_key)
            while len(self._plans) > _PLAN_MEMO:
                self._plans.popitem(last=False)
        run = RunState(id=run_id, session_id=session_id, user_id=user_id, mode=mode,
                       target_node_id=target_node_id)
        run.loops = {lp.loop_id: lp for lp in prepared.loops}
        run.nodes = nodes
        active = _ActiveRun(run=run, checked=checked, plan=plan, dirty_nodes=set(nodes))
        self._active[session_id] = active
        driver = asyncio.create_task(self._drive(active), name=f"run-{run_id}")
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)
        return run

    def _prepare(self, graph: Graph, mode: RunMode, target: str | None, run_id: str) -> _Prepared:
        """Expand loops, check the graph and plan targets and signatures (no cache yet)."""
        target_node = next((n for n in graph.nodes if n.id == target), None) if target else None
        target_is_loop = target_node is not None and target_node.type == LOOP_TYPE
        if mode == RunMode.FULL:
            expand = loop_node_ids(graph)
        elif target_is_loop:
            expand = [target_node.id]  # type: ignore[union-attr]
        else:
            expand = []  # a member rerun runs once, with its own saved settings
        expanded, loops = expand_loops(graph, self.registry, expand, max_nodes=self._max_expanded_nodes)
        checked = check_structure(expanded, self.registry)
        # Rerunning a loop runs every enabled iteration; the cache keeps unchanged ones.
        targets: tuple[set[str], set[str]] | None = (loops[0].copy_ids(), set()) if target_is_loop else None
        closure, wanted, forced, params, sigs = plan_run(checked, mode, target, run_id, targets=targets)
        return _Prepared(checked, closure, wanted, forced, params, sigs, loops)

    async def saved_outputs(self, session_id: str, graph: Graph) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Stored outputs that still match the graph as saved (node id -> encoded outputs), and the
        nodes that are never cached (or fed by one), which no stored output can match."""
        sigs, volatile = await _off_loop(is_large(graph), self._current_signatures, graph)
        hits = await self.recorder.lookup_cache(session_id, list(set(sigs.values()))) if sigs else {}
        return {nid: hits[sig] for nid, sig in sigs.items() if sig in hits}, volatile

    def _current_signatures(self, graph: Graph) -> tuple[dict[str, str], set[str]]:
        return current_signatures(check_structure(graph, self.registry))

    def cancel_node(self, session_id: str, node_id: str) -> bool:
        """Cancel a queued or running node of the session's active run. Call on the event loop."""
        active = self._active.get(session_id)
        if active is None:
            return False
        state = active.run.nodes.get(node_id)
        if state is None or state.status.finished:
            return False
        if state.status == NodeStatus.QUEUED and node_id not in active.task_ids:
            self._finish_node(active, node_id, NodeStatus.CANCELED,
                              error={"code": "CANCELED", "message": "canceled by user"})
            self._skip_descendants(active, node_id)
            return True
        task_id = active.task_ids.get(node_id)
        return task_id is not None and self.executor.cancel(task_id)

    def stop(self, session_id: str) -> RunState | None:
        """Stop the session's run: queued nodes are canceled in one pass with one event
        (``nodes.canceled``), running ones are asked to cancel. Call on the event loop."""
        active = self._active.get(session_id)
        if active is None:
            return None
        if active.stopping:
            return active.run
        active.stopping = True
        error = {"code": "CANCELED", "message": "run stopped"}
        now = time.time()
        canceled: list[str] = []
        for nid, state in active.run.nodes.items():
            if state.status == NodeStatus.QUEUED:  # not started: its task (if any) waits for a slot
                state.status, state.error, state.finished_at = NodeStatus.CANCELED, error, now
                canceled.append(nid)
                waiting_task = active.tasks.get(nid)
                if waiting_task is not None:
                    waiting_task.cancel()
        active.dirty_nodes.update(canceled)
        active.dirty = True
        if canceled:
            self._publish(session_id, {"type": "nodes.canceled", "run_id": active.run.id,
                                       "node_ids": canceled, "error": error})
        for task_id in list(active.task_ids.values()):
            self.executor.cancel(task_id)
        return active.run

    async def shutdown(self) -> None:
        """Stop every run; what was running is recorded as interrupted."""
        for active in list(self._active.values()):
            active.stopping = True
            for task_id in list(active.task_ids.values()):
                self.executor.cancel(task_id)
        if self._drivers:
            await asyncio.wait(set(self._drivers), timeout=10)

    # ----------------------------------------------------------------- driving
    async def _drive(self, active: _ActiveRun) -> None:
        run, plan, checked = active.run, active.plan, active.checked
        run.status = RunStatus.RUNNING
        run.started_at = time.time()
        self._publish(run.session_id, {
            "type": "run.started", "run_id": run.id, "mode": run.mode.value,
            "target_node_id": run.target_node_id,
            "nodes": {nid: s.status.value for nid, s in run.nodes.items()},
        })
        for nid in plan.cached:
            self._publish_node(active, nid)
        flusher = asyncio.create_task(self._flush_loop(active))
        results: dict[str, dict[str, Any]] = dict(plan.cached)  # node id -> encoded outputs
        executing = set(plan.execute)
        waiting = {
            nid: sum(1 for e in checked.incoming.get(nid, {}).values() if e.source in executing)
            for nid in plan.execute
        }
        # Ready nodes wait here and at most _LAUNCH_WINDOW are handed to the executor at once,
        # so a run of thousands of ready nodes holds a bounded number of tasks, and a stop has
        # only those to cancel. Finished tasks arrive on a queue (O(1) per node, unlike
        # asyncio.wait over every pending task).
        ready = deque(nid for nid in plan.execute if waiting[nid] == 0)
        finished_tasks: asyncio.Queue[tuple[str, asyncio.Task[TaskResult]]] = asyncio.Queue()

        def fill_window() -> None:
            while ready and len(active.tasks) < _LAUNCH_WINDOW and not active.stopping:
                nid = ready.popleft()
                if run.nodes[nid].status != NodeStatus.QUEUED:
                    continue
                task = self._make_task(active, nid, results)
                active.task_ids[nid] = task.task_id
                future = asyncio.create_task(self._execute(active, task))
                active.tasks[nid] = future
                future.add_done_callback(functools.partial(_report_done, finished_tasks, nid))

        try:
            fill_window()
            while active.tasks:
                nid, finished = await finished_tasks.get()
                active.tasks.pop(nid, None)
                active.task_ids.pop(nid, None)
                if self._settle(active, nid, finished, results):
                    for edge in checked.outgoing.get(nid, ()):
                        if edge.target in waiting:
                            waiting[edge.target] -= 1
                            if waiting[edge.target] == 0:
                                ready.append(edge.target)
                else:
                    self._skip_descendants(active, nid)
                fill_window()
        except BaseException:
            log.exception("run %s crashed", run.id)
            for t in active.tasks.values():
                t.cancel()
            run.error = {"code": "INTERNAL_ERROR", "message": "the run stopped unexpectedly"}
            raise
        finally:
            self._close_run(active)
            # Never cancel a flush in flight: its database thread would commit anyway and the
            # records put back for a retry would be written twice. Ask the loop to end instead.
            active.closing.set()
            await asyncio.gather(flusher, return_exceptions=True)
            try:
                await self._flush(active)
            except Exception:
                log.exception("could not record the end of run %s", run.id)
            self._active.pop(run.session_id, None)
            self._recent[run.id] = run
            while len(self._recent) > _RECENT_RUNS:
                self._recent.popitem(last=False)
            active.done.set()
            self._publish(run.session_id, {
                "type": "run.finished", "run_id": run.id, "status": run.status.value,
                "error": run.error, "counts": run.counts(),
            })

    def _make_task(self, active: _ActiveRun, nid: str, results: dict[str, dict[str, Any]]) -> NodeTask:
        inputs = {
            name: results[edge.source][edge.source_handle]
            for name, edge in active.checked.incoming.get(nid, {}).items()
        }
        return NodeTask(
            task_id=str(uuid.uuid4()),
            run_id=active.run.id,
            session_id=active.run.session_id,
            user_id=active.run.user_id,
            node_id=nid,
            node_type=active.checked.specs[nid].type,
            params=active.plan.params[nid],
            inputs=inputs,
        )

    async def _execute(self, active: _ActiveRun, task: NodeTask) -> TaskResult:
        nid = task.node_id

        def on_progress(fraction: float, message: str | None) -> None:
            state = active.run.nodes[nid]
            if state.status.finished:
                return
            first = state.status == NodeStatus.QUEUED
            if first:
                state.status = NodeStatus.RUNNING
                state.started_at = time.time()
            state.progress = max(0.0, min(1.0, fraction))
            state.message = message
            active.dirty = True
            active.dirty_nodes.add(nid)
            now = time.monotonic()
            if first:
                self._publish_node(active, nid)
            elif now - active.last_progress_event.get(nid, 0.0) >= self._progress_interval:
                active.last_progress_event[nid] = now
                self._publish(active.run.session_id, {
                    "type": "node.progress", "run_id": active.run.id, "node_id": nid,
                    "progress": state.progress, "message": message,
                })

        return await self.executor.execute(task, on_progress)

    def _settle(
        self, active: _ActiveRun, nid: str, finished: asyncio.Task[TaskResult],
        results: dict[str, dict[str, Any]],
    ) -> bool:
        """Record a finished task; True when it succeeded."""
        if finished.cancelled():  # stopped before the executor started it
            if not active.run.nodes[nid].status.finished:
                self._finish_node(active, nid, NodeStatus.CANCELED,
                                  error={"code": "CANCELED", "message": "canceled before it started"})
            return False
        exc = finished.exception()
        if isinstance(exc, Canceled) and active.run.nodes[nid].status.finished:
            return False  # already recorded as canceled by stop
        if exc is None:
            result = finished.result()
            results[nid] = result.outputs
            state = active.run.nodes[nid]
            state.outputs = result.outputs
            active.pending_cache.append(CacheEntry(state.signature, state.node_type, result.outputs))
            active.pending_media.extend((nid, m) for m in result.media)
            self._finish_node(active, nid, NodeStatus.SUCCEEDED)
            return True
        if isinstance(exc, Canceled):
            self._finish_node(active, nid, NodeStatus.CANCELED, error=exc.to_dict())
        elif isinstance(exc, StudioError):
            self._finish_node(active, nid, NodeStatus.FAILED, error=exc.to_dict())
        else:
            log.error("node %s failed unexpectedly", nid, exc_info=exc)
            self._finish_node(active, nid, NodeStatus.FAILED,
                              error={"code": "NODE_ERROR", "message": f"{type(exc).__name__}: {exc}"})
        return False

    def _finish_node(
        self, active: _ActiveRun, nid: str, status: NodeStatus, *, error: dict[str, Any] | None = None
    ) -> None:
        state = active.run.nodes[nid]
        state.status = status
        state.error = error
        state.finished_at = time.time()
        if status == NodeStatus.SUCCEEDED:
            state.progress = 1.0
        active.dirty = True
        active.dirty_nodes.add(nid)
        self._publish_node(active, nid)

    def _skip_descendants(self, active: _ActiveRun, nid: str) -> None:
        stack = [nid]
        while stack:
            for edge in active.checked.outgoing.get(stack.pop(), ()):
                state = active.run.nodes.get(edge.target)
                if state is not None and state.status == NodeStatus.QUEUED:
                    self._finish_node(active, edge.target, NodeStatus.SKIPPED, error={
                        "code": "UPSTREAM_FAILED", "message": f"upstream node {nid!r} did not finish",
                    })
                    stack.append(edge.target)

    def _close_run(self, active: _ActiveRun) -> None:
        run = active.run
        for nid, state in run.nodes.items():
            if not state.status.finished:
                state.status = NodeStatus.CANCELED if active.stopping else NodeStatus.INTERRUPTED
                state.finished_at = time.time()
                active.dirty_nodes.add(nid)
        statuses = {s.status for s in run.nodes.values()}
        if run.error is not None:
            run.status = RunStatus.FAILED
        elif active.stopping:
            run.status = RunStatus.CANCELED
        elif NodeStatus.FAILED in statuses:
            run.status = RunStatus.FAILED
            first = next(s for s in run.nodes.values() if s.status == NodeStatus.FAILED)
            run.error = first.error
        elif NodeStatus.CANCELED in statuses or NodeStatus.INTERRUPTED in statuses:
            run.status = RunStatus.CANCELED
        else:
            run.status = RunStatus.SUCCEEDED
        run.finished_at = time.time()
        active.dirty = True

    # --------------------------------------------------------------- recording
    async def _flush_loop(self, active: _ActiveRun) -> None:
        interval = self._flush_interval
        while not active.closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(active.closing.wait(), interval)
            if active.dirty and not active.closing.is_set():
                started = time.monotonic()
                try:
                    await self._flush(active)
                except Exception:
                    log.exception("could not record progress of run %s", active.run.id)
                interval = max(self._flush_interval, _FLUSH_DUTY * (time.monotonic() - started))

    async def _flush(self, active: _ActiveRun) -> None:
        """Record the run: its summary, the nodes changed since the last flush, new cache entries and media."""
        async with active.flush_lock:  # the periodic and the final flush must not interleave
            cache, active.pending_cache = active.pending_cache, []
            media, active.pending_media = active.pending_media, []
            changed, active.dirty_nodes = active.dirty_nodes, set()
            active.dirty = False
            try:
                await self.recorder.save_run(active.run, cache, media, changed)
            except Exception:  # rolled back: keep the records for the next flush
                active.pending_cache[:0] = cache
                active.pending_media[:0] = media
                active.dirty_nodes |= changed
                active.dirty = True
                raise

    # ------------------------------------------------------------------ events
    def _publish(self, session_id: str, event: dict[str, Any]) -> None:
        self.bus.publish(session_id, event)

    def _publish_node(self, active: _ActiveRun, nid: str) -> None:
        if not self.bus.subscriber_count(active.run.session_id):
            return
        state = active.run.nodes[nid]
        self._publish(active.run.session_id, {
            "type": "node.status", "run_id": active.run.id, "node_id": nid,
            "status": state.status.value, "progress": state.progress, "message": state.message,
            "error": state.error, "outputs": public_outputs(state.outputs, self.urls),
        })


def _report_done(queue: asyncio.Queue[tuple[str, asyncio.Task[TaskResult]]], nid: str,
                 task: asyncio.Task[TaskResult]) -> None:
    queue.put_nowait((nid, task))


def is_large(graph: Graph) -> bool:
    """Whether checking and planning ``graph`` is worth a worker thread (see INLINE_GRAPH_ITEMS)."""
    return (len(graph.nodes) + len(graph.edges) > INLINE_GRAPH_ITEMS
            or any(n.type == LOOP_TYPE for n in graph.nodes))


async def _off_loop(large: bool, fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` on a worker thread when the work is large, inline otherwise."""
    return await asyncio.to_thread(fn, *args) if large else fn(*args)


def _plan_states(prepared: _Prepared, hits: dict[str, dict[str, Any]]) -> tuple[Plan, dict[str, NodeState]]:
    """What executes given the cache hits, and each touched node's initial state."""
    checked, sigs = prepared.checked, prepared.signatures
    plan = decide_execution(checked, prepared.closure, prepared.wanted, prepared.forced, sigs, hits, prepared.params)
    nodes: dict[str, NodeState] = {}
    for nid in plan.closure:
        cached = plan.cached.get(nid)
        nodes[nid] = NodeState(
            node_type=checked.specs[nid].type,
            status=NodeStatus.CACHED if cached is not None else NodeStatus.QUEUED,
            signature=sigs[nid],
            progress=1.0 if cached is not None else 0.0,
            outputs=cached,
        )
    return plan, nodes
