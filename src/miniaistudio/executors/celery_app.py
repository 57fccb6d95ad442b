"""The Celery application both sides share: the API process sends node tasks with it, workers run them.

Delivery is at least once, tuned as in the wave-2 notes (§A.4): late acks and reject-on-worker-lost
(a task whose worker died goes back to the queue), prefetch 1 (a worker takes a task only when a
process is free), a visibility timeout above the task time limit (no running task is delivered
twice), and kombu's unacked-restore sweep every ``celery_restore_seconds`` with a throttle of 1 (a
task of a worker killed outright is restored soon after the visibility timeout, not ~100 s later).
The attempt counter that bounds redelivery lives in the database (``store/task_attempts.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings
from ..core.registry import NodeRegistry

if TYPE_CHECKING:
    from celery import Celery

TASK_NAME = "miniaistudio.run_node"
QUEUES = ("gpu", "cpu")


def queue_for(registry: NodeRegistry, node_type: str, overrides: dict[str, str]) -> str:
    """The queue a node type's tasks go to: the setting ``node_queues`` if it names the type,
    else ``gpu`` for node types that need a GPU and ``cpu`` for the rest."""
    if node_type in overrides:
        return overrides[node_type]
    return "gpu" if registry.require(node_type).gpu else "cpu"


def cancel_key(task_id: str) -> str:
    """The Redis key whose presence asks a running task to stop (checked between steps)."""
    return f"miniai:task-cancel:{task_id}"


def make_celery(settings: Settings) -> Celery:
    from celery import Celery

    if not settings.redis_url:
        raise ValueError("the Celery executor needs redis_url")
    app = Celery("miniaistudio", broker=settings.redis_url, set_as_current=False)
    hard = settings.celery_task_time_limit_seconds
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # the pool child died (OOM, segfault, kill): requeue at once
        worker_prefetch_multiplier=1,
        worker_disable_prefetch=True,  # Redis: fetch only when a process is free
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.celery_visibility_timeout_seconds,
            "unacked_restore_interval": settings.celery_restore_seconds,
            "unacked_restore_throttle": 1,
        },
        task_time_limit=hard,
        task_acks_on_timeout=False,  # killed at the hard limit: delivered again, bounded by task_attempts
        task_soft_time_limit=max(hard - 30, hard * 0.9),
        task_ignore_result=True,  # ends travel on the executor's Redis stream and in task_attempts
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="cpu",
        worker_hijack_root_logger=False,
        worker_soft_shutdown_timeout=25,
    )
    return app
