"""Run state: what one execution of a session's graph did, node by node."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RunMode(StrEnum):
    FULL = "full"
    FROM_NODE = "from_node"
    NODE = "node"  # isolated rerun of one node


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    INTERRUPTED = "interrupted"  # the server stopped while the run was active

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


class NodeStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    CACHED = "cached"
    FAILED = "failed"
    CANCELED = "canceled"
    SKIPPED = "skipped"  # an upstream node failed or was canceled
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self not in (NodeStatus.QUEUED, NodeStatus.RUNNING)


@dataclass
class NodeState:
    node_type: str
    status: NodeStatus
    signature: str
    progress: float = 0.0
    message: str | None = None
    outputs: dict[str, Any] | None = None  # encoded values
    error: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_type": self.node_type,
            "status": self.status.value,
            "signature": self.signature,
            "progress": self.progress,
            "message": self.message,
            "outputs": self.outputs,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeState:
        return cls(
            node_type=data["node_type"],
            status=NodeStatus(data["status"]),
            signature=data["signature"],
            progress=data.get("progress", 0.0),
            message=data.get("message"),
            outputs=data.get("outputs"),
            error=data.get("error"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
        )


@dataclass
class RunState:
    id: str
    session_id: str
    user_id: str
    mode: RunMode
    target_node_id: str | None
    status: RunStatus = RunStatus.QUEUED
    nodes: dict[str, NodeState] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    loops: dict[str, Any] = field(default_factory=dict)  # loop node id -> core.loops.LoopPlan

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for state in self.nodes.values():
            out[state.status.value] = out.get(state.status.value, 0) + 1
        return out
