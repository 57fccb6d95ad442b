"""A Celery worker process: runs node tasks with ``executors/task.py``'s ``run_task``, like the local executor.

Each pool process builds its own parts on its first task (database, media store, node registry,
model host: models stay warm between tasks) and reports to the API process that launched the task on
that process's Redis stream. Every delivery is counted first (``store/task_attempts.py``): a task
redelivered after its worker died runs again until ``celery_max_deliveries``, a task that already
ended answers with its stored end, so media and charges are never made twice for one task.

Cancel is cooperative first: a watcher thread sees the task's cancel key in Redis and sets the
event ``TaskContext.check_canceled`` reads between steps, killing child processes (ffmpeg) at once.
A task that ignores it is terminated by the API (``revoke(terminate=True)``); the pool process then
kills its children's process groups before it dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..core.errors import Canceled, StudioError
from ..core.ports import TaskEvent, TaskFailed, TaskProgress, TaskStarted, TaskSucceeded
from ..core.registry import NodeRegistry, registry_with
from ..store.task_attempts import Delivery, TaskAttempts, Verdict
from .celery_app import TASK_NAME, cancel_key, make_celery
from .context import FetchPolicy, ImageMemo, TaskContext
from .task import run_task
from .task_wire import event_to_json, result_from_json, result_to_json, task_from_json

if TYPE_CHECKING:
    import redis

    from celery import Celery

    from ..runtimes.models.model_host import ModelHost
    from ..services.content_signing import ContentSigning
    from ..services.media import MediaLibrary
    from ..store.db import Database
    from ..store.media_store import MediaStore

log = logging.getLogger(__name__)

_STREAM_MAXLEN = 10_000
_CANCEL_POLL_SECONDS = 0.2
_PROGRESS_EVERY_SECONDS = 0.1


@dataclass
class _Parts:
    settings: Settings
    registry: NodeRegistry
    db: Database
    store: MediaStore
    media: MediaLibrary
    attempts: TaskAttempts
    redis: redis.Redis
    model_host: ModelHost
    memo: ImageMemo
    fetch_policy: FetchPolicy
    hostname: str
    signing: ContentSigning | None  # the studio's C2PA key, in the data dir the API process shares


_parts: _Parts | None = None
_running: TaskContext | None = None  # the task this pool process runs now (for the SIGTERM handler)


def _build_parts(settings: Settings) -> _Parts:
    import redis

    from ..media_stores import media_store
    from ..runtimes.media.probe import configure_pillow
    from ..runtimes.models import assets
    from ..runtimes.models.model_host import ModelHost
    from ..services.content_signing import ContentSigning
    from ..services.media import MediaLibrary
    from ..services.models import ModelLibrary
    from ..store.db import Database

    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    store = media_store(settings)  # the server's store: local disk, or S3 with a read-through cache here
    configure_pillow(settings.media_limits)
    assets.configure(settings.resolved_models_dir)
    registry = registry_with(settings.extra_node_modules)
    registry.all()
    assert settings.redis_url is not None
    return _Parts(
        settings=settings, registry=registry, db=db, store=store,
        media=MediaLibrary(db, store, settings.media_limits),
        attempts=TaskAttempts(db, settings.celery_max_deliveries),
        redis=redis.Redis.from_url(settings.redis_url),
        model_host=ModelHost(ModelLibrary(db, settings.resolved_models_dir), settings.resolved_models_dir,
                             settings.model_cache_bytes),
        memo=ImageMemo(),
        fetch_policy=FetchPolicy(settings.allow_private_urls, settings.max_upload_bytes,
                                 settings.fetch_timeout_seconds),
        hostname=socket.gethostname(),
        signing=ContentSigning(settings.data_dir / "content_credentials") if settings.content_credentials else None,
    )


def _parts_for(settings: Settings) -> _Parts:
    global _parts
    if _parts is None:
        _parts = _build_parts(settings)
    return _parts


_pool_sigterm: Any = signal.SIG_DFL  # what the pool process did on SIGTERM before ours


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Terminated (a revoke after the cancel grace, or shutdown): take the task's children along, then
    do what the pool process would have done."""
    if _running is not None:
        _running.kill_processes()
    if callable(_pool_sigterm):
        _pool_sigterm(signum, frame)
        return
    signal.signal(signal.SIGTERM, _pool_sigterm)
    os.kill(os.getpid(), signal.SIGTERM)


class _Reporter:
    """Puts a task's events on the launching executor's stream (progress at most ~10 times a second)."""

    def __init__(self, client: redis.Redis, stream: str, task_id: str) -> None:
        self._client = client
        self._stream = stream
        self._task_id = task_id
        self._last_progress = 0.0

    def put(self, event: TaskEvent) -> None:
        self._client.xadd(self._stream, {"e": event_to_json(event)}, maxlen=_STREAM_MAXLEN, approximate=True)

    def progress(self, fraction: float, message: str | None) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress < _PROGRESS_EVERY_SECONDS:
            return
        self._last_progress = now
        self.put(TaskProgress(self._task_id, fraction, message))


def _stored_end(task_id: str, delivery: Delivery) -> TaskEvent:
    if delivery.status == "succeeded" and delivery.result is not None:
        return TaskSucceeded(task_id, result_from_json(delivery.result))
    return TaskFailed(task_id, delivery.error or {"code": "NODE_ERROR", "message": "the task failed"})


def _watch_cancel(parts: _Parts, task_id: str, cancel: threading.Event, done: threading.Event,
                  ctx: TaskContext) -> None:
    key = cancel_key(task_id)
    while not done.wait(_CANCEL_POLL_SECONDS):
        try:
            if parts.redis.exists(key):
                cancel.set()
                ctx.kill_processes()
                return
        except Exception:  # Redis away for a moment: keep running, look again
            log.debug("cancel check failed", exc_info=True)


def execute(settings: Settings, payload: dict[str, Any], queue: str, worker: str) -> None:
    """Run one delivery of a node task and report its end (the body of the Celery task)."""
    global _running
    parts = _parts_for(settings)
    task = task_from_json(payload["task"])
    reporter = _Reporter(parts.redis, payload["reply_to"], task.task_id)
    try:
        delivery = parts.attempts.begin(task_id=task.task_id, run_id=task.run_id, node_id=task.node_id,
                                        node_type=task.node_type, attempt=task.attempt, queue=queue,
                                        worker=worker or parts.hostname)
    except Exception as exc:  # the database is unreachable: the task cannot be counted, so it does not run
        log.error("task %s could not be counted", task.task_id, exc_info=exc)
        reporter.put(TaskFailed(task.task_id, {"code": "WORKER_ERROR",
                                               "message": f"the worker could not reach the database: {exc}"}))
        return
    if delivery.verdict is Verdict.REPLAY:
        log.info("task %s already ended (%s); reporting that end again", task.task_id, delivery.status)
        reporter.put(_stored_end(task.task_id, delivery))
        return
    if delivery.verdict is Verdict.GIVE_UP:
        log.warning("task %s gave up after %d deliveries", task.task_id, delivery.deliveries)
        reporter.put(_stored_end(task.task_id, delivery))
        return
    if delivery.deliveries > 1:
        log.warning("task %s delivered again (delivery %d of at most %d)", task.task_id, delivery.deliveries,
                    parts.attempts.max_deliveries)
    cancel, done = threading.Event(), threading.Event()
    ctx = TaskContext(task, store=parts.store, resolver=parts.media, scratch_root=parts.settings.scratch_dir,
                      cancel_event=cancel, on_progress=reporter.progress, memo=parts.memo,
                      fetch_policy=parts.fetch_policy, media_limits=parts.settings.media_limits,
                      models=parts.model_host, signing=parts.signing)
    watcher = threading.Thread(target=_watch_cancel, args=(parts, task.task_id, cancel, done, ctx),
                               name="cancel-watch", daemon=True)
    status, result, error = "failed", None, None
    _running = ctx
    try:
        if parts.redis.exists(cancel_key(task.task_id)):
            raise Canceled("canceled before it started")
        reporter.put(TaskStarted(task.task_id))
        watcher.start()
        result = result_to_json(run_task(task, parts.registry, ctx))
        status = "succeeded"
    except StudioError as exc:
        status, error = ("canceled" if exc.code == "CANCELED" else "failed"), exc.to_dict()
    except Exception as exc:
        from celery.exceptions import SoftTimeLimitExceeded

        if isinstance(exc, SoftTimeLimitExceeded):
            ctx.kill_processes()
            error = {"code": "TIMEOUT", "message": "the node ran longer than the task time limit "
                                                   f"({parts.settings.celery_task_time_limit_seconds:g} s)"}
        else:
            log.error("node %s failed unexpectedly", task.node_id, exc_info=exc)
            error = {"code": "NODE_ERROR", "message": f"{type(exc).__name__}: {exc}"}
    finally:
        _running = None
        done.set()
        with contextlib.suppress(RuntimeError):
            watcher.join(timeout=2)
    try:
        stood = parts.attempts.finish(task.task_id, status, result=result, error=error)
    except Exception as exc:  # not stored: report the end anyway (a redelivery would run the task again)
        log.error("the end of task %s could not be stored", task.task_id, exc_info=exc)
        stood = Delivery(Verdict.REPLAY, delivery.deliveries, status, result, error)
    reporter.put(_stored_end(task.task_id, stood))


def register_task(app: Celery, settings: Settings) -> None:
    """Register the node task on a worker's app."""
    from celery import Task

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def run_node(self: Task, payload: dict[str, Any]) -> None:
        queue = str((self.request.delivery_info or {}).get("routing_key") or "cpu")
        execute(settings, payload, queue, str(self.request.hostname or ""))


def _preload(settings: Settings) -> None:
    """Import, once in the main process, what every pool process needs: a fresh pool process (one replaces
    each that died) then starts its first task at once instead of importing the studio again."""
    import celery.exceptions  # noqa: F401
    import redis  # noqa: F401

    from .. import media_stores  # noqa: F401
    from ..runtimes.models import model_host  # noqa: F401
    from ..services import media, models  # noqa: F401

    if settings.media_store == "s3":
        from ..store import s3_media_store  # noqa: F401  (and boto3)

    registry_with(settings.extra_node_modules).all()  # every node module


def run_worker(settings: Settings, queues: list[str], concurrency: int, hostname: str | None = None) -> None:
    """Start a worker consuming ``queues`` with ``concurrency`` pool processes (blocks until shut down)."""
    from celery.signals import worker_process_init

    _preload(settings)
    app = make_celery(settings)
    register_task(app, settings)

    @worker_process_init.connect(weak=False)  # type: ignore[untyped-decorator]
    def _pool_process_started(**_: Any) -> None:
        global _pool_sigterm
        _pool_sigterm = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm)

    name = hostname or f"{'+'.join(queues)}@{socket.gethostname()}:{os.getpid()}"
    app.worker_main(["worker", "--queues", ",".join(queues), "--concurrency", str(concurrency),
                     "--pool", "prefork", "--hostname", name, "--without-gossip", "--without-mingle",
                     "--loglevel", settings.log_level.upper()])
