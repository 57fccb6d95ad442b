"""The graph document: one format for the canvas and the API.

Comments and groups are nodes of non-executable types, so the canvas draws them like
any node and loops can target a group by id. Members of a group name it in ``parent_id``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: What a node, edge or group id may look like (loop ``group_id`` uses the same rule).
ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"
ID_MAX_LENGTH = 100

#: Node types the graph itself gives meaning to (the rest come from the node registry).
GROUP_TYPE = "group"
LOOP_TYPE = "loop"
COMMENT_TYPE = "comment"

_ID = Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)

#: How a node takes part in a run (``core/node_modes.py``): ``bypass`` passes its first input of each output's
#: type straight through, ``mute`` leaves it and what only it feeds out.
NodeMode = Literal["normal", "bypass", "mute"]


def finite_json(value: Any) -> Any:
    """Refuse NaN and infinities anywhere in free-form JSON (they cannot be served back as JSON)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    x: float = 0.0
    y: float = 0.0


class GraphNode(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = _ID
    type: str = Field(min_length=1, max_length=100)
    position: Position = Field(default_factory=Position)
    params: dict[str, Any] = Field(default_factory=dict)
    title: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=20_000)
    width: float | None = None
    height: float | None = None
    parent_id: str | None = Field(default=None, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                  description="The group this node sits in")
    ui: dict[str, Any] = Field(default_factory=dict, description="Free-form canvas state")
    mode: NodeMode = Field(default="normal", description="normal | bypass (inputs pass through) | mute (left out)")

    _finite = field_validator("params", "ui")(finite_json)


class GraphEdge(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = _ID
    source: str = _ID
    source_handle: str = Field(min_length=1, max_length=100)
    target: str = _ID
    target_handle: str = Field(min_length=1, max_length=100)


class Graph(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    nodes: list[GraphNode] = Field(default_factory=list, max_length=5000)
    edges: list[GraphEdge] = Field(default_factory=list, max_length=20000)

    def node_map(self) -> dict[str, GraphNode]:
        return {n.id: n for n in self.nodes}


class Viewport(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    x: float = 0.0
    y: float = 0.0
    zoom: float = Field(default=1.0, gt=0, le=100)
