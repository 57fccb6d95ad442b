"""The engine: turns a run request into node tasks, in dependency order, on an executor.

One coordinator per session at a time. State lives in memory while a run is active and
is written through the :class:`RunRecorder` (throttled while running, always at the end),
so polling and the event stream show the same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .errors import InvalidRequest, SessionBusy
from .events import Bus, Event, NodeProgress, NodesCanceled, NodeStatusChanged, RunFinished, RunStarted
from .graph import Graph
from .loops import LOOP_TYPE, LoopPlan, expand_loops, loop_node_ids, loop_summary
from .node_modes import ModedGraph, apply_modes, has_modes
from .planner import Plan, current_signatures, decide_execution, plan_run
from .ports import (
    CacheEntry,
    Executor,
    Meter,
    NodeTask,
    NullMeter,
    RetryPolicy,
    RunCoordinator,
    RunRecorder,
    SingleProcess,
    TaskEvent,
    TaskFailed,
    TaskHealth,
    TaskLog,
    TaskOutputsReady,
    TaskProgress,
    TaskStarted,
    TaskSucceeded,
)
from .registry import NodeRegistry
from .run import NodeState, NodeStatus, RunMode, RunState, RunStatus
from .run_plan import Cost, RunPlan
from .run_writer import RunWriter
from .validation import CheckedGraph, check_structure

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_RECENT_RUNS = 64
_PLAN_MEMO = 32
#: Graphs up to this many nodes + links are planned inline (a thread hop costs more than the
#: work); larger ones, and any graph with loops, are planned on a worker thread.
INLINE_GRAPH_ITEMS = 500
#: Most node tasks handed to the executor at once (at least its largest concurrency).
_LAUNCH_WINDOW = 64
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


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
    skipped: dict[str, dict[str, Any]]  # node id -> why it cannot run (runs that skip incomplete nodes)
    set_aside: ModedGraph | None = None  # muted and bypassed nodes (and what only they fed)


@dataclass
class _ActiveRun:
    run: RunState
    writer: RunWriter
    cost: Cost
    checked: CheckedGraph
    plan: Plan
    graph: Graph
    graph_version: Any
    done: asyncio.Event = field(default_factory=asyncio.Event)
    task_ids: dict[str, str] = field(default_factory=dict)  # node id -> task id, from launch to its end
    task_nodes: dict[str, NodeTask] = field(default_factory=dict)  # task id -> the task, from launch to its end
    events: asyncio.Queue[TaskEvent] = field(default_factory=asyncio.Queue)  # what the executor reports
    stopping: bool = False
    recording_end: bool = False  # the final state is decided but not yet written (see ``active_run``)
    last_progress_event: dict[str, float] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        registry: NodeRegistry,
        executor: Executor,
        recorder: RunRecorder,
        bus: Bus,
        *,
        flush_interval: float = 0.25,
        progress_interval: float = 0.1,
        max_expanded_nodes: int | None = None,
        retry: RetryPolicy = RetryPolicy(),
        health_interval: float = 5.0,
        plan_off_loop: bool = True,
        meter: Meter | None = None,
        coordinator: RunCoordinator | None = None,
    ) -> None:
        self.registry = registry
        self.executor = executor
        self.recorder = recorder
        self.bus = bus
        self._flush_interval = flush_interval
        self._progress_interval = progress_interval
        self._max_expanded_nodes = max_expanded_nodes
        self._retry = retry
        self.meter: Meter = meter or NullMeter()
        self.coordinator: RunCoordinator = coordinator or SingleProcess()  # other processes running sessions
        self._health_interval = health_interval
        self._plan_off_loop = plan_off_loop  # False: large graphs are planned inline too (tests without threads)
        self._active: dict[str, _ActiveRun] = {}
        self._recent: OrderedDict[str, RunState] = OrderedDict()  # finished runs by id, newest last
        self._plans: OrderedDict[tuple[Any, ...], _Prepared] = OrderedDict()
        self._signatures: OrderedDict[tuple[Any, ...], tuple[dict[str, str], set[str]]] = OrderedDict()
        self._drivers: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- queries
    def active_run(self, session_id: str) -> RunState | None:
        """The session's running run. Between deciding its end and recording it (outputs, media rows),
        it still answers ``running``: a client that sees a run finished can fetch everything it made."""
        active = self._active.get(session_id)
        if active is None:
            return None
        if active.recording_end:
            return replace(active.run, status=RunStatus.RUNNING, finished_at=None)
        return active.run

    def active_runs(self) -> list[RunState]:
        """Every run this process is driving."""
        return [active.run for active in self._active.values()]

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
        checked: CheckedGraph | None = None,
        skip_incomplete: bool = False,
        run_id: str | None = None,
    ) -> RunState:
        """Plan and start a run in one step (see :meth:`plan` and :meth:`start`)."""
        return await self.start(await self.plan(session_id=session_id, user_id=user_id, graph=graph, mode=mode,
                                                target_node_id=target_node_id, graph_version=graph_version,
                                                checked=checked, skip_incomplete=skip_incomplete, run_id=run_id))

    async def plan(
        self,
        *,
        session_id: str,
        user_id: str,
        graph: Graph,
        mode: RunMode,
        target_node_id: str | None = None,
        graph_version: Any = None,
        checked: CheckedGraph | None = None,
        skip_incomplete: bool = False,
        run_id: str | None = None,
    ) -> RunPlan:
        """What a run would execute, take from the cache and cost, without starting it.

        ``graph_version`` (any value that changes when the graph does) lets an unchanged
        resubmit reuse the previous plan's validation and signatures; ``checked`` is the save's
        own check of this very graph, reused when no loop expansion changes it (checked once per version).
        ``skip_incomplete``: nodes missing a required input, and their descendants, are reported
        ``skipped`` with the reason and the rest runs (by default such a graph is refused, GRAPH_INVALID).
        ``run_id``: the id the run will have (a queued run keeps the id it was given when queued)."""
        if session_id in self._active:
            raise SessionBusy("this session is already running; stop it or wait for it to finish")
        run_id = run_id or str(uuid.uuid4())
        memo_key = ((session_id, graph_version, mode, target_node_id, skip_incomplete)
                    if graph_version is not None else None)
        prepared = self._plans.get(memo_key) if memo_key is not None else None
        large = self._plan_off_loop and is_large(graph)
        if prepared is None:
            prepared = await _off_loop(large, self._prepare, graph, mode, target_node_id, run_id, checked,
                                       skip_incomplete)
        closure, sigs = prepared.closure, prepared.signatures
        lookup = [sigs[nid] for nid in closure if nid not in prepared.forced]
        hits = await self.recorder.lookup_cache(session_id, lookup) if lookup else {}
        if session_id in self._active:  # lost a race while awaiting the cache
            raise SessionBusy("this session is already running; stop it or wait for it to finish")
        large = large or (self._plan_off_loop and len(closure) > INLINE_GRAPH_ITEMS)
        plan, nodes = await _off_loop(large, _plan_states, prepared, hits)
        if memo_key is not None and not plan.salted:
            self._plans[memo_key] = prepared
            self._plans.move_to_end(memo_key)
            while len(self._plans) > _PLAN_MEMO:
                self._plans.popitem(last=False)
        run = RunState(id=run_id, session_id=session_id, user_id=user_id, mode=mode,
                       target_node_id=target_node_id)
        run.loops = {lp.loop_id: lp for lp in prepared.loops}
        run.nodes = nodes
        run_plan = RunPlan(run=run, checked=prepared.checked, plan=plan, graph=graph, graph_version=graph_version)
        run_plan.cost = await self.meter.estimate(run_plan)
        return run_plan

    async def start(self, run_plan: RunPlan) -> RunState:
        """Hold the plan's cost with the meter and start running it (once)."""
        if run_plan.started:
            raise ValueError("a run plan starts once")
        run = run_plan.run
        busy = SessionBusy("this session is already running; stop it or wait for it to finish")
        if run.session_id in self._active:
            raise busy
        run_plan.started = True
        if not await self.coordinator.claim(run.session_id, run.id):  # another process runs it
            raise busy
        try:
            await self.meter.hold(run, run_plan.cost.total)
        except BaseException:
            await self.coordinator.release(run.session_id, run.id)
            raise
        if run.session_id in self._active:  # another run started while the meter held credits
            await self.meter.release(run)
            await self.coordinator.release(run.session_id, run.id)
            raise busy
        active = _ActiveRun(run=run, writer=RunWriter(self.recorder, run, self._flush_interval, run.nodes),
                            checked=run_plan.checked, plan=run_plan.plan, cost=run_plan.cost,
                            graph=run_plan.graph, graph_version=run_plan.graph_version)
        self._active[run.session_id] = active
        driver = asyncio.create_task(self._drive(active), name=f"run-{run.id}")
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)
        return run

    def _prepare(self, graph: Graph, mode: RunMode, target: str | None, run_id: str,
                 checked_graph: CheckedGraph | None = None, skip_incomplete: bool = False) -> _Prepared:
        """Apply bypass/mute, expand loops, check the graph and plan targets and signatures (no cache yet)."""
        moded: ModedGraph | None = None
        if has_modes(graph):
            raw = checked_graph if checked_graph is not None and checked_graph.graph is graph \
                else check_structure(graph, self.registry)
            moded = apply_modes(raw)
            if target is not None and target in moded.set_aside:
                why = moded.set_aside[target]
                raise InvalidRequest(f"{why['message']}: set it back to normal to run it", code=f"NODE_{why['code']}",
                                     details={"node_id": target})
            graph, checked_graph = moded.graph, None
        target_node = next((n for n in graph.nodes if n.id == target), None) if target else None
        target_is_loop = target_node is not None and target_node.type == LOOP_TYPE
        if mode == RunMode.FULL:
            expand = loop_node_ids(graph)
        elif target_is_loop:
            expand = [target_node.id]  # type: ignore[union-attr]
        else:
            expand = []  # a member rerun runs once, with its own saved settings
        expanded, loops = expand_loops(graph, self.registry, expand, max_nodes=self._max_expanded_nodes)
        reuse = checked_graph is not None and expanded is graph and checked_graph.graph is graph
        checked = checked_graph if reuse and checked_graph is not None else check_structure(expanded, self.registry)
        # Rerunning a loop runs every enabled iteration; the cache keeps unchanged ones.
        targets: tuple[set[str], set[str]] | None = (loops[0].copy_ids(), set()) if target_is_loop else None
        closure, wanted, forced, params, sigs, skipped = plan_run(checked, mode, target, run_id, targets=targets,
                                                                  skip_incomplete=skip_incomplete)
        if mode != RunMode.FULL:  # only a full run reports the nodes modes left out
            moded = None
        return _Prepared(checked, closure, wanted, forced, params, sigs, loops, skipped, moded)

    async def saved_outputs(
        self, session_id: str, graph: Graph, graph_version: Any = None,
    ) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Stored outputs that still match the graph as saved (node id -> encoded outputs), and the
        nodes that are never cached (or fed by one), which no stored output can match.

        With a ``graph_version`` the graph's signatures are computed once per version."""
        memo_key = (session_id, graph_version) if graph_version is not None else None
        known = self._signatures.get(memo_key) if memo_key is not None else None
        if known is None:
            known = await _off_loop(self._plan_off_loop and is_large(graph), self._current_signatures, graph)
            if memo_key is not None:
                self._signatures[memo_key] = known
                while len(self._signatures) > _PLAN_MEMO:
                    self._signatures.popitem(last=False)
        sigs, volatile = known
        hits = await self.recorder.lookup_cache(session_id, list(set(sigs.values()))) if sigs else {}
        return {nid: hits[sig] for nid, sig in sigs.items() if sig in hits}, volatile

    def _current_signatures(self, graph: Graph) -> tuple[dict[str, str], set[str]]:
        checked = check_structure(graph, self.registry)
        if has_modes(graph):  # the signatures of the graph a run would execute
            checked = check_structure(apply_modes(checked).graph, self.registry)
        return current_signatures(checked)

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
        return task_id is not None and self.executor.terminate(task_id)

    def stop(self, session_id: str) -> RunState | None:
        """Stop the session's run: queued nodes are canceled in one pass with one event
        (``nodes.canceled``), running ones are asked to cancel. Call on the event loop."""
        active = self._active.get(session_id)
        if active is None or active.run.status.finished:  # ended; only its last write is pending
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
        active.writer.nodes_changed(canceled)
        if canceled:
            self._publish(session_id, NodesCanceled(run_id=active.run.id, node_ids=canceled, error=error))
        for task_id in list(active.task_ids.values()):  # waiting ones end at once, running ones when they can
            self.executor.terminate(task_id)
        return active.run

    async def shutdown(self) -> None:
        """Stop every run; what was running is recorded as interrupted."""
        for active in list(self._active.values()):
            active.stopping = True
            for task_id in list(active.task_ids.values()):
                self.executor.terminate(task_id)
        if self._drivers:
            await asyncio.wait(set(self._drivers), timeout=10)

    # ----------------------------------------------------------------- driving
    async def _drive(self, active: _ActiveRun) -> None:
        run, plan, checked = active.run, active.plan, active.checked
        run.status = RunStatus.RUNNING
        run.started_at = time.time()
        self._publish(run.session_id, RunStarted(
            run_id=run.id, mode=run.mode.value, target_node_id=run.target_node_id,
            nodes={nid: s.status.value for nid, s in run.nodes.items()},
        ))
        for nid in [*plan.cached, *(n for n, s in run.nodes.items() if s.status == NodeStatus.SKIPPED)]:
            self._publish_node(active, nid)
        active.writer.start()
        watcher = asyncio.create_task(self._watch_health(active))
        results: dict[str, dict[str, Any]] = dict(plan.cached)  # node id -> encoded outputs
        executing = set(plan.execute)
        waiting = {
            nid: sum(1 for e in checked.incoming.get(nid, {}).values() if e.source in executing)
            for nid in plan.execute
        }
        # Ready nodes wait here and at most _LAUNCH_WINDOW are handed to the executor at once,
        # so a run of thousands of ready nodes holds a bounded number of tasks, and a stop has
        # only those to terminate. Everything tasks report arrives on one queue, in order.
        ready = deque(nid for nid in plan.execute if waiting[nid] == 0)
        early: set[str] = set()  # nodes whose outputs came before their end (files written behind)

        def release(nid: str) -> None:
            """``nid``'s outputs are known: the nodes waiting for it may become ready."""
            for edge in checked.outgoing.get(nid, ()):
                if edge.target in waiting:
                    waiting[edge.target] -= 1
                    if waiting[edge.target] == 0:
                        ready.append(edge.target)

        async def fill_window() -> None:
            while ready and len(active.task_ids) < _LAUNCH_WINDOW and not active.stopping:
                nid = ready.popleft()
                if run.nodes[nid].status == NodeStatus.QUEUED:
                    await self._launch(active, self._make_task(active, nid, results))

        try:
            await fill_window()
            while active.task_ids:
                event = await active.events.get()
                task = active.task_nodes.get(event.task_id)
                if task is None:
                    continue  # a task that already ended (a late report, or lost and then found)
                if isinstance(event, TaskOutputsReady):
                    nid = task.node_id
                    if nid not in early and not run.nodes[nid].status.finished and not active.stopping:
                        early.add(nid)
                        results[nid] = event.outputs
                        release(nid)
                        await fill_window()
                    continue
                if not isinstance(event, TaskSucceeded | TaskFailed):
                    self._on_report(active, task.node_id, event)
                    continue
                del active.task_nodes[event.task_id]
                active.task_ids.pop(task.node_id, None)
                if task.node_id not in early and self._should_retry(active, task, event):
                    await self._launch(active, replace(task, task_id=str(uuid.uuid4()), attempt=task.attempt + 1))
                    continue
                nid = task.node_id
                succeeded = self._settle(active, nid, event, results)
                await self.meter.node_finished(run, nid, active.cost.per_node.get(nid, 0) if succeeded else 0)
                if succeeded:
                    if nid not in early:
                        release(nid)
                else:
                    if nid in early:  # its files failed: what started on its outputs stops too
                        self._terminate_descendants(active, nid)
                    self._skip_descendants(active, nid)
                await fill_window()
                if active.task_ids and self.bus.subscriber_count(run.session_id):
                    active.writer.flush_soon()  # someone waits for the announcement; else the end records it
        except BaseException:
            log.exception("run %s crashed", run.id)
            for task_id in list(active.task_ids.values()):
                self.executor.terminate(task_id)
            run.error = {"code": "INTERNAL_ERROR", "message": "the run stopped unexpectedly"}
            raise
        finally:
            self._close_run(active)
            active.recording_end = True
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await active.writer.close()
            try:  # after the end is recorded: whoever claims the session next sees this run ended
                await self.coordinator.release(run.session_id, run.id)
            except Exception:
                log.exception("could not release the lease of run %s", run.id)
            try:
                await self.meter.release(run)
            except Exception:
                log.exception("the meter could not release run %s", run.id)
            # Built while the session is still busy, so no next run can start before this one's end is told.
            finished = await self._finished_event(active) if self.bus.subscriber_count(run.session_id) else None
            self._active.pop(run.session_id, None)
            self._recent[run.id] = run
            while len(self._recent) > _RECENT_RUNS:
                self._recent.popitem(last=False)
            active.done.set()
            if finished is not None:
                self._publish(run.session_id, finished)

    async def _finished_event(self, active: _ActiveRun) -> RunFinished:
        """The end of a run, with what a client would otherwise ask for next: each loop's iterations
        and the outputs stored for the run's graph."""
        run = active.run
        loops = None
        if run.loops:
            states = {nid: s.to_dict() for nid, s in run.nodes.items()}
            loops = {loop_id: loop_summary(lp, states) for loop_id, lp in run.loops.items()}
        saved = None
        try:
            outputs, volatile = await self.saved_outputs(run.session_id, active.graph, active.graph_version)
            saved = {nid: {"outputs": outs, "source": "cache"} for nid, outs in outputs.items()}
            for nid in volatile:  # never cached: what this run made, as the latest run
                state = run.nodes.get(nid)
                if state is not None and state.outputs:
                    saved[nid] = {"outputs": state.outputs, "source": "latest_run"}
        except Exception:
            log.exception("could not collect the stored outputs after run %s", run.id)
        return RunFinished(run_id=run.id, status=run.status.value, error=run.error, counts=run.counts(),
                           loops=loops, saved=saved)

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
            title=active.checked.nodes[nid].title or active.checked.specs[nid].title,
            params=active.plan.params[nid],
            inputs=inputs,
            retry=self._retry,
        )

    async def _launch(self, active: _ActiveRun, task: NodeTask) -> None:
        active.task_ids[task.node_id] = task.task_id
        active.task_nodes[task.task_id] = task
        await self.executor.launch(task, active.events)
        if active.stopping:  # stopped while the executor was accepting it
            self.executor.terminate(task.task_id)

    def _on_report(self, active: _ActiveRun, nid: str, event: TaskStarted | TaskProgress | TaskLog) -> None:
        """A running task's start, progress or log line."""
        if isinstance(event, TaskLog):
            log.log(_LOG_LEVELS.get(event.level, logging.INFO), "node %s: %s", nid, event.message)
            return
        state = active.run.nodes[nid]
        if state.status.finished:
            return
        first = state.status == NodeStatus.QUEUED
        if first:
            state.status = NodeStatus.RUNNING
            state.started_at = time.time()
        if isinstance(event, TaskProgress):
            state.progress = max(0.0, min(1.0, event.fraction))
            state.message = event.message
        active.writer.node_changed(nid)
        if first:
            self._publish_node(active, nid)
            return
        now = time.monotonic()
        if now - active.last_progress_event.get(nid, 0.0) >= self._progress_interval:
            active.last_progress_event[nid] = now
            self._publish(active.run.session_id, NodeProgress(
                run_id=active.run.id, node_id=nid, progress=state.progress, message=state.message,
            ))

    def _should_retry(self, active: _ActiveRun, task: NodeTask, end: TaskSucceeded | TaskFailed) -> bool:
        """Whether a failed attempt is launched again (never a cancel, nor once the run stops)."""
        if not isinstance(end, TaskFailed) or task.attempt >= task.retry.max_attempts or active.stopping:
            return False
        state = active.run.nodes[task.node_id]
        if end.error.get("code") == "CANCELED" or state.status.finished:
            return False
        log.warning("node %s failed (%s), attempt %d of %d; retrying", task.node_id, end.error.get("code"),
                    task.attempt, task.retry.max_attempts)
        return True

    async def _watch_health(self, active: _ActiveRun) -> None:
        """Fail tasks the executor no longer knows and that never reported their end (a lost worker)."""
        while True:
            await asyncio.sleep(self._health_interval)
            for task_id in list(active.task_nodes):
                if self.executor.check_health(task_id) == TaskHealth.UNKNOWN:
                    # Queued behind any end it did report, so a task that just ended is never called lost.
                    active.events.put_nowait(TaskFailed(task_id, {
                        "code": "WORKER_LOST", "message": "the worker running this node stopped answering",
                    }))

    def _settle(
        self, active: _ActiveRun, nid: str, end: TaskSucceeded | TaskFailed, results: dict[str, dict[str, Any]],
    ) -> bool:
        """Record a task's end; True when it succeeded."""
        state = active.run.nodes[nid]
        if state.status.finished:
            return False  # already recorded as canceled by stop
        if isinstance(end, TaskSucceeded):
            outputs = end.result.outputs
            results[nid] = outputs
            state.outputs = outputs
            # Told once its media rows are committed, so every announced media id can be fetched.
            self._finish_node(active, nid, NodeStatus.SUCCEEDED, publish=False)
            active.writer.add_results(CacheEntry(state.signature, state.node_type, outputs),
                                      ((nid, m) for m in end.result.media),
                                      announce=lambda: self._publish_node(active, nid))
            return True
        status = NodeStatus.CANCELED if end.error.get("code") == "CANCELED" else NodeStatus.FAILED
        self._finish_node(active, nid, status, error=end.error)
        return False

    def _finish_node(
        self, active: _ActiveRun, nid: str, status: NodeStatus, *, error: dict[str, Any] | None = None,
        publish: bool = True,
    ) -> None:
        state = active.run.nodes[nid]
        state.status = status
        state.error = error
        state.finished_at = time.time()
        if status == NodeStatus.SUCCEEDED:
            state.progress = 1.0
        active.writer.node_changed(nid)
        if publish:
            self._publish_node(active, nid)

    def _terminate_descendants(self, active: _ActiveRun, nid: str) -> None:
        seen, stack = set(), [nid]
        while stack:
            for edge in active.checked.outgoing.get(stack.pop(), ()):
                if edge.target not in seen:
                    seen.add(edge.target)
                    stack.append(edge.target)
                    task_id = active.task_ids.get(edge.target)
                    if task_id is not None:
                        self.executor.terminate(task_id)

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
                active.writer.node_changed(nid)
                self._publish_node(active, nid)
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
        active.writer.touch()

    # ------------------------------------------------------------------ events
    def _publish(self, session_id: str, event: Event) -> None:
        self.bus.publish(session_id, event)

    def _publish_node(self, active: _ActiveRun, nid: str) -> None:
        if not self.bus.subscriber_count(active.run.session_id):
            return
        state = active.run.nodes[nid]
        self._publish(active.run.session_id, NodeStatusChanged(
            run_id=active.run.id, node_id=nid, status=state.status.value, progress=state.progress,
            message=state.message, error=state.error, outputs=state.outputs,
        ))


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
    for nid, why in prepared.skipped.items():
        nodes[nid] = NodeState(node_type=checked.specs[nid].type, status=NodeStatus.SKIPPED, signature="",
                               error=why)
    if prepared.set_aside is not None:
        for nid, why in prepared.set_aside.set_aside.items():
            nodes[nid] = NodeState(node_type=prepared.set_aside.node_types[nid], status=NodeStatus.SKIPPED,
                                   signature="", error=why)
    return plan, nodes
