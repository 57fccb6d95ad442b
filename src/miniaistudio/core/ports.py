"""The seams between the engine and the outside: executors and the run recorder.

Each is a small protocol (like httpx's transports), so an in-process implementation,
a Celery one and a database one plug in without the engine knowing which it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .run import RunState


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


ProgressCallback = Callable[[float, str | None], None]


class Executor(Protocol):
    async def execute(self, task: NodeTask, on_progress: ProgressCallback) -> TaskResult:
        """Run the task; raise StudioError (Canceled on cancel) when it does not succeed.

        The executor calls ``on_progress(0.0, None)`` when the task starts running (it may
        wait for a free slot first); later calls report progress.
        """

    def cancel(self, task_id: str) -> bool:
        """Ask a queued or running task to stop; True if it was known."""

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
