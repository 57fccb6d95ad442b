"""Whether a photo is a usable portrait: exactly one face, seen from the front, large enough to animate.

One rule and one set of codes for everything that needs "a single front-facing face" (the Talking
Avatar node, the Miraflow door's avatars, which map the codes to their own where the door's differ):

- ``NO_FACE_FOUND``: no face;
- ``MULTIPLE_FACES``: more than one (counted by mediapipe's full-range face detector, which finds the
  small faces of a wide picture that the face mesh's short-range detector misses, and by the mesh;
  faces under :data:`MIN_FACE_SHARE_OF_LARGEST` of the largest, people far behind, do not count);
- ``FACE_NOT_FRONTAL``: the head is turned (the nose tip near one outer eye corner, measured along
  the eye line so a tilt alone does not count as a turn) or tilted more than :data:`MAX_ROLL_DEGREES`;
- ``FACE_TOO_SMALL``: under :data:`MIN_FACE_PX` tall, or under :data:`MIN_FACE_FRACTION` of the photo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...core.errors import NodeFailed
from ..models.model_cache import ModelCache
from ..models.vision import face_boxes, face_landmarks

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

NO_FACE_FOUND, MULTIPLE_FACES = "NO_FACE_FOUND", "MULTIPLE_FACES"
FACE_NOT_FRONTAL, FACE_TOO_SMALL = "FACE_NOT_FRONTAL", "FACE_TOO_SMALL"
CODES = (NO_FACE_FOUND, MULTIPLE_FACES, FACE_NOT_FRONTAL, FACE_TOO_SMALL)

FOREHEAD, CHIN_TIP, NOSE_TIP, RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 10, 152, 1, 33, 263
#: The nearer eye corner at least this fraction of the farther one's distance from the nose: frontal.
MIN_FRONTAL_BALANCE = 0.45
MAX_ROLL_DEGREES = 25.0
#: Smallest face (forehead to chin) the talking head can animate.
MIN_FACE_PX = 64
#: The face at least this fraction of the photo's shorter side (eye corner to eye corner x 2.5).
MIN_FACE_FRACTION = 0.12
MESH_FACES = 4  # enough to tell one face from several
#: Faces smaller than this share of the largest one (people far behind) do not count.
MIN_FACE_SHARE_OF_LARGEST = 0.35


class PortraitRefused(NodeFailed):
    """The photo is not a portrait of one front-facing face (``code`` is one of :data:`CODES`)."""


@dataclass(frozen=True)
class PortraitCheck:
    code: str | None  # None: a usable portrait
    message: str
    faces: int
    details: dict[str, Any] = field(default_factory=dict)
    landmarks: NDArray[np.float32] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.code is None

    def require(self) -> NDArray[np.float32]:
        """The one face's landmarks, or :class:`PortraitRefused`."""
        if self.code is not None or self.landmarks is None:
            raise PortraitRefused(self.message, code=self.code or NO_FACE_FOUND, details=self.details)
        return self.landmarks


def check_portrait(rgb: NDArray[np.uint8], *, cache: ModelCache) -> PortraitCheck:
    """The verdict on one RGB photo (blocking: call it from a worker thread)."""
    import numpy as np

    widths = [box[2] for box in face_boxes(rgb, cache=cache)]
    faces = face_landmarks(rgb, MESH_FACES, cache=cache)
    spans = [float(np.linalg.norm(f[LEFT_EYE_OUTER, :2] - f[RIGHT_EYE_OUTER, :2])) for f in faces]
    count = max(_counted(widths), _counted(spans))
    if count > 1:
        return PortraitCheck(MULTIPLE_FACES, f"the photo shows {count} faces; it needs exactly one", count,
                             {"faces": count})
    if not faces:
        return PortraitCheck(NO_FACE_FOUND, "no face was found in the photo", 0, {"faces": 0})
    return judge_face(faces[spans.index(max(spans))], rgb.shape[1], rgb.shape[0])


def _counted(sizes: list[float]) -> int:
    return sum(size >= MIN_FACE_SHARE_OF_LARGEST * max(sizes) for size in sizes) if sizes else 0


def judge_face(points: NDArray[np.float32], width: int, height: int) -> PortraitCheck:
    """The verdict on one face's mesh landmarks (pixels) in a ``width`` x ``height`` photo."""
    import numpy as np

    right_eye, left_eye, nose = points[RIGHT_EYE_OUTER, :2], points[LEFT_EYE_OUTER, :2], points[NOSE_TIP, :2]
    eye_line = left_eye - right_eye
    span = float(np.linalg.norm(eye_line))
    roll = math.degrees(math.atan2(float(eye_line[1]), float(eye_line[0])))
    along = eye_line / max(span, 1e-6)
    to_right = abs(float(np.dot(nose - right_eye, along)))
    to_left = abs(float(np.dot(left_eye - nose, along)))
    balance = min(to_right, to_left) / max(to_right, to_left, 1e-6)
    face_height = float(np.linalg.norm(points[CHIN_TIP, :2] - points[FOREHEAD, :2]))
    details = {"faces": 1, "yaw_balance": round(balance, 3), "roll_degrees": round(abs(roll), 1),
               "face_height": round(face_height)}
    if balance < MIN_FRONTAL_BALANCE or abs(roll) > MAX_ROLL_DEGREES:
        return PortraitCheck(FACE_NOT_FRONTAL, "the face is not front-facing (turned or tilted too far); "
                             "use a photo facing the camera", 1, details)
    if face_height < MIN_FACE_PX or span * 2.5 < MIN_FACE_FRACTION * min(width, height):
        return PortraitCheck(FACE_TOO_SMALL, f"the face is too small ({face_height:.0f} px tall); "
                             "use a photo closer to the face", 1, details)
    return PortraitCheck(None, "", 1, details, points)
