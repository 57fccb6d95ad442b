"""GPU Control: the session's gate for GPU-heavy nodes.

Every node declared with ``gpu=True`` has a ``gpu`` trigger input; the canvas wires it to the
session's GPU Control node (catalog tag ``gpu-control``). The link orders GPU work after this
node and carries its ``auto_start`` choice; it stays out of cache signatures.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..core.context import NodeContext
from ..core.node import Node, NodeOutput, Socket, node
from ..core.sockets import SocketType
from ..core.values import GpuToken


class GpuOutput(NodeOutput):
    gpu: Annotated[GpuToken, Socket(SocketType.GPU, description="connect to GPU nodes' gpu input")]


@node("gpu.control", title="GPU Control", category="GPU", tags=("gpu-control",))
class GpuControl(Node):
    """The runtime gate for GPU-heavy nodes: connected nodes start the GPU runtime when they need it
    (auto-start), or fail with GPU_NOT_READY until you start it."""

    auto_start: bool = Field(
        default=True,
        description="Start the GPU runtime when a connected node needs it. Off: connected nodes fail with "
                    "GPU_NOT_READY until the runtime is started (with Start on the GPU chip in the toolbar).",
    )

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return False  # it reflects the runtime's state now, not a function of its inputs

    def invoke(self, ctx: NodeContext) -> GpuOutput:
        # The runtime starts on demand, when a connected node actually runs (not for cached ones),
        # so a fully cached workflow never starts paid runtime.
        from ..runtimes.models.model_host import host_of

        status = host_of(ctx).gpu.status()
        return GpuOutput(gpu=GpuToken(device=status.device or "unknown", auto_start=self.auto_start))
