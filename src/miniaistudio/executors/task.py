"""Running one node task: the function every executor calls, wherever it runs."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from ..core.errors import ImageTooLarge, NodeFailed, StudioError
from ..core.ports import NodeTask, TaskResult
from ..core.registry import NodeRegistry, param_errors
from ..core.values import decode_value, encode_value
from .context import TaskContext

log = logging.getLogger(__name__)


def run_task(task: NodeTask, registry: NodeRegistry, ctx: TaskContext) -> TaskResult:
    spec = registry.require(task.node_type)
    values: dict[str, Any] = {**task.params, **{k: decode_value(v) for k, v in task.inputs.items()}}
    try:
        node = spec.node_cls.model_validate(values)
    except ValidationError as exc:
        raise NodeFailed(f"invalid node settings: {param_errors(exc)}", code="INVALID_PARAMETER") from exc
    with ctx.scope():
        try:
            output = node.invoke(ctx)
        except StudioError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "DecompressionBombError":  # Pillow's guard, hit by a node opening a file itself
                raise ImageTooLarge(f"an input image is too large to decode: {exc}") from exc
            ctx.check_canceled()  # a killed child process surfaces as a failure: report cancel
            log.exception("node %s (%s) failed", task.node_id, task.node_type)
            raise NodeFailed(f"{type(exc).__name__}: {exc}", code="NODE_ERROR") from exc
    outputs = {name: encode_value(getattr(output, name)) for name in spec.outputs}
    return TaskResult(outputs=outputs, media=ctx.media)
