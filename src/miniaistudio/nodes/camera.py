"""Camera Move: Ken Burns pan/zoom or a 2.5D parallax orbit on a still image (classical)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.node import ImageInput, Node, VideoOutput, node


@node("video.ken_burns", title="Camera Move (Ken Burns / Parallax)", category="Video",
      tags=("camera", "ken burns", "parallax", "motion"))
class CameraMoveNode(Node):
    """A video from a still: Ken Burns (a slow zoom and pan) or a parallax move (2.5D layers from the
    segmentation mask), from the original framing to the given azimuth, elevation and distance.
    Classical; no video model.

    Engines: ffmpeg zoompan, and ``runtimes/creative/camera_motion.py`` for the parallax."""

    image: ImageInput
    style: Literal["ken_burns", "parallax"] = "ken_burns"
    azimuth: float = Field(default=0.0, ge=-180.0, le=180.0,
                           description="Degrees; positive orbits to the subject's right")
    elevation: float = Field(default=0.0, ge=-60.0, le=60.0, description="Degrees; positive looks down from above")
    distance: float = Field(default=0.8, ge=0.5, le=2.0, description="Below 1 moves closer, above 1 farther")
    duration: float = Field(default=4.0, gt=0.0, le=60.0, description="Seconds")
    fps: int = Field(default=25, ge=1, le=60)
    width: int = Field(default=0, ge=0, le=3840, description="0 = the image's width")
    height: int = Field(default=0, ge=0, le=2160, description="0 = the image's height")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        from ..runtimes.creative.camera_motion import ENGINE_KEN_BURNS, ENGINE_PARALLAX, CameraMove, render_camera_video
        from ..runtimes.models.model_host import host_of

        assert self.image is not None
        move = CameraMove(azimuth=self.azimuth, elevation=self.elevation, distance=self.distance)
        path = render_camera_video(ctx, self.image, style=self.style, move=move, duration=self.duration,
                                   fps=self.fps, cache=host_of(ctx).cache, width=self.width or None,
                                   height=self.height or None)
        engine = ENGINE_KEN_BURNS if self.style == "ken_burns" else ENGINE_PARALLAX
        prov = Provenance(engine=engine, classical=True, params=self.model_dump(exclude={"image"}),
                          source=self.image.media_id)
        return VideoOutput(video=ctx.store_file(path, "video", prov))
