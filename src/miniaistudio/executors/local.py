"""The in-process executor: node work on a thread pool, off the event loop.

Heavy tools (ffmpeg) run as child processes that terminate kills; the concurrency limit
bounds how many nodes work at once. Everything a task reports goes back to the engine as
plain :data:`~miniaistudio.core.ports.TaskEvent` values, as a remote worker's would.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..core.errors import Canceled, StudioError
from ..core.media_limits import DEFAULT_MEDIA_LIMITS, MediaLimits
from ..core.ports import (
    NodeTask,
    TaskEvent,
    TaskEventSink,
    TaskFailed,
    TaskHealth,
    TaskOutputsReady,
    TaskProgress,
    TaskResult,
    TaskStarted,
    TaskSucceeded,
)
from ..core.registry import NodeRegistry
from ..store.media_store import MediaStore
from .context import FetchPolicy, ImageMemo, MediaResolver, OutputSigning, TaskContext
from .task import run_task
from .write_behind import WriteBehind

log = logging.getLogger(__name__)

_INLINE_BELOW_SECONDS = 0.0015
_INLINE_MAX_PIXELS = 256 * 256


class LocalExecutor:
    def __init__(
        self,
        registry: NodeRegistry,
        store: MediaStore,
        resolver: MediaResolver,
        scratch_root: Path,
        max_concurrent: int = 2,
        fetch_policy: FetchPolicy | None = None,
        *,
        media_limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
        models: object | None = None,
        write_behind: bool = True,
        signing: OutputSigning | None = None,
    ) -> None:
        """``write_behind``: node PNGs are encoded and written on worker threads while the next nodes
        run (see ``executors/write_behind.py``); False writes them before the task ends. ``signing``:
        where outputs' Content Credentials key comes from (None: files are not signed)."""
        self._signing = signing
        self._media_limits = media_limits
        self._fetch_policy = fetch_policy
        self._models = models
        self._registry = registry
        self._store = store
        self._resolver = resolver
        self._scratch_root = scratch_root
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="node")
        self._slots = asyncio.Semaphore(max_concurrent)
        self._cancels: dict[str, threading.Event] = {}
        self._contexts: dict[str, TaskContext] = {}  # tasks holding a slot
        self._runners: dict[str, asyncio.Task[None]] = {}  # every accepted task until it ends
        self._memo = ImageMemo()
        self._write_behind = WriteBehind(store) if write_behind else None
        self._typical: dict[str, float] = {}  # node type -> smoothed recent run time in seconds
        self._signs: set[str] = set()  # node types whose outputs were signed: never inline (signing is CPU work)

    async def launch(self, task: NodeTask, events: TaskEventSink) -> None:
        loop = asyncio.get_running_loop()
        cancel = threading.Event()

        def progress_threadsafe(fraction: float, message: str | None) -> None:
            loop.call_soon_threadsafe(events.put_nowait, TaskProgress(task.task_id, fraction, message))

        ctx = TaskContext(task, store=self._store, resolver=self._resolver,
                          scratch_root=self._scratch_root, cancel_event=cancel,
                          on_progress=progress_threadsafe, memo=self._memo,
                          fetch_policy=self._fetch_policy, media_limits=self._media_limits,
                          models=self._models, write_behind=self._write_behind, signing=self._signing)
        self._cancels[task.task_id] = cancel
        runner = loop.create_task(self._run(task, ctx, cancel, events), name=f"task-{task.node_id}")
        runner.add_done_callback(functools.partial(self._unstarted_end, task.task_id, events))
        self._runners[task.task_id] = runner

    def _unstarted_end(self, task_id: str, events: TaskEventSink, runner: asyncio.Task[None]) -> None:
        """A runner terminated before its first step never reached ``_run``'s handlers: report its end here."""
        if runner.cancelled():
            self._cancels.pop(task_id, None)
            self._runners.pop(task_id, None)
            events.put_nowait(TaskFailed(task_id, Canceled("canceled before it started").to_dict()))

    async def _run(self, task: NodeTask, ctx: TaskContext, cancel: threading.Event, events: TaskEventSink) -> None:
        end: TaskEvent
        try:
            async with self._slots:
                if cancel.is_set():
                    raise Canceled("canceled before it started")
                self._contexts[task.task_id] = ctx
                events.put_nowait(TaskStarted(task.task_id))
                if self._runs_inline(task):
                    result = self._timed(task, ctx)
                else:
                    result = await asyncio.get_running_loop().run_in_executor(self._pool, self._timed, task, ctx)
            if ctx.pending_writes:  # the next nodes may start; this one ends once its files are written
                events.put_nowait(TaskOutputsReady(task.task_id, result.outputs))
                sizes = [await asyncio.wrap_future(write) for _, write in ctx.pending_writes]
                result = TaskResult(result.outputs, ctx.finish_writes(sizes))
            end = TaskSucceeded(task.task_id, result)
        except asyncio.CancelledError:  # terminated while waiting for a slot, or the loop is closing
            end = TaskFailed(task.task_id, Canceled("canceled before it started").to_dict())
        except StudioError as exc:
            end = TaskFailed(task.task_id, exc.to_dict())
        except Exception as exc:
            log.error("node %s failed unexpectedly", task.node_id, exc_info=exc)
            end = TaskFailed(task.task_id, {"code": "NODE_ERROR", "message": f"{type(exc).__name__}: {exc}"})
        finally:
            self._cancels.pop(task.task_id, None)
            self._contexts.pop(task.task_id, None)
            self._runners.pop(task.task_id, None)
        events.put_nowait(end)

    def _timed(self, task: NodeTask, ctx: TaskContext) -> TaskResult:
        start = time.perf_counter()
        result = run_task(task, self._registry, ctx)
        if ctx.signed:
            self._signs.add(task.node_type)
        elapsed = time.perf_counter() - start
        previous = self._typical.get(task.node_type, elapsed)
        self._typical[task.node_type] = 0.7 * previous + 0.3 * elapsed
        return result

    def _runs_inline(self, task: NodeTask) -> bool:
        """Work that reliably takes less than a thread hand-off runs on the event loop.

        On small VMs waking a pool thread and then the loop again costs ~0.2 ms, as much as
        a 64 px image operation itself; only node types whose recent runs stayed well under a
        millisecond, on small images, skip the hand-off. Anything slow or large keeps its thread.
        """
        typical = self._typical.get(task.node_type)
        if task.node_type in self._signs or typical is None or typical > _INLINE_BELOW_SECONDS:
            return False
        for value in task.inputs.values():
            if not isinstance(value, dict) or value.get("__type__") != "MediaRef" or value.get("kind") != "image":
                return False
            if (value.get("width") or 0) * (value.get("height") or 0) > _INLINE_MAX_PIXELS:
                return False
        return bool(task.inputs)

    def check_health(self, task_id: str) -> TaskHealth:
        if task_id in self._contexts:
            return TaskHealth.RUNNING
        runner = self._runners.get(task_id)
        return TaskHealth.QUEUED if runner is not None and not runner.done() else TaskHealth.UNKNOWN

    def terminate(self, task_id: str) -> bool:
        event = self._cancels.get(task_id)
        if event is None:
            return False
        event.set()
        ctx = self._contexts.get(task_id)
        if ctx is not None:
            ctx.kill_processes()
        else:  # still waiting for a slot: end it now rather than when a slot frees
            runner = self._runners.get(task_id)
            if runner is not None:
                runner.cancel()
        return True

    async def aclose(self) -> None:
        for event in self._cancels.values():
            event.set()
        for ctx in list(self._contexts.values()):
            ctx.kill_processes()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._write_behind is not None:
            await asyncio.to_thread(self._write_behind.close)
