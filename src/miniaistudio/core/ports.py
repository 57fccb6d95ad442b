"""The seams between the engine and the outside: executors, the run recorder and the meter.

Each is a small protocol (like httpx's transports), so an in-process implementation,
a Celery one and a database one plug in without the engine knowing which it has.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from .run import RunState
from .run_plan import Cost, RunPlan


@dataclass(frozen=True)
class RetryPolicy:
    """How often the engine launches a node's task before its failure stands.

    Cancels are never retried; any other failure (a node error, a lost worker) is, until
    ``max_attempts`` launches have failed."""

    max_attempts: int = 1


@dataclass(frozen=True)
class NodeTask:
    """Everything needed to run one node, as plain JSON-able data."""

    task_id: str
    run_id: str
    session_id: str
    user_id: str
    node_id: str
    node_type: str
    params: dict[str, Any]
    inputs: dict[str, Any]  # encoded values (see values.encode_value)
    retry: RetryPolicy = RetryPolicy()
    attempt: int = 1  # 1 for the first launch, 2 for the first retry, ...
    title: str = ""  # what the user calls the node (loop copies: "Title [iteration label]"); names output files


@dataclass
class MediaRecord:
    """A file a node wrote into the media store, to be listed in the gallery."""

    id: str
    kind: str
    mime: str
    storage_key: str
    size_bytes: int
    filename: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    codecs: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    outputs: dict[str, Any]  # encoded values
    media: list[MediaRecord] = field(default_factory=list)


# ----------------------------------------------------------------- task events
# Everything a task reports reaches the engine as one of these plain values, so a worker in
# another process (Celery, through Redis) reports exactly what the local executor does.


@dataclass(frozen=True)
class TaskStarted:
    """The task left the queue and began running (the node shows as running)."""

    task_id: str


@dataclass(frozen=True)
class TaskProgress:
    task_id: str
    fraction: float
    message: str | None = None


@dataclass(frozen=True)
class TaskLog:
    task_id: str
    level: str  # "debug" | "info" | "warning" | "error"
    message: str


@dataclass(frozen=True)
class TaskOutputsReady:
    """The task's outputs are known and readable by the next tasks on this executor, while its files
    are still being written (write-behind): the engine may start the nodes that wait for them. The
    task still ends with exactly one TaskSucceeded (its media durable) or TaskFailed."""

    task_id: str
    outputs: dict[str, Any]  # encoded values, as TaskResult.outputs


@dataclass(frozen=True)
class TaskSucceeded:
    task_id: str
    result: TaskResult


@dataclass(frozen=True)
class TaskFailed:
    """The task ended without a result; ``error`` is ``{code, message, details?}``
    (code ``CANCELED`` when it was terminated)."""

    task_id: str
    error: dict[str, Any]


TaskEvent = TaskStarted | TaskProgress | TaskLog | TaskOutputsReady | TaskSucceeded | TaskFailed
TASK_ENDED = (TaskSucceeded, TaskFailed)


class TaskEventSink(Protocol):
    """Where an executor delivers a task's events, on the engine's event loop (an
    ``asyncio.Queue`` is one)."""

    def put_nowait(self, item: TaskEvent, /) -> None: ...


class TaskHealth(enum.Enum):
    QUEUED = "queued"  # accepted, waiting for a worker slot
    RUNNING = "running"
    UNKNOWN = "unknown"  # not known to the executor: ended (its last event is on the way) or lost


class Executor(Protocol):
    """Where node tasks run, shaped like Dagster's step handler: launch, check health, terminate."""

    async def launch(self, task: NodeTask, events: TaskEventSink) -> None:
        """Accept the task and return at once. It reports :class:`TaskStarted` when it begins,
        then progress and logs, and ends with exactly one :class:`TaskSucceeded` or
        :class:`TaskFailed`, all put into ``events`` on the caller's event loop."""

    def check_health(self, task_id: str) -> TaskHealth:
        """Whether a launched task is still alive; the engine fails a task that is neither
        queued nor running and never reported its end with ``WORKER_LOST``."""

    def terminate(self, task_id: str) -> bool:
        """Ask a queued or running task to stop (it ends with a CANCELED failure); True if it was known."""

    async def aclose(self) -> None: ...


@dataclass
class CacheEntry:
    signature: str
    node_type: str
    outputs: dict[str, Any]


class RunRecorder(Protocol):
    """Persistence for runs, the output cache and generated media."""

    async def lookup_cache(self, session_id: str, signatures: list[str]) -> dict[str, dict[str, Any]]: ...

    async def save_run(
        self,
        run: RunState,
        cache: list[CacheEntry],
        media: list[tuple[str, MediaRecord]],  # (node_id, record)
        changed: set[str] | None = None,
    ) -> None:
        """Upsert the run, then add cache entries and media rows, in one transaction.

        ``changed`` names the nodes whose state changed since the previous call for this run
        (None: all of them), so a recorder can keep its work proportional to what changed."""


class Meter(Protocol):
    """Credits: estimated when a run is planned, held before it starts, settled per node.

    The engine calls ``hold`` before the first node runs (raising refuses the run), then
    ``node_finished`` for each executed node as it ends (``actual``: its estimated cost when it
    succeeded, 0 otherwise), and ``release`` once the run is over, whatever its outcome."""

    async def estimate(self, plan: RunPlan) -> Cost: ...

    async def hold(self, run: RunState, amount: int) -> None: ...

    async def node_finished(self, run: RunState, node_id: str, actual: int) -> None: ...

    async def release(self, run: RunState) -> None: ...


class NullMeter:
    """Nothing costs anything (no billing configured)."""

    async def estimate(self, plan: RunPlan) -> Cost:
        return Cost()

    async def hold(self, run: RunState, amount: int) -> None:
        return None

    async def node_finished(self, run: RunState, node_id: str, actual: int) -> None:
        return None

    async def release(self, run: RunState) -> None:
        return None


class RunCoordinator(Protocol):
    """One active run per session across every process that runs sessions.

    ``claim`` before a run starts (False: another process runs the session), ``release`` once the
    run's end is recorded. One process needs nothing more than the engine's own bookkeeping
    (:class:`SingleProcess`); several share a database lease (``services/run_coordination.py``)."""

    async def claim(self, session_id: str, run_id: str) -> bool: ...

    async def release(self, session_id: str, run_id: str) -> None: ...


class SingleProcess:
    """The engine is the only one running sessions."""

    async def claim(self, session_id: str, run_id: str) -> bool:
        return True

    async def release(self, session_id: str, run_id: str) -> None:
        return None
