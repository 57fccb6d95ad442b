"""Whether a photo can be an avatar: exactly one face, seen from the front, large enough to animate.

Faces are counted with mediapipe's full-range face detector (the face mesh's own detector is
short-range and misses a second face in a wide picture); the one face's mesh
(``runtimes/models/vision.py``) then says whether it is front-facing: the nose tip's horizontal
distance to each outer eye corner (a turned head brings the nose near one eye).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..models.model_cache import ModelCache
from ..models.vision import face_landmarks, mp_solutions

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

NOSE_TIP, RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 1, 33, 263
#: The nearer eye corner at least this fraction of the farther one's distance from the nose: frontal.
MIN_FRONTAL_BALANCE = 0.45
#: The face at least this fraction of the photo's shorter side (eye corner to eye corner x 2.5).
MIN_FACE_FRACTION = 0.12

Verdict = Literal["ok", "no_face", "several_faces", "not_frontal", "face_too_small"]


@dataclass(frozen=True)
class PortraitCheck:
    verdict: Verdict
    faces: int
    balance: float = 0.0  # 1 = nose centred between the eyes

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def check_portrait(rgb: NDArray[np.uint8], *, cache: ModelCache) -> PortraitCheck:
    """The verdict on one RGB photo (blocking: call it from a worker thread)."""
    with mp_solutions().face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5) as detector:
        count = len(detector.process(rgb).detections or [])
    faces = face_landmarks(rgb, max_faces=1, cache=cache) if count == 1 else []
    if count > 1:
        return PortraitCheck("several_faces", count)
    if not faces:
        return PortraitCheck("no_face", 0)
    points = faces[0]
    nose = float(points[NOSE_TIP, 0])
    right, left = abs(nose - float(points[RIGHT_EYE_OUTER, 0])), abs(float(points[LEFT_EYE_OUTER, 0]) - nose)
    balance = min(right, left) / max(right, left, 1e-6)
    eye_span = abs(float(points[LEFT_EYE_OUTER, 0]) - float(points[RIGHT_EYE_OUTER, 0]))
    if balance < MIN_FRONTAL_BALANCE:
        return PortraitCheck("not_frontal", 1, balance)
    if eye_span * 2.5 < MIN_FACE_FRACTION * min(rgb.shape[:2]):
        return PortraitCheck("face_too_small", 1, balance)
    return PortraitCheck("ok", 1, balance)
