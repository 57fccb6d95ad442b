"""Control nodes: loops over groups."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..core.context import NodeContext
from ..core.graph import ID_MAX_LENGTH, ID_PATTERN
from ..core.node import Node, NoOutput, node


class LoopIteration(BaseModel):
    """One variant: per-node parameter overrides (node id -> field -> value)."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    label: str = Field(default="", max_length=200)
    enabled: bool = True
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


@node("loop", title="Loop", category="Control", executable=False)
class Loop(Node):
    """Runs the nodes of a group once per enabled iteration, each with its own overrides.

    The engine expands the group per iteration (see ``core/loops.py``); the loop node itself
    does no work and shows the iterations' outputs together.
    """

    group_id: str = Field(default="", max_length=ID_MAX_LENGTH, pattern=f"(^$)|({ID_PATTERN})",
                          description="The group whose nodes are repeated (a group's node id)")
    iterations: list[LoopIteration] = Field(default_factory=list, max_length=200,
                                            json_schema_extra={"widget": "loop-table"})

    def invoke(self, ctx: NodeContext) -> NoOutput:
        return NoOutput()
