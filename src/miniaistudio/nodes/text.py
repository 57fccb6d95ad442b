"""Text sources."""

from __future__ import annotations

from pydantic import Field

from ..core.context import NodeContext
from ..core.node import Node, TextOutput, node


@node("text", title="Text", category="Inputs")
class Text(Node):
    """A piece of text: a prompt, a caption, a title."""

    text: str = Field(default="", max_length=100_000, json_schema_extra={"widget": "textarea"})

    def invoke(self, ctx: NodeContext) -> TextOutput:
        return TextOutput(text=self.text)
