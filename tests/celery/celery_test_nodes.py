"""Node types for the Celery tests, loaded by the studio and its workers alike (``extra_node_modules``).

They make the situations the tests need: a node slow enough to kill or cancel mid-run, one that
needs a GPU (for routing), one that kills its own worker process, one that ignores its cancel flag.
"""

from __future__ import annotations

import os
import signal
import time

from pydantic import Field

from miniaistudio.core.context import NodeContext, Provenance
from miniaistudio.core.node import ImageInput, ImageOutput, Node, node


def _square(ctx: NodeContext, color: str, engine: str) -> ImageOutput:
    from PIL import Image

    return ImageOutput(image=ctx.save_image(Image.new("RGB", (16, 16), color), Provenance(engine=engine)))


@node("test.slow_color", title="Slow Color", category="Test")
class SlowColor(Node):
    """A small square, after ``seconds`` of work that checks its cancel flag between steps."""

    seconds: float = Field(default=1.0, ge=0, le=60)
    color: str = "#336699"

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            ctx.check_canceled()
            ctx.progress(1 - (end - time.monotonic()) / max(self.seconds, 1e-6))
            time.sleep(0.05)
        return _square(ctx, self.color, "slow")


@node("test.gpu_tint", title="GPU Tint", category="Test", gpu=True)
class GpuTint(Node):
    """Needs a GPU (so it goes to the gpu queue); returns its input image unchanged."""

    image: ImageInput

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        assert self.image is not None
        return ImageOutput(image=ctx.save_image(ctx.load_image(self.image), Provenance(engine="gpu-tint")))


@node("test.kill_worker", title="Kill Worker", category="Test")
class KillWorker(Node):
    """Kills the process it runs in, every time (an out-of-memory kill, a segfault)."""

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


@node("test.stubborn", title="Stubborn", category="Test")
class Stubborn(Node):
    """Works for ``seconds`` without ever looking at its cancel flag."""

    seconds: float = Field(default=30, ge=0, le=600)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        time.sleep(self.seconds)
        return _square(ctx, "#000000", "stubborn")


@node("test.child_sleep", title="Child Sleep", category="Test")
class ChildSleep(Node):
    """Waits on a child process (``sleep <seconds>``), as ffmpeg nodes wait on ffmpeg."""

    seconds: float = Field(default=30, ge=0, le=600)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        ctx.run_process(["sleep", str(self.seconds)])
        return _square(ctx, "#ffffff", "child-sleep")
