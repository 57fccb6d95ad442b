"""Pose Extractor: mediapipe pose → an OpenPose-style skeleton image and keypoints JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import ImageInput, Node, NodeOutput, Socket, node
from ..core.sockets import SocketType
from ..core.values import MediaRef

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "mediapipe-pose"
# OpenPose BODY_18 (COCO) order from mediapipe's 33 landmarks; -1 = neck (mid-shoulders).
OPENPOSE_FROM_MEDIAPIPE = (0, -1, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7)
OPENPOSE_NAMES = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
                  "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
                  "right_eye", "left_eye", "right_ear", "left_ear")
# Limbs (1-based, as in OpenPose) and colours (RGB) of the standard OpenPose rendering.
LIMBS = ((2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12), (12, 13),
         (13, 14), (2, 1), (1, 15), (15, 17), (1, 16), (16, 18))
COLORS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
          (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
          (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))


class PoseOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="OpenPose-style skeleton on black")]
    keypoints: Annotated[str, Socket(SocketType.TEXT, description="Keypoints as JSON (OpenPose + named)")]


def openpose_points(points: NDArray[np.float32], min_visibility: float) -> list[tuple[float, float, float] | None]:
    """The 18 OpenPose keypoints (x, y, confidence) or None where not visible enough."""
    out: list[tuple[float, float, float] | None] = []
    for idx in OPENPOSE_FROM_MEDIAPIPE:
        if idx == -1:
            ls, rs = points[11], points[12]
            vis = float(min(ls[3], rs[3]))
            x, y = float((ls[0] + rs[0]) / 2), float((ls[1] + rs[1]) / 2)
        else:
            x, y, vis = float(points[idx][0]), float(points[idx][1]), float(points[idx][3])
        out.append((x, y, vis) if vis >= min_visibility else None)
    return out


def draw_skeleton(width: int, height: int, keypoints: list[tuple[float, float, float] | None],
                  face: NDArray[np.float32] | None, line_width: int) -> NDArray[np.uint8]:
    """OpenPose rendering: limbs as filled ellipses at 60 % colour, joints as full-colour dots."""
    import math

    import numpy as np

    from ..runtimes.models.vision import require

    cv2 = require("cv2")
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    stick = max(2, line_width)
    for (a, b), color in zip(LIMBS, COLORS, strict=False):
        pa, pb = keypoints[a - 1], keypoints[b - 1]
        if pa is None or pb is None:
            continue
        mx, my = (pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2
        length = math.hypot(pa[0] - pb[0], pa[1] - pb[1])
        angle = math.degrees(math.atan2(pa[1] - pb[1], pa[0] - pb[0]))
        poly = cv2.ellipse2Poly((int(mx), int(my)), (int(length / 2), stick), int(angle), 0, 360, 1)
        layer = canvas.copy()
        cv2.fillConvexPoly(layer, poly, color)
        canvas = cv2.addWeighted(canvas, 0.4, layer, 0.6, 0)
    for point, color in zip(keypoints, COLORS, strict=True):
        if point is not None:
            cv2.circle(canvas, (int(point[0]), int(point[1])), stick, color, thickness=-1)
    if face is not None:
        radius = max(1, stick // 3)
        for x, y in face[:, :2].tolist():
            cv2.circle(canvas, (int(x), int(y)), radius, (255, 255, 255), thickness=-1)
    return canvas


def face_contour_points(faces: list[NDArray[np.float32]]) -> NDArray[np.float32] | None:
    """The face-mesh contour points (oval, eyes, brows, lips) of every face: the face 'dots' to draw."""
    import numpy as np

    from ..runtimes.models.vision import mp_solutions

    if not faces:
        return None
    contour = sorted({i for edge in mp_solutions().face_mesh.FACEMESH_CONTOURS for i in edge})
    points: NDArray[np.float32] = np.concatenate([f[contour] for f in faces], axis=0)
    return points


@node("image.pose", title="Pose Extractor", category="Vision", tags=("pose", "openpose", "controlnet"))
class PoseExtractor(Node):
    """Detect a person's pose (mediapipe, model complexity 1) and draw it as an OpenPose skeleton.

    Outputs the skeleton on black (same size as the input, for pose-guided generation) and the
    keypoints as JSON: OpenPose ``people[].pose_keypoints_2d`` (18 points, x y confidence) plus
    the 33 named mediapipe landmarks in pixels; with ``include_face``, the 478 face-mesh points.
    """

    image: ImageInput
    include_face: bool = Field(default=False, description="Also detect and draw face landmarks (face mesh)")
    min_visibility: float = Field(default=0.3, ge=0.0, le=1.0,
                                  description="Keypoints less visible than this are left out")
    min_confidence: float = Field(default=0.5, ge=0.05, le=0.95, description="Person detection confidence")
    line_width: int = Field(default=0, ge=0, le=64, description="Limb width in pixels (0 = by image size)")

    def invoke(self, ctx: NodeContext) -> PoseOutput:
        from PIL import Image

        from ..runtimes.models import vision
        from ..runtimes.models.model_host import host_of

        assert self.image is not None
        cache = host_of(ctx).cache
        src = ctx.load_image(self.image)
        rgb = vision.rgb_array(src)
        h, w = rgb.shape[:2]
        pose = vision.detect_pose(rgb, self.min_confidence, cache=cache)
        if pose is None:
            raise NodeFailed("no person found in the image", code="NO_POSE_FOUND")
        keypoints = openpose_points(pose.points, self.min_visibility)
        faces = vision.face_landmarks(rgb, max_faces=4, cache=cache) if self.include_face else []
        width = self.line_width or max(2, round(4 * min(w, h) / 512))
        canvas = draw_skeleton(w, h, keypoints, face_contour_points(faces), width)
        flat: list[float] = []
        for point in keypoints:
            flat.extend([round(point[0], 2), round(point[1], 2), round(point[2], 3)] if point else [0.0, 0.0, 0.0])
        person: dict[str, Any] = {"pose_keypoints_2d": flat,
                                  "keypoint_names": list(OPENPOSE_NAMES),
                                  "landmarks": pose.named(self.min_visibility)}
        if self.include_face:
            person["faces"] = [[[round(x, 2), round(y, 2)] for x, y in f[:, :2].tolist()] for f in faces]
        doc = {"engine": ENGINE, "format": "openpose-body18", "canvas_width": w, "canvas_height": h,
               "people": [person]}
        params = self.model_dump(exclude={"image"})
        ref = ctx.save_image(Image.fromarray(canvas, "RGB"), Provenance(
            engine=ENGINE, model="mediapipe pose (model_complexity=1)", params=params, source=self.image.media_id,
            ai_generated=True, keypoints_found=sum(p is not None for p in keypoints)))
        return PoseOutput(image=ref, keypoints=json.dumps(doc))
