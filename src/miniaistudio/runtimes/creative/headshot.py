"""Classical headshot: framing from face landmarks, a studio backdrop, gentle skin and light retouch.

The engine of the Career Photo node, labelled ``classical-headshot`` (no generative model):

- **Framing** from mediapipe face-mesh landmarks: the eye line is levelled, the eyes sit at
  ``EYE_LINE`` (40 %) of the height and the face is centred; forehead-to-chin fills
  ``FACE_SHARE`` of the height in a 4:5 portrait. The frame may reach ``HEADROOM`` above the
  photo (only backdrop goes there); when the photo is still too tight, the frame zooms in
  (down to the face filling ``MAX_FACE_SHARE``) before edges are repeated.
- **Backdrop**: a soft radial studio gradient (lighter behind the head) in a neutral colour,
  composited under the person mask (mediapipe selfie segmentation).
- **Skin**: an edge-preserving bilateral filter blended in on a skin mask only (face oval minus
  eyes, brows and lips, intersected with skin tones), so eyes, hair and edges stay sharp.
- **Light**: a partial grey-world white balance and an exposure (gamma) nudge measured on the
  face, both bounded so a retouch never recolours the person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "classical-headshot"
ASPECT = 4 / 5  # width / height
EYE_LINE = 0.40  # eyes at this share of the height from the top
FACE_SHARE = 0.36  # forehead (landmark 10) to chin (152) as a share of the frame height
MAX_FACE_SHARE = 0.6  # the tightest framing before the photo's edges are repeated
MAX_UPSCALE = 2.0
HEADROOM = 0.2  # share of the frame that may lie above the photo (backdrop behind the head)
# Backdrops: (colour behind the head, colour at the corners), RGB.
BACKDROPS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "grey": ((168, 170, 173), (104, 106, 110)),
    "blue": ((104, 140, 182), (46, 72, 112)),
    "white": ((252, 252, 252), (224, 226, 229)),
    "beige": ((226, 214, 196), (176, 162, 144)),
    "charcoal": ((92, 94, 98), (40, 41, 44)),
}
IRIS = (468, 473)
NOSE_TIP, FOREHEAD, CHIN = 1, 10, 152


def _cv2() -> Any:
    from ..models.vision import require

    return require("cv2")


@dataclass(frozen=True)
class Framing:
    """Where the output comes from: a similarity transform source -> output, and the output size."""

    matrix: NDArray[np.float64]
    width: int
    height: int
    roll_degrees: float
    scale: float
    padded: bool  # the frame reaches past the photo (edges repeated)

    def apply(self, pts: NDArray[np.float32]) -> NDArray[np.float32]:
        import numpy as np

        ones = np.ones((pts.shape[0], 1), np.float32)
        out: NDArray[np.float32] = (np.hstack([pts[:, :2], ones]) @ self.matrix.T).astype(np.float32)
        return out


def eye_centres(pts: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(image-left eye, image-right eye) iris centres."""
    a, b = pts[IRIS[0], :2], pts[IRIS[1], :2]
    return (a, b) if a[0] <= b[0] else (b, a)


def eye_distance(pts: NDArray[np.float32]) -> float:
    import numpy as np

    left, right = eye_centres(pts)
    return float(np.linalg.norm(right - left))


def yaw_ratio(pts: NDArray[np.float32]) -> float:
    """How far the nose tip sits off the eyes' midpoint, in eye distances (0 = facing the camera)."""
    import numpy as np

    left, right = eye_centres(pts)
    axis = (right - left) / max(float(np.linalg.norm(right - left)), 1e-6)
    return float(np.dot(pts[NOSE_TIP, :2] - (left + right) / 2, axis)) / max(eye_distance(pts), 1e-6)


def frame_face(pts: NDArray[np.float32], src_w: int, src_h: int, target_height: int) -> Framing:
    """The 4:5 headshot frame for one face's landmarks (see the module doc)."""
    import numpy as np

    cv2 = _cv2()
    left, right = eye_centres(pts)
    mid = (left + right) / 2
    roll = math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))
    face_h = float(np.linalg.norm(pts[CHIN, :2] - pts[FOREHEAD, :2]))
    wanted = face_h / FACE_SHARE
    tightest = face_h / MAX_FACE_SHARE
    crop_h = wanted
    for factor in np.linspace(1.0, tightest / wanted, 16):
        crop_h = wanted * float(factor)
        if _inside(mid, roll, crop_h, src_w, src_h):
            break
    padded = not _inside(mid, roll, crop_h, src_w, src_h)
    out_h = int(min(target_height, round(crop_h * MAX_UPSCALE)))
    out_w = round(out_h * ASPECT)
    scale = out_h / crop_h
    matrix = cv2.getRotationMatrix2D((float(mid[0]), float(mid[1])), roll, scale)
    matrix[:, 2] += np.array([out_w / 2, out_h * EYE_LINE]) - mid
    return Framing(np.asarray(matrix, np.float64), out_w, out_h, roll, scale, padded)


def _inside(mid: NDArray[np.float32], roll: float, crop_h: float, src_w: int, src_h: int) -> bool:
    """Whether the (rotated) crop of height ``crop_h`` lies inside the photo."""
    import numpy as np

    crop_w = crop_h * ASPECT
    corners = np.array([[-crop_w / 2, -EYE_LINE * crop_h], [crop_w / 2, -EYE_LINE * crop_h],
                        [-crop_w / 2, (1 - EYE_LINE) * crop_h], [crop_w / 2, (1 - EYE_LINE) * crop_h]])
    r = math.radians(roll)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    pts = corners @ rot.T + mid
    return bool((pts[:, 0] >= -0.5).all() and (pts[:, 0] <= src_w - 0.5).all()
                and (pts[:, 1] >= -0.5 - HEADROOM * crop_h).all() and (pts[:, 1] <= src_h - 0.5).all())


def warp(image: NDArray[Any], framing: Framing, *, smooth: bool = True) -> NDArray[Any]:
    cv2 = _cv2()
    flags = cv2.INTER_CUBIC if smooth and framing.scale > 1 else cv2.INTER_AREA if smooth else cv2.INTER_LINEAR
    out: NDArray[Any] = cv2.warpAffine(image, framing.matrix, (framing.width, framing.height), flags=flags,
                                       borderMode=cv2.BORDER_REPLICATE)
    return out


def backdrop(width: int, height: int, name: str) -> NDArray[np.float32]:
    """A radial studio gradient: ``centre`` colour behind the head fading to ``edge`` at the corners."""
    import numpy as np

    centre, edge = (np.array(c, np.float32) for c in BACKDROPS[name])
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    d = np.sqrt(((xs - width / 2) / width) ** 2 + ((ys - height * 0.38) / height) ** 2)
    t = np.clip(d / 0.75, 0, 1)[..., None] ** 1.5
    out: NDArray[np.float32] = centre * (1 - t) + edge * t
    return out


def _hull(mask: NDArray[np.uint8], pts: NDArray[np.float32], indices: set[int], value: int) -> None:
    import numpy as np

    cv2 = _cv2()
    poly = np.round(pts[sorted(indices), :2]).astype(np.int32)
    cv2.fillConvexPoly(mask, cv2.convexHull(poly), value)


def skin_mask(rgb: NDArray[np.uint8], pts: NDArray[np.float32]) -> NDArray[np.float32]:
    """Soft mask of the face's skin: the face oval minus eyes, brows and lips, in skin tones only."""
    import numpy as np

    from ..models.vision import mp_solutions

    cv2 = _cv2()
    conn = mp_solutions().face_mesh_connections

    def ids(edges: Any) -> set[int]:
        return {i for pair in edges for i in pair}

    mask = np.zeros(rgb.shape[:2], np.uint8)
    _hull(mask, pts, ids(conn.FACEMESH_FACE_OVAL), 255)
    holes = np.zeros_like(mask)
    for part in (conn.FACEMESH_LEFT_EYE, conn.FACEMESH_RIGHT_EYE, conn.FACEMESH_LEFT_EYEBROW,
                 conn.FACEMESH_RIGHT_EYEBROW, conn.FACEMESH_LIPS):
        _hull(holes, pts, ids(part), 255)
    size = max(3, int(eye_distance(pts) * 0.12) | 1)
    holes = cv2.dilate(holes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    tone = cv2.inRange(ycc, np.array([40, 130, 70], np.uint8), np.array([255, 180, 135], np.uint8))
    skin = cv2.bitwise_and(cv2.bitwise_and(mask, cv2.bitwise_not(holes)), tone).astype(np.float32) / 255
    out: NDArray[np.float32] = cv2.GaussianBlur(skin, (0, 0), max(1.0, eye_distance(pts) * 0.04))
    return out


def smooth_skin(rgb: NDArray[np.uint8], skin: NDArray[np.float32], strength: float,
                eye_px: float) -> NDArray[np.uint8]:
    """A bilateral (edge-preserving) filter blended in by ``strength`` where ``skin`` is set."""
    import numpy as np

    cv2 = _cv2()
    if strength <= 0 or not skin.any():
        return rgb
    diameter = int(max(5, min(15, eye_px * 0.08))) | 1
    smooth = cv2.bilateralFilter(rgb, diameter, 30, diameter)
    a = (strength * skin)[..., None]
    out: NDArray[np.uint8] = np.clip(rgb * (1 - a) + smooth * a + 0.5, 0, 255).astype(np.uint8)
    return out


def balance_light(rgb: NDArray[np.uint8], skin: NDArray[np.float32], person: NDArray[np.float32],
                  strength: float) -> tuple[NDArray[np.uint8], dict[str, Any]]:
    """Partial grey-world balance on the person and an exposure nudge towards a well-lit face."""
    import numpy as np

    if strength <= 0:
        return rgb, {}
    img = rgb.astype(np.float32)
    weight = person > 0.5
    if weight.sum() < 100:
        weight = np.ones(person.shape, bool)
    means = img[weight].mean(axis=0)
    gains = np.clip(means.mean() / np.maximum(means, 1.0), 0.92, 1.08)
    gains = 1 + strength * (gains - 1)
    img *= gains
    face = skin > 0.5
    luma = (img[face] @ np.array([0.299, 0.587, 0.114], np.float32)) if face.sum() > 50 else None
    gamma = 1.0
    if luma is not None and luma.size:
        current = float(np.clip(np.median(luma) / 255, 0.05, 0.95))
        gamma = float(np.clip(math.log(0.62) / math.log(current), 0.8, 1.25))
        gamma = 1 + strength * (gamma - 1)
        img = 255 * (np.clip(img, 0, 255) / 255) ** gamma
    out: NDArray[np.uint8] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out, {"white_balance_gains": [round(float(g), 3) for g in gains], "gamma": round(gamma, 3)}


def composite(person: NDArray[np.uint8], mask: NDArray[np.float32], back: NDArray[np.float32]) -> NDArray[np.uint8]:
    import numpy as np

    a = mask[..., None]
    out: NDArray[np.uint8] = np.clip(person * a + back * (1 - a) + 0.5, 0, 255).astype(np.uint8)
    return out
