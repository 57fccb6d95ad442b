"""Node tasks and their events as JSON, for executors whose workers live in other processes.

A task crosses to a Celery worker as :func:`task_to_json`; everything the worker reports
comes back on a Redis stream as :func:`event_to_json` and becomes the same
:data:`~miniaistudio.core.ports.TaskEvent` value the local executor puts on the engine's queue.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ..core.ports import (
    MediaRecord,
    NodeTask,
    RetryPolicy,
    TaskEvent,
    TaskFailed,
    TaskLog,
    TaskOutputsReady,
    TaskProgress,
    TaskResult,
    TaskStarted,
    TaskSucceeded,
)


def task_to_json(task: NodeTask) -> dict[str, Any]:
    return asdict(task)


def task_from_json(data: dict[str, Any]) -> NodeTask:
    fields = dict(data)
    fields["retry"] = RetryPolicy(**fields.get("retry", {}))
    return NodeTask(**fields)


def result_to_json(result: TaskResult) -> dict[str, Any]:
    return {"outputs": result.outputs, "media": [asdict(m) for m in result.media]}


def result_from_json(data: dict[str, Any]) -> TaskResult:
    return TaskResult(outputs=data["outputs"], media=[MediaRecord(**m) for m in data.get("media", [])])


def event_to_json(event: TaskEvent) -> str:
    body: dict[str, Any]
    match event:
        case TaskStarted(task_id):
            body = {"type": "started", "task_id": task_id}
        case TaskProgress(task_id, fraction, message):
            body = {"type": "progress", "task_id": task_id, "fraction": fraction, "message": message}
        case TaskLog(task_id, level, message):
            body = {"type": "log", "task_id": task_id, "level": level, "message": message}
        case TaskOutputsReady(task_id, outputs):
            body = {"type": "outputs_ready", "task_id": task_id, "outputs": outputs}
        case TaskSucceeded(task_id, result):
            body = {"type": "succeeded", "task_id": task_id, "result": result_to_json(result)}
        case TaskFailed(task_id, error):
            body = {"type": "failed", "task_id": task_id, "error": error}
    return json.dumps(body, separators=(",", ":"))


def event_from_json(text: str | bytes) -> TaskEvent:
    body = json.loads(text)
    task_id = body["task_id"]
    match body["type"]:
        case "started":
            return TaskStarted(task_id)
        case "progress":
            return TaskProgress(task_id, float(body["fraction"]), body.get("message"))
        case "log":
            return TaskLog(task_id, body["level"], body["message"])
        case "outputs_ready":
            return TaskOutputsReady(task_id, body["outputs"])
        case "succeeded":
            return TaskSucceeded(task_id, result_from_json(body["result"]))
        case "failed":
            return TaskFailed(task_id, body["error"])
    raise ValueError(f"unknown task event type {body['type']!r}")
