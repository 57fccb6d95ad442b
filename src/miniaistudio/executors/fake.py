"""An in-memory executor for tests, like httpx's ``MockTransport``: no threads, no nodes run.

A test says what each node type does (succeed with outputs, fail, hang until terminated,
report progress, vanish like a lost worker) and the engine drives it exactly as it drives
the local executor::

    fake = FakeExecutor(default=outputs_from(registry))
    fake.on("image.adjust", fail("BOOM"))
    fake.on("image.blur", hang())
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import Canceled, NodeFailed, StudioError
from ..core.ports import (
    NodeTask,
    TaskEventSink,
    TaskFailed,
    TaskHealth,
    TaskLog,
    TaskProgress,
    TaskResult,
    TaskStarted,
    TaskSucceeded,
)
from ..core.registry import NodeRegistry


class WorkerLost(Exception):
    """Raised by a behaviour: the task disappears without reporting its end."""


@dataclass
class FakeTask:
    """What a behaviour sees of its task: the task itself, reporting, and termination."""

    task: NodeTask
    _events: TaskEventSink
    _terminated: asyncio.Event = field(default_factory=asyncio.Event)

    def progress(self, fraction: float, message: str | None = None) -> None:
        self._events.put_nowait(TaskProgress(self.task.task_id, fraction, message))

    def log(self, message: str, level: str = "info") -> None:
        self._events.put_nowait(TaskLog(self.task.task_id, level, message))

    @property
    def terminated(self) -> bool:
        return self._terminated.is_set()

    async def until_terminated(self) -> None:
        await self._terminated.wait()
        raise Canceled("canceled by user")


Behaviour = Callable[[FakeTask], Awaitable[dict[str, Any]]]
"""Returns the task's encoded outputs; raises StudioError to fail, WorkerLost to vanish."""


def succeed(outputs: dict[str, Any] | Callable[[NodeTask], dict[str, Any]] | None = None) -> Behaviour:
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        if callable(outputs):
            return outputs(t.task)
        return dict(outputs or {})
    return behaviour


def fail(code: str = "NODE_ERROR", message: str = "failed on purpose") -> Behaviour:
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        raise NodeFailed(message, code=code)
    return behaviour


def hang() -> Behaviour:
    """Run until terminated (then end CANCELED)."""
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        await t.until_terminated()
        return {}
    return behaviour


def report_progress(fractions: Iterable[float], then: Behaviour | None = None) -> Behaviour:
    steps = list(fractions)

    async def behaviour(t: FakeTask) -> dict[str, Any]:
        for fraction in steps:
            t.progress(fraction, f"step {fraction:.2f}")
            await asyncio.sleep(0)
        return await (then or succeed())(t)
    return behaviour


def lose() -> Behaviour:
    """The worker dies: no end is reported and the executor forgets the task."""
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        raise WorkerLost(t.task.task_id)
    return behaviour


def outputs_from(registry: NodeRegistry) -> Behaviour:
    """Succeed with one text value per declared output socket, ``"<node id>.<output>"``."""
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        spec = registry.require(t.task.node_type)
        return {name: f"{t.task.node_id}.{name}" for name in spec.outputs}
    return behaviour


class FakeExecutor:
    """Runs each launched task's behaviour as an asyncio task on the caller's loop."""

    def __init__(self, default: Behaviour | None = None, *, max_concurrent: int | None = None) -> None:
        self._default = default or succeed()
        self._behaviours: dict[str, Behaviour] = {}
        self._slots = asyncio.Semaphore(max_concurrent) if max_concurrent else None
        self._tasks: dict[str, FakeTask] = {}
        self._running: set[str] = set()
        self._runners: dict[str, asyncio.Task[None]] = {}
        self.launched: list[NodeTask] = []  # every task, in launch order
        self.terminated: list[str] = []  # task ids asked to terminate

    def on(self, node_type: str, behaviour: Behaviour) -> FakeExecutor:
        self._behaviours[node_type] = behaviour
        return self

    def launched_nodes(self) -> list[str]:
        return [task.node_id for task in self.launched]

    async def launch(self, task: NodeTask, events: TaskEventSink) -> None:
        self.launched.append(task)
        fake = FakeTask(task, events)
        self._tasks[task.task_id] = fake
        runner = asyncio.get_running_loop().create_task(self._run(fake))
        runner.add_done_callback(functools.partial(self._unstarted_end, fake))
        self._runners[task.task_id] = runner

    def _unstarted_end(self, fake: FakeTask, runner: asyncio.Task[None]) -> None:
        """Terminated before its first step: ``_run`` never ran, so its end is reported here."""
        if runner.cancelled():
            self._forget(fake.task.task_id)
            fake._events.put_nowait(TaskFailed(fake.task.task_id, Canceled("canceled before it started").to_dict()))

    async def _run(self, fake: FakeTask) -> None:
        task_id = fake.task.task_id
        try:
            if self._slots is not None:
                await self._slots.acquire()
            try:
                self._running.add(task_id)
                if fake.terminated:
                    raise Canceled("canceled before it started")
                fake._events.put_nowait(TaskStarted(task_id))
                behaviour = self._behaviours.get(fake.task.node_type, self._default)
                outputs = await behaviour(fake)
            finally:
                if self._slots is not None:
                    self._slots.release()
        except WorkerLost:
            self._forget(task_id)
            return
        except asyncio.CancelledError:
            end: TaskSucceeded | TaskFailed = TaskFailed(task_id, Canceled("canceled before it started").to_dict())
        except StudioError as exc:
            end = TaskFailed(task_id, exc.to_dict())
        else:
            end = TaskSucceeded(task_id, TaskResult(outputs=outputs))
        self._forget(task_id)
        fake._events.put_nowait(end)

    def _forget(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)
        self._running.discard(task_id)
        self._runners.pop(task_id, None)

    def check_health(self, task_id: str) -> TaskHealth:
        if task_id in self._running:
            return TaskHealth.RUNNING
        runner = self._runners.get(task_id)
        return TaskHealth.QUEUED if runner is not None and not runner.done() else TaskHealth.UNKNOWN

    def terminate(self, task_id: str) -> bool:
        fake = self._tasks.get(task_id)
        if fake is None:
            return False
        self.terminated.append(task_id)
        fake._terminated.set()
        runner = self._runners.get(task_id)
        if runner is not None and task_id not in self._running:
            runner.cancel()  # still waiting for a slot
        return True

    async def aclose(self) -> None:
        for task_id in list(self._tasks):
            self.terminate(task_id)
