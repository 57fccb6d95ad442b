"""A run read for its results: the media each node made, flattened by kind (the Go SDK's
``ParseExecutionOutputs`` + ``FlattenImages/Videos/Audios``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .models import CurrentRun, ErrorInfo, Run


class MediaOutput(BaseModel):
    """A media value a node produced (a run's ``{media_id, kind, mime, ..., url}``), and where it
    came from: ``node_id`` and its output socket ``output``. ``url`` is a path on the studio."""

    model_config = ConfigDict(extra="allow")
    media_id: str
    kind: str
    mime: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    url: str
    node_id: str = ""
    output: str = ""


@dataclass(frozen=True)
class NodeOutputs:
    node_id: str
    node_type: str
    status: str
    error: ErrorInfo | None
    values: dict[str, Any]  # by output socket, as answered
    media: list[MediaOutput] = field(default_factory=list)


@dataclass(frozen=True)
class ExecutionOutputs:
    """Nodes sorted by id; an empty result for a session that never ran."""

    run_id: str | None = None
    status: str | None = None
    error: ErrorInfo | None = None
    nodes: list[NodeOutputs] = field(default_factory=list)

    def media(self, kind: str | None = None) -> list[MediaOutput]:
        return [m for node in self.nodes for m in node.media if kind is None or m.kind == kind]

    def flatten_images(self) -> list[MediaOutput]:
        return self.media("image")

    def flatten_videos(self) -> list[MediaOutput]:
        return self.media("video")

    def flatten_audios(self) -> list[MediaOutput]:
        return self.media("audio")

    def node(self, node_id: str) -> NodeOutputs | None:
        return next((n for n in self.nodes if n.node_id == node_id), None)


def _media_in(value: Any, node_id: str, output: str) -> list[MediaOutput]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, Mapping) and "media_id" in item:
            try:
                found.append(MediaOutput.model_validate({**item, "node_id": node_id, "output": output}))
            except ValidationError:
                continue
    return found


def parse_execution_outputs(run: Run | CurrentRun | Mapping[str, Any] | None) -> ExecutionOutputs:
    """The outputs of a run: a ``Run``, ``get_session_execution``'s answer, or the JSON of either
    (``{"run": ...}`` or a run document)."""
    if isinstance(run, Mapping):
        run = CurrentRun.model_validate(run).run if "run" in run else Run.model_validate(run)
    elif isinstance(run, CurrentRun):
        run = run.run
    if run is None:
        return ExecutionOutputs()
    nodes = []
    for node_id in sorted(run.nodes):
        state = run.nodes[node_id]
        values = state.outputs or {}
        media = [m for socket in sorted(values) for m in _media_in(values[socket], node_id, socket)]
        nodes.append(NodeOutputs(node_id, state.node_type, state.status, state.error, values, media))
    return ExecutionOutputs(run.run_id, run.status, run.error, nodes)
