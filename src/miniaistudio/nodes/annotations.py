"""Canvas annotations: they never execute."""

from __future__ import annotations

from pydantic import Field

from ..core.context import NodeContext
from ..core.node import Node, NoOutput, node


@node("comment", title="Comment", category="Annotations", executable=False)
class Comment(Node):
    """A production note on the canvas."""

    text: str = Field(default="", max_length=20_000, json_schema_extra={"widget": "textarea"})
    color: str = Field(default="#fde68a", pattern=r"^#[0-9a-fA-F]{6}$")

    def invoke(self, ctx: NodeContext) -> NoOutput:
        return NoOutput()


@node("group", title="Group", category="Annotations", executable=False)
class Group(Node):
    """A frame whose member nodes move together and can become a loop target."""

    label: str = Field(default="Group", max_length=200)
    color: str = Field(default="#93c5fd", pattern=r"^#[0-9a-fA-F]{6}$")

    def invoke(self, ctx: NodeContext) -> NoOutput:
        return NoOutput()
