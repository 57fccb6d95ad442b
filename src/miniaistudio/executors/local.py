"""The in-process executor: node work on a thread pool, off the event loop.

Heavy tools (ffmpeg) run as child processes that cancel kills; the concurrency limit
bounds how many nodes work at once.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..core.errors import Canceled
from ..core.ports import NodeTask, ProgressCallback, TaskResult
from ..core.registry import NodeRegistry
from ..store.media_store import MediaStore
from .context import FetchPolicy, ImageMemo, MediaResolver, TaskContext
from .task import run_task


class LocalExecutor:
    def __init__(
        self,
        registry: NodeRegistry,
        store: MediaStore,
        resolver: MediaResolver,
        scratch_root: Path,
        max_concurrent: int = 2,
        fetch_policy: FetchPolicy | None = None,
    ) -> None:
        self._fetch_policy = fetch_policy
        self._registry = registry
        self._store = store
        self._resolver = resolver
        self._scratch_root = scratch_root
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="node")
        self._slots = asyncio.Semaphore(max_concurrent)
        self._cancels: dict[str, threading.Event] = {}
        self._contexts: dict[str, TaskContext] = {}
        self._memo = ImageMemo()

    async def execute(self, task: NodeTask, on_progress: ProgressCallback) -> TaskResult:
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        self._cancels[task.task_id] = cancel

        def progress_threadsafe(fraction: float, message: str | None) -> None:
            loop.call_soon_threadsafe(on_progress, fraction, message)

        ctx = TaskContext(task, store=self._store, resolver=self._resolver,
                          scratch_root=self._scratch_root, cancel_event=cancel,
                          on_progress=progress_threadsafe, memo=self._memo,
                          fetch_policy=self._fetch_policy)
        try:
            async with self._slots:
                if cancel.is_set():
                    raise Canceled("canceled before it started")
                self._contexts[task.task_id] = ctx
                on_progress(0.0, None)  # the first progress report marks the node running
                return await loop.run_in_executor(self._pool, run_task, task, self._registry, ctx)
        finally:
            self._cancels.pop(task.task_id, None)
            self._contexts.pop(task.task_id, None)

    def cancel(self, task_id: str) -> bool:
        event = self._cancels.get(task_id)
        if event is None:
            return False
        event.set()
        ctx = self._contexts.get(task_id)
        if ctx is not None:
            ctx.kill_processes()
        return True

    async def aclose(self) -> None:
        for event in self._cancels.values():
            event.set()
        for ctx in list(self._contexts.values()):
            ctx.kill_processes()
        self._pool.shutdown(wait=False, cancel_futures=True)
