"""The Celery executor: node tasks run on ``miniaistudio worker`` processes, reached through Redis.

The same :class:`~miniaistudio.core.ports.Executor` port as ``local.py``: ``launch`` sends the task
to its queue (``gpu`` or ``cpu``, see ``celery_app.queue_for``) and returns; workers report on this
executor's own Redis stream, which one reader task turns back into the engine's
:data:`~miniaistudio.core.ports.TaskEvent` values. A task is known (queued, then running) until its
end arrives, also while Celery redelivers it after its worker died.

Cancel: the task's cancel key is set at once (the worker stops between steps and kills its child
processes); a task that has not ended after ``cancel_grace_seconds`` is revoked with
``terminate=True`` and reported canceled here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..core.errors import Canceled
from ..core.ports import (
    TASK_ENDED,
    NodeTask,
    TaskEventSink,
    TaskFailed,
    TaskHealth,
    TaskStarted,
)
from ..core.registry import NodeRegistry
from ..store.task_attempts import TaskAttempts
from .celery_app import TASK_NAME, cancel_key, make_celery, queue_for
from .task_wire import event_from_json, task_to_json

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

_READ_BLOCK_MS = 1000
_CANCEL_KEY_TTL = 24 * 3600


@dataclass
class _Live:
    events: TaskEventSink
    started_at: float | None = None  # monotonic time of the (latest delivery's) start
    canceling: bool = False

    @property
    def started(self) -> bool:
        return self.started_at is not None


class CeleryExecutor:
    def __init__(self, registry: NodeRegistry, settings: Settings, attempts: TaskAttempts) -> None:
        from redis.asyncio import Redis

        assert settings.redis_url is not None
        self._registry = registry
        self._settings = settings
        self._attempts = attempts
        self._app = make_celery(settings)
        self._redis: Redis = Redis.from_url(settings.redis_url)
        self.stream = f"miniai:task-events:{uuid.uuid4().hex}"  # where workers report this executor's tasks
        self._live: dict[str, _Live] = {}
        # kombu connections are not thread-safe: one thread sends tasks and revokes, in order
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="celery-send")
        self._reader: asyncio.Task[None] | None = None
        self._cancels: set[asyncio.Task[None]] = set()

    # -- the Executor port ------------------------------------------------------
    async def launch(self, task: NodeTask, events: TaskEventSink) -> None:
        queue = queue_for(self._registry, task.node_type, self._settings.node_queues)
        self._live[task.task_id] = _Live(events)
        self._ensure_reader()
        payload = {"task": task_to_json(task), "reply_to": self.stream}
        try:
            await asyncio.get_running_loop().run_in_executor(self._sender, self._send, task.task_id, payload, queue)
        except Exception as exc:
            log.error("could not send task %s to queue %s", task.task_id, queue, exc_info=exc)
            self._live.pop(task.task_id, None)
            events.put_nowait(TaskFailed(task.task_id, {"code": "WORKER_UNREACHABLE",
                                                         "message": f"the task could not be queued: {exc}"}))

    def _send(self, task_id: str, payload: dict[str, Any], queue: str) -> None:
        self._app.send_task(TASK_NAME, args=[payload], queue=queue, task_id=task_id)

    def check_health(self, task_id: str) -> TaskHealth:
        """Queued or running until its end arrives, also while Celery redelivers it; unknown once a start is
        older than the task time limit plus a minute (its worker was killed by the limit and cannot report)."""
        live = self._live.get(task_id)
        if live is None:
            return TaskHealth.UNKNOWN
        if live.started_at is None:
            return TaskHealth.QUEUED
        overdue = time.monotonic() - live.started_at > self._settings.celery_task_time_limit_seconds + 60
        if overdue:
            self._live.pop(task_id, None)
            return TaskHealth.UNKNOWN
        return TaskHealth.RUNNING

    def terminate(self, task_id: str) -> bool:
        live = self._live.get(task_id)
        if live is None:
            return False
        if not live.canceling:
            live.canceling = True
            canceler = asyncio.get_running_loop().create_task(self._cancel(task_id), name=f"cancel-{task_id}")
            self._cancels.add(canceler)
            canceler.add_done_callback(self._cancels.discard)
        return True

    async def aclose(self) -> None:
        for task_id in list(self._live):
            with contextlib.suppress(Exception):
                await self._redis.set(cancel_key(task_id), "1", ex=_CANCEL_KEY_TTL)
        for canceler in list(self._cancels):
            canceler.cancel()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._redis.delete(self.stream)
        await self._redis.aclose()
        self._sender.shutdown(wait=False, cancel_futures=True)

    # -- cancel -------------------------------------------------------------------
    async def _cancel(self, task_id: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._redis.set(cancel_key(task_id), "1", ex=_CANCEL_KEY_TTL)
        except Exception:
            log.warning("could not set the cancel flag of task %s", task_id, exc_info=True)
        live = self._live.get(task_id)
        if live is None:
            return
        if not live.started:  # still queued: drop it from the queue; a worker that takes it sees the flag
            await loop.run_in_executor(self._sender, self._revoke, task_id, False)
            self._end_canceled(task_id, "canceled before it started")
            return
        await asyncio.sleep(self._settings.cancel_grace_seconds)
        if task_id not in self._live:  # it stopped by itself
            return
        log.warning("task %s ignored its cancel flag for %.1f s; terminating it", task_id,
                    self._settings.cancel_grace_seconds)
        await loop.run_in_executor(self._sender, self._revoke, task_id, True)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._attempts.finish, task_id, "canceled",
                                    error=Canceled("terminated after the cancel grace period").to_dict())
        self._end_canceled(task_id, "canceled by user")

    def _revoke(self, task_id: str, terminate: bool) -> None:
        self._app.control.revoke(task_id, terminate=terminate, signal="SIGTERM")

    def _end_canceled(self, task_id: str, message: str) -> None:
        live = self._live.pop(task_id, None)
        if live is not None:
            live.events.put_nowait(TaskFailed(task_id, Canceled(message).to_dict()))

    # -- events from workers ----------------------------------------------------------
    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read(), name="celery-task-events")

    async def _read(self) -> None:
        last = "0-0"
        while True:
            try:
                answer = await self._redis.xread({self.stream: last}, count=500, block=_READ_BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("reading task events from Redis failed; retrying", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in answer or ():
                for entry_id, fields in entries:
                    last = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                    self._deliver(fields.get(b"e") or fields.get("e"))
                with contextlib.suppress(Exception):
                    await self._redis.xtrim(self.stream, minid=last)

    def _deliver(self, raw: Any) -> None:
        try:
            event = event_from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed task event: %r", raw)
            return
        live = self._live.get(event.task_id)
        if live is None:  # ended already (canceled here, or a redelivery reporting its stored end again)
            return
        if isinstance(event, TaskStarted):
            already = live.started
            live.started_at = time.monotonic()
            if already:  # a redelivery started it again: the engine already shows it running
                return
        if isinstance(event, TASK_ENDED):
            del self._live[event.task_id]
        live.events.put_nowait(event)
