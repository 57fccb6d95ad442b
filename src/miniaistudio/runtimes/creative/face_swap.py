"""Classical face swap on mediapipe face-mesh landmarks (no face-swap model is reachable here).

Steps, as in the classic OpenCV recipe:

1. landmarks: mediapipe face mesh (478 points, ``refine_landmarks=True``) on source and target;
2. Delaunay triangulation (``cv2.Subdiv2D``) of the source's 468 mesh points, computed once;
3. piecewise-affine warp of the source face onto the target landmarks: every target pixel
   inside the mesh is mapped through its triangle's affine transform (one vectorised
   ``cv2.remap`` instead of one ``warpAffine`` per triangle);
4. colour transfer (Reinhard, mean/std in Lab inside the face) with a strength;
5. mask: the target's face hull ∩ warped area, optionally minus the target's mouth
   (mouth preservation), eroded, then feathered with a Gaussian;
6. ``cv2.seamlessClone`` (Poisson blending), then an alpha blend with the feathered mask, so
   pixels outside the mask are exactly the target's.

The result is labelled AI-generated (a model, mediapipe, shaped the pixels) with engine
``mediapipe-facemesh+opencv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models.vision import require

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "mediapipe-facemesh+opencv"
MESH_POINTS = 468  # without the 10 iris points
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
OUTER_LIPS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)


@dataclass(frozen=True)
class SwapOptions:
    """Controls; sizes are fractions of the target face's size (sqrt of its hull's box area)."""

    color_strength: float = 1.0  # 0 = source colours, 1 = fully matched to the target skin
    feather: float = 0.06  # Gaussian sigma of the mask edge
    erosion: float = 0.02  # shrink the mask before feathering
    preserve_mouth: bool = False  # keep the target's inner mouth (teeth, tongue) visible
    blend: float = 1.0  # opacity of the swapped face
    seamless: bool = True  # Poisson blending (cv2.seamlessClone)


def face_size(points: NDArray[np.float32]) -> float:
    import numpy as np

    xy = points[:MESH_POINTS, :2]
    span = xy.max(axis=0) - xy.min(axis=0)
    return float(np.sqrt(max(float(span[0] * span[1]), 1.0)))


def delaunay_indices(points: NDArray[np.float32], width: int, height: int) -> NDArray[np.int32]:
    """Triangles (Tx3 point indices) of the Delaunay triangulation of ``points`` (Nx2)."""
    cv2 = require("cv2")
    import numpy as np

    pts = np.asarray(points[:, :2], dtype=np.float32)
    lo = pts.min(axis=0) - 2
    hi = pts.max(axis=0) + 2
    subdiv = cv2.Subdiv2D((int(np.floor(lo[0])), int(np.floor(lo[1])),
                           int(np.ceil(hi[0] - lo[0])) + 1, int(np.ceil(hi[1] - lo[1])) + 1))
    lookup: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(pts.tolist()):
        key = (float(np.float32(x)), float(np.float32(y)))
        if key in lookup:
            continue
        lookup[key] = i
        subdiv.insert((key[0], key[1]))
    tris: list[tuple[int, int, int]] = []
    for t in subdiv.getTriangleList():
        idx = []
        for x, y in ((t[0], t[1]), (t[2], t[3]), (t[4], t[5])):
            found = lookup.get((float(np.float32(x)), float(np.float32(y))))
            if found is None:  # a virtual outer vertex of the subdivision
                break
            idx.append(found)
        if len(idx) == 3:
            tris.append((idx[0], idx[1], idx[2]))
    return np.array(tris, dtype=np.int32).reshape(-1, 3)


def _affines(src: NDArray[np.float32], dst: NDArray[np.float32],
             tris: NDArray[np.int32]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Per triangle, the 3x2 matrix M with [x, y, 1] @ M = source point, for target points."""
    import numpy as np

    d = dst[tris][:, :, :2].astype(np.float64)  # Tx3x2
    s = src[tris][:, :, :2].astype(np.float64)
    a = np.concatenate([d, np.ones((len(tris), 3, 1))], axis=2)  # Tx3x3
    det = np.linalg.det(a)
    ok = np.abs(det) > 1e-3
    a[~ok] = np.eye(3)
    m = np.linalg.solve(a, s)  # Tx3x2
    return m.astype(np.float32), ok


def warp_face(src_rgb: NDArray[np.uint8], src_pts: NDArray[np.float32], dst_shape: tuple[int, int],
              dst_pts: NDArray[np.float32], tris: NDArray[np.int32]
              ) -> tuple[NDArray[np.uint8], NDArray[np.uint8], tuple[int, int, int, int]]:
    """The source face warped onto the target mesh: (image, covered mask, box x0, y0, x1, y1).

    Only the box around the target face is computed; the image is full size.
    """
    cv2 = require("cv2")
    import numpy as np

    h, w = dst_shape
    dxy = dst_pts[:MESH_POINTS, :2]
    x0 = max(int(np.floor(dxy[:, 0].min())) - 1, 0)
    y0 = max(int(np.floor(dxy[:, 1].min())) - 1, 0)
    x1 = min(int(np.ceil(dxy[:, 0].max())) + 2, w)
    y1 = min(int(np.ceil(dxy[:, 1].max())) + 2, h)
    warped = np.zeros((h, w, 3), dtype=np.uint8)
    covered = np.zeros((h, w), dtype=np.uint8)
    if x1 <= x0 or y1 <= y0:
        return warped, covered, (0, 0, 0, 0)
    bw, bh = x1 - x0, y1 - y0
    index = np.full((bh, bw), -1, dtype=np.int32)
    mats, ok = _affines(src_pts, dst_pts, tris)
    local = dxy - np.array([x0, y0], dtype=np.float32)
    for t, (i, j, k) in enumerate(tris.tolist()):
        if ok[t]:
            poly = np.round(local[[i, j, k]]).astype(np.int32)
            cv2.fillConvexPoly(index, poly, t)
    ys, xs = np.nonzero(index >= 0)
    if len(xs) == 0:
        return warped, covered, (0, 0, 0, 0)
    m = mats[index[ys, xs]]  # Px3x2
    gx = (xs + x0).astype(np.float32)
    gy = (ys + y0).astype(np.float32)
    map_x = np.full((bh, bw), -1.0, dtype=np.float32)
    map_y = np.full((bh, bw), -1.0, dtype=np.float32)
    map_x[ys, xs] = gx * m[:, 0, 0] + gy * m[:, 1, 0] + m[:, 2, 0]
    map_y[ys, xs] = gx * m[:, 0, 1] + gy * m[:, 1, 1] + m[:, 2, 1]
    patch = cv2.remap(src_rgb, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    warped[y0:y1, x0:x1] = patch
    covered[y0:y1, x0:x1][index >= 0] = 255
    return warped, covered, (x0, y0, x1, y1)


def color_transfer(src: NDArray[np.uint8], ref: NDArray[np.uint8], mask: NDArray[np.uint8],
                   strength: float) -> NDArray[np.uint8]:
    """Reinhard colour transfer in Lab: ``src``'s statistics inside ``mask`` matched to ``ref``'s."""
    cv2 = require("cv2")
    import numpy as np

    if strength <= 0:
        return src
    sel = mask > 127
    if int(sel.sum()) < 16:
        return src
    src_lab = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float32)
    ref_lab = cv2.cvtColor(ref, cv2.COLOR_RGB2LAB).astype(np.float32)
    s_mean, s_std = src_lab[sel].mean(axis=0), src_lab[sel].std(axis=0) + 1e-3
    r_mean, r_std = ref_lab[sel].mean(axis=0), ref_lab[sel].std(axis=0) + 1e-3
    ratio = np.clip(r_std / s_std, 0.4, 2.5)
    moved = (src_lab - s_mean) * ratio + r_mean
    out_lab = src_lab + strength * (moved - src_lab)
    out: NDArray[np.uint8] = cv2.cvtColor(np.clip(out_lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return out


def face_mask(dst_pts: NDArray[np.float32], covered: NDArray[np.uint8], options: SwapOptions
              ) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """(hard mask for Poisson blending, feathered alpha in [0, 1]) on the target."""
    cv2 = require("cv2")
    import numpy as np

    h, w = covered.shape
    size = face_size(dst_pts)
    hull = cv2.convexHull(np.round(dst_pts[list(FACE_OVAL), :2]).astype(np.int32))
    hard = np.zeros((h, w), dtype=np.uint8)
    cv2.fillConvexPoly(hard, hull, 255)
    hard = cv2.bitwise_and(hard, covered)
    if options.preserve_mouth:
        mouth = np.zeros_like(hard)
        cv2.fillPoly(mouth, [np.round(dst_pts[list(INNER_LIPS), :2]).astype(np.int32)], 255)
        grow = max(1, round(size * 0.015))
        mouth = cv2.dilate(mouth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        hard = cv2.bitwise_and(hard, cv2.bitwise_not(mouth))
    sigma = max(options.feather * size, 0.5)
    shrink = round(options.erosion * size + sigma)
    if shrink > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1, 2 * shrink + 1))
        hard = cv2.erode(hard, kernel)
    alpha = cv2.GaussianBlur(hard.astype(np.float32) / 255.0, (0, 0), sigmaX=sigma, sigmaY=sigma)
    return hard, np.clip(alpha, 0.0, 1.0).astype(np.float32)


def _seamless(src: NDArray[np.uint8], dst: NDArray[np.uint8], mask: NDArray[np.uint8]) -> NDArray[np.uint8]:
    cv2 = require("cv2")
    import numpy as np

    if int(np.count_nonzero(mask)) < 16:
        return dst
    pad = 8  # seamlessClone fails when the mask's box touches the image border
    src_p = cv2.copyMakeBorder(src, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    dst_p = cv2.copyMakeBorder(dst, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    mask_p = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    x, y, bw, bh = cv2.boundingRect(mask_p)
    center = (x + bw // 2, y + bh // 2)
    out = cv2.seamlessClone(src_p, dst_p, mask_p, center, cv2.NORMAL_CLONE)
    result: NDArray[np.uint8] = out[pad:-pad, pad:-pad]
    return result


class FaceSwapper:
    """One source face, prepared once (triangulation), swapped onto any number of targets."""

    def __init__(self, src_rgb: NDArray[np.uint8], src_pts: NDArray[np.float32],
                 options: SwapOptions | None = None) -> None:
        self.src = src_rgb
        self.src_pts = src_pts
        self.options = options or SwapOptions()
        h, w = src_rgb.shape[:2]
        self.tris = delaunay_indices(src_pts[:MESH_POINTS], w, h)

    def swap(self, dst_rgb: NDArray[np.uint8], dst_pts: NDArray[np.float32]
             ) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
        """(swapped image, alpha mask used) for one target face."""
        import numpy as np

        opts = self.options
        h, w = dst_rgb.shape[:2]
        warped, covered, _box = warp_face(self.src, self.src_pts, (h, w), dst_pts, self.tris)
        # Outside the warped mesh the target itself: the feathered edge then fades into the target.
        outside = covered == 0
        warped[outside] = dst_rgb[outside]
        hard, alpha = face_mask(dst_pts, covered, opts)
        if not hard.any():
            return dst_rgb.copy(), np.zeros((h, w), dtype=np.float32)
        warped = color_transfer(warped, dst_rgb, hard, opts.color_strength)
        cloned = _seamless(warped, dst_rgb, hard) if opts.seamless else warped
        a = (alpha * float(opts.blend))[:, :, None]
        out = dst_rgb.astype(np.float32) * (1.0 - a) + cloned.astype(np.float32) * a
        return np.clip(out + 0.5, 0, 255).astype(np.uint8), alpha * float(opts.blend)


class LandmarkTrack:
    """Follows one face through a video and smooths its landmarks over time.

    The face is picked by ``index`` (left to right) on the first frame where it is seen, then
    followed by nearest centre. Smoothing is an adaptive exponential moving average:
    ``s ← s + a*(x - s)`` with ``a = 1 - smoothing`` for still faces, rising towards 1 with
    motion (so fast moves don't lag). A face lost for up to ``hold`` frames keeps its last
    landmarks; after that the frames pass through unchanged until the face is found again.
    """

    def __init__(self, index: int, smoothing: float = 0.5, hold: int = 5) -> None:
        self.index = index
        self.smoothing = min(max(smoothing, 0.0), 0.95)
        self.hold = hold
        self.state: NDArray[np.float32] | None = None
        self.missed = 0

    def update(self, faces: list[NDArray[np.float32]]) -> NDArray[np.float32] | None:
        import numpy as np

        from ..models.vision import sort_faces

        pick: NDArray[np.float32] | None = None
        if self.state is None:
            ordered = sort_faces(faces)
            if self.index < len(ordered):
                pick = ordered[self.index]
        elif faces:
            center = self.state[:MESH_POINTS, :2].mean(axis=0)
            dists = [float(np.linalg.norm(f[:MESH_POINTS, :2].mean(axis=0) - center)) for f in faces]
            best = int(np.argmin(dists))
            if dists[best] < 0.6 * face_size(self.state):
                pick = faces[best]
        if pick is None:
            self.missed += 1
            if self.missed > self.hold:
                self.state = None
            return self.state
        self.missed = 0
        if self.state is None:
            self.state = pick.copy()
        else:
            motion = float(np.abs(pick[:, :2] - self.state[:, :2]).mean()) / face_size(self.state)
            base = 1.0 - self.smoothing
            a = min(1.0, base + motion * 8.0)
            self.state = self.state + a * (pick - self.state)
        return self.state
