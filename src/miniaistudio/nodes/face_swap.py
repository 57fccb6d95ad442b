"""Face Swap on images and videos: mediapipe face mesh + OpenCV warping and blending (classical).

Every output is marked AI-generated (``ai_generated=True``, engine
``mediapipe-facemesh+opencv``): a face from one person is put onto another.
Faces are numbered left to right from 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import ImageOutput, Node, Socket, VideoInput, VideoOutput, node
from ..core.sockets import SocketType
from ..core.values import MediaRef
from ..runtimes.creative.face_swap import ENGINE, SwapOptions

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SourceFace = Annotated[MediaRef | None, Socket(SocketType.IMAGE, label="Source face",
                                               description="The face to put in")]
TargetImage = Annotated[MediaRef | None, Socket(SocketType.IMAGE, label="Target",
                                                description="The image whose face is replaced")]
MODEL = "mediapipe face_mesh (refine_landmarks) + OpenCV Delaunay/seamlessClone"
MAX_FACES = 8


def _pick_face(faces: list[NDArray[np.float32]], index: int, which: str) -> NDArray[np.float32]:
    if not faces:
        raise NodeFailed(f"no face found in the {which}", code="NO_FACE_FOUND", details={"image": which})
    if index >= len(faces):
        raise NodeFailed(f"{which} face index {index} is out of range: {len(faces)} face(s) found",
                         code="FACE_INDEX_OUT_OF_RANGE", details={"image": which, "faces": len(faces)})
    return faces[index]


def _source_swapper(ctx: NodeContext, ref: MediaRef, index: int, options: SwapOptions) -> Any:
    from ..runtimes.creative.face_swap import FaceSwapper
    from ..runtimes.models import vision
    from ..runtimes.models.model_host import host_of

    rgb = vision.rgb_array(ctx.load_image(ref))
    pts = _pick_face(vision.face_landmarks(rgb, MAX_FACES, cache=host_of(ctx).cache), index, "source")
    return FaceSwapper(rgb, pts, options)


@node("image.face_swap", title="Face Swap", category="Vision", tags=("face", "swap", "deepfake"))
class FaceSwap(Node):
    """Put the source image's face onto the target image's face (classical, landmark based).

    Face mesh on both, Delaunay warp of the source face onto the target landmarks, colour
    transfer, feathered mask and Poisson (seamless) blending. Output marked AI-generated.
    """

    source: SourceFace
    target: TargetImage
    source_face_index: int = Field(default=0, ge=0, lt=MAX_FACES, description="Faces counted left to right")
    target_face_index: int = Field(default=0, ge=0, lt=MAX_FACES, description="Faces counted left to right")
    color_strength: float = Field(default=1.0, ge=0.0, le=1.0, description="Match the source skin to the target")
    feather: float = Field(default=0.06, ge=0.0, le=0.3, description="Mask edge softness (x face size)")
    blend: float = Field(default=1.0, ge=0.0, le=1.0, description="Opacity of the swapped face")
    seamless: bool = Field(default=True, description="Poisson blending (cv2.seamlessClone)")

    def options(self) -> SwapOptions:
        return SwapOptions(color_strength=self.color_strength, feather=self.feather, blend=self.blend,
                           seamless=self.seamless)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image

        from ..runtimes.models import vision
        from ..runtimes.models.model_host import host_of

        assert self.source is not None and self.target is not None
        swapper = _source_swapper(ctx, self.source, self.source_face_index, self.options())
        ctx.progress(0.4, "warping the face")
        target = vision.rgb_array(ctx.load_image(self.target))
        pts = _pick_face(vision.face_landmarks(target, MAX_FACES, cache=host_of(ctx).cache),
                         self.target_face_index, "target")
        out, _alpha = swapper.swap(target, pts)
        return ImageOutput(image=ctx.save_image(Image.fromarray(out, "RGB"), Provenance(
            engine=ENGINE, model=MODEL, ai_generated=True, params=self.model_dump(exclude={"source", "target"}),
            source=self.source.media_id, target=self.target.media_id)))


class _VideoSwapBase(Node):
    source: SourceFace
    video: VideoInput
    source_face_index: int = Field(default=0, ge=0, lt=MAX_FACES, description="Faces counted left to right")
    target_face_index: int = Field(default=0, ge=0, lt=MAX_FACES,
                                   description="Face in the video, counted left to right on its first frame")
    smoothing: float = Field(default=0.5, ge=0.0, le=0.9,
                             description="Temporal landmark smoothing (EMA; 0 = none); adapts to fast motion")

    def options(self) -> SwapOptions:
        return SwapOptions()

    def run_video(self, ctx: NodeContext) -> VideoOutput:
        from ..runtimes.creative.face_swap import LandmarkTrack
        from ..runtimes.models import vision

        assert self.source is not None and self.video is not None
        swapper = _source_swapper(ctx, self.source, self.source_face_index, self.options())
        track = LandmarkTrack(self.target_face_index, self.smoothing)
        swapped = 0
        with ctx.media_path(self.video) as path:
            cap, info = vision.open_video(path)
            total = max(info.frames, 1)
            tmp = ctx.work_path(".mkv")
            writer = vision.FrameWriter(tmp, info.fps, info.width, info.height)
            try:
                with vision.tracking_face_mesh(min(self.target_face_index + 2, MAX_FACES)) as mesh:
                    for i, frame in enumerate(vision.iter_frames(cap)):
                        ctx.check_canceled()
                        pts = track.update(vision.face_landmarks_tracked(mesh, frame))
                        if pts is not None:
                            frame, _alpha = swapper.swap(frame, pts)
                            swapped += 1
                        writer.write(frame)
                        ctx.progress(0.9 * min(1.0, (i + 1) / total), f"frame {i + 1}/{total}")
            finally:
                writer.close()
                cap.release()
            if writer.count == 0:
                raise NodeFailed("the video has no frames OpenCV can decode", code="INPUT_INVALID")
            if swapped == 0:
                raise NodeFailed("no face found in the video", code="NO_FACE_FOUND", details={"image": "video"})
            output = ctx.work_path(".mp4")
            prov = Provenance(engine=ENGINE, model=MODEL, ai_generated=True,
                              params=self.model_dump(exclude={"source", "video"}), source=self.source.media_id,
                              target=self.video.media_id, frames=writer.count, frames_swapped=swapped)
            vision.encode_frames(ctx, tmp, output, fps=info.fps, frame_count=writer.count, audio_from=path,
                                 provenance=prov)
        return VideoOutput(video=ctx.store_file(output, "video", prov))


@node("video.face_swap", title="Video Face Swap", category="Vision", tags=("face", "swap", "video"))
class VideoFaceSwap(_VideoSwapBase):
    """Put the source image's face onto a face in every frame of a video; audio kept.

    Landmarks are tracked from frame to frame (face mesh in tracking mode, nearest face) and
    smoothed over time; frames where the face is lost pass through unchanged.
    """

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        return self.run_video(ctx)


@node("video.face_swap_precise", title="Precise Video Face Swap", category="Vision",
      tags=("face", "swap", "video"))
class PreciseVideoFaceSwap(_VideoSwapBase):
    """Video face swap with every control: face per side, mask feather and erosion, mouth
    preservation, colour-transfer strength, blend and Poisson blending."""

    feather: float = Field(default=0.06, ge=0.0, le=0.3, description="Mask edge softness (x face size)")
    erosion: float = Field(default=0.02, ge=0.0, le=0.2, description="Shrink the mask (x face size)")
    preserve_mouth: bool = Field(default=True, description="Keep the target's inner mouth (speech stays natural)")
    color_strength: float = Field(default=1.0, ge=0.0, le=1.0, description="Match the source skin to the target")
    blend: float = Field(default=1.0, ge=0.0, le=1.0, description="Opacity of the swapped face")
    seamless: bool = Field(default=True, description="Poisson blending (cv2.seamlessClone)")

    def options(self) -> SwapOptions:
        return SwapOptions(color_strength=self.color_strength, feather=self.feather, erosion=self.erosion,
                           preserve_mouth=self.preserve_mouth, blend=self.blend, seamless=self.seamless)

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        return self.run_video(ctx)
