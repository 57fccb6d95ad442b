"""The classical talking-head engine: one portrait + speech -> a video whose mouth follows the speech.

No neural lip-sync weights are reachable offline, so the default engine is classical (labelled
``classical-talking-head``, ``ai_generated: false``):

1. **Mouth shapes** from Rhubarb Lip Sync (see :mod:`.rhubarb`), else a loudness/spectrum
   aligner (:func:`loudness_cues`); the metadata names which one ran.
2. **Jaw amplitude** from the speech's RMS loudness envelope: a viseme says *which* shape, the
   loudness says *how far* it opens.
3. **Face mesh** (mediapipe, 478 landmarks) on the portrait; then thin-plate-spline displacement
   fields are solved once per motion (jaw drop, mouth width, blink, head roll, nod) over a box
   around the face. TPS interpolation is linear in the control displacements, so a frame's warp
   is a weighted sum of those fields followed by one ``cv2.remap`` (backward map ``p - d(p)``,
   accurate for these small displacements).
4. **Mouth interior**: the displaced inner-lip polygon is filled with a soft gradient cavity,
   a teeth strip shaded towards the corners, and an inner shadow at the lip edges.
5. **Life**: blinks every 2-6 s (seeded), a slow head roll and a nod on loud syllables.
   Shape changes cross-fade over ~70 ms (the parameter curves are smoothed, not the pixels).

Pixels outside the face box never change, so the rest of the frame is still.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.errors import NodeFailed
from ..models.vision import require
from .rhubarb import MouthCue

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "classical-talking-head"
MESH_POINTS = 468
ANALYSIS_RATE = 16000  # Hz: what Rhubarb and the loudness envelope read

# mediapipe face-mesh indices
INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER = (324, 318, 402, 317, 14, 87, 178, 88, 95)
OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
OUTER_LOWER = (375, 321, 405, 314, 17, 84, 181, 91, 146)
INNER_LIPS = INNER_UPPER + INNER_LOWER  # a closed loop, 78 -> 308 -> back to 95
CORNERS = (61, 291, 78, 308)
CHIN = {152: 0.8, 175: 0.85, 199: 0.88, 200: 0.9, 18: 0.92, 83: 0.85, 313: 0.85, 201: 0.75, 421: 0.75,
        208: 0.6, 428: 0.6, 171: 0.55, 396: 0.55, 148: 0.6, 377: 0.6, 176: 0.7, 400: 0.7, 149: 0.4, 378: 0.4,
        150: 0.2, 379: 0.2, 136: 0.08, 365: 0.08}
STILL = (1, 4, 5, 6, 168, 195, 197, 98, 327, 2, 164, 205, 425, 50, 280, 187, 411, 123, 352, 116, 345, 234, 454,
         93, 323, 132, 361, 58, 288, 172, 397, 33, 133, 263, 362, 10, 109, 338, 127, 356, 216, 436, 206, 426)
UPPER_LIDS = ((246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155),
              (466, 249), (388, 390), (387, 373), (386, 374), (385, 380), (384, 381), (398, 382))
EYE_STILL = (33, 133, 263, 362, 7, 163, 144, 145, 153, 154, 155, 249, 390, 373, 374, 380, 381, 382,
             70, 63, 105, 66, 107, 336, 296, 334, 293, 300, 46, 53, 52, 65, 55, 285, 295, 282, 283, 276,
             226, 446, 130, 359, 243, 463, 113, 342, 31, 261, 228, 448, 229, 449, 230, 450, 231, 451, 232, 452)
FOREHEAD, CHIN_TIP = 10, 152

# Rhubarb shape -> (jaw opening 0..1, mouth width -1..1, share of the opening the teeth fill)
SHAPES: dict[str, tuple[float, float, float]] = {
    "X": (0.0, 0.0, 0.0), "A": (0.0, -0.03, 0.0), "B": (0.22, 0.06, 0.8), "C": (0.55, 0.08, 0.3),
    "D": (1.0, 0.02, 0.22), "E": (0.6, -0.14, 0.2), "F": (0.3, -0.3, 0.12), "G": (0.16, 0.0, 0.7),
    "H": (0.5, 0.0, 0.28),
}
JAW_DROP = 0.085  # full opening, as a fraction of the face height (forehead to chin)
WIDTH_GAIN = 0.22  # full width change, as a fraction of the mouth's half-width
CROSSFADE_S = 0.07


# -- audio ---------------------------------------------------------------------------------------

def read_wav(path: Path) -> tuple[NDArray[np.float32], int]:
    """Mono float samples in [-1, 1] of a 16-bit PCM WAV (what the node's ffmpeg step writes)."""
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        data = wav.readframes(wav.getnframes())
    if width != 2:
        raise NodeFailed("the speech could not be decoded to 16-bit PCM", code="INPUT_INVALID")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def loudness_envelope(samples: NDArray[np.float32], rate: int, fps: float, frames: int) -> NDArray[np.float32]:
    """Per video frame, the RMS loudness over a 50 ms window, scaled to 0..1 (1 = the 95th percentile)."""
    import numpy as np

    half = max(1, int(rate * 0.025))
    centers = (np.arange(frames) / fps * rate).astype(np.int64)
    squared = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    lo = np.clip(centers - half, 0, len(samples))
    hi = np.clip(centers + half, 0, len(samples))
    rms = np.sqrt((squared[hi] - squared[lo]) / np.maximum(hi - lo, 1))
    peak = float(np.percentile(rms, 95)) if len(rms) else 0.0
    if peak <= 1e-5:
        return np.zeros(frames, dtype=np.float32)
    floor = 0.04 * peak  # breath and noise stay closed
    envelope: NDArray[np.float32] = np.clip((rms - floor) / (peak - floor), 0.0, 1.0).astype(np.float32)
    return envelope


def loudness_cues(samples: NDArray[np.float32], rate: int) -> list[MouthCue]:
    """A phonetic guess without a recognizer: 20 ms windows classed by loudness, zero-crossing rate
    (hiss: teeth) and spectral centroid (dark vowels round, bright vowels open)."""
    import numpy as np

    step = int(rate * 0.02)
    count = len(samples) // step
    if count == 0:
        return [MouthCue(0.0, len(samples) / rate, "X")]
    windows = samples[: count * step].reshape(count, step)
    rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1))
    peak = max(float(np.percentile(rms, 95)), 1e-6)
    zcr = (np.abs(np.diff(np.sign(windows), axis=1)) > 0).mean(axis=1)
    spectrum = np.abs(np.fft.rfft(windows * np.hanning(step), axis=1))
    freqs = np.fft.rfftfreq(step, 1.0 / rate)
    centroid = (spectrum * freqs).sum(axis=1) / np.maximum(spectrum.sum(axis=1), 1e-9)
    shapes: list[str] = []
    for level, crossing, bright in zip(rms / peak, zcr, centroid, strict=True):
        if level < 0.08:
            shapes.append("X")
        elif crossing > 0.25:
            shapes.append("B")
        elif level > 0.7:
            shapes.append("D" if bright > 900 else "E")
        elif level > 0.35:
            shapes.append("C" if bright > 700 else "F")
        else:
            shapes.append("B")
    cues: list[MouthCue] = []
    for i, shape in enumerate(shapes):
        start, end = i * step / rate, (i + 1) * step / rate
        if cues and cues[-1].shape == shape:
            cues[-1] = MouthCue(cues[-1].start, end, shape)
        else:
            cues.append(MouthCue(start, end, shape))
    return cues


# -- per-frame motion curves ---------------------------------------------------------------------

@dataclass(frozen=True)
class Motion:
    """Per-frame weights of the displacement fields (arrays of one value per frame)."""

    open: NDArray[np.float32]
    width: NDArray[np.float32]
    teeth: NDArray[np.float32]
    blink: NDArray[np.float32]
    roll: NDArray[np.float32]  # degrees
    nod: NDArray[np.float32]  # fraction of the nod field


def motion_curves(cues: Sequence[MouthCue], loudness: NDArray[np.float32], fps: float, seed: int) -> Motion:
    """Mouth curves from the cues (cross-faded) scaled by loudness; blinks and head motion."""
    import numpy as np

    frames = len(loudness)
    fine = 200.0  # samples per second of the shape curves before the cross-fade
    n = max(1, math.ceil(frames / fps * fine) + 1)
    table = np.zeros((n, 3), dtype=np.float32)
    for cue in cues:
        a, b = int(cue.start * fine), min(n, math.ceil(cue.end * fine))
        if b > a:
            table[a:b] = SHAPES.get(cue.shape, SHAPES["X"])
    kernel = np.hanning(max(3, int(CROSSFADE_S * fine) | 1)).astype(np.float32)
    kernel /= kernel.sum()
    smooth = np.stack([np.convolve(table[:, k], kernel, mode="same") for k in range(3)], axis=1)
    at = np.clip((np.arange(frames) / fps * fine).astype(np.int64), 0, n - 1)
    shape_open, width, teeth = smooth[at, 0], smooth[at, 1], smooth[at, 2]
    # The viseme decides the shape, the loudness how far the jaw goes.
    opening = shape_open * (0.3 + 0.85 * loudness)
    opening = np.maximum(opening, 0.45 * loudness * (shape_open > 0.05))
    rng = np.random.default_rng(seed)
    blink = np.zeros(frames, dtype=np.float32)
    t = rng.uniform(0.8, 2.5)
    duration = frames / fps
    profile = np.array([0.5, 1.0, 1.0, 0.7, 0.35, 0.1], dtype=np.float32)  # ~240 ms at 25 fps
    while t < duration:
        start = int(t * fps)
        span = profile[: max(0, min(len(profile), frames - start))]
        blink[start:start + len(span)] = np.maximum(blink[start:start + len(span)], span)
        t += rng.uniform(2.0, 6.0)
    time = np.arange(frames) / fps
    phase = rng.uniform(0, 2 * math.pi, size=2)
    roll = (0.9 * np.sin(2 * math.pi * time / 5.3 + phase[0]) + 0.4 * np.sin(2 * math.pi * time / 2.9 + phase[1]))
    stress = np.convolve(loudness, np.hanning(max(3, int(0.3 * fps) | 1)) / max(1.0, 0.15 * fps), mode="same")
    nod = np.clip(stress, 0.0, 1.0) * 0.8
    return Motion(opening.astype(np.float32), width.astype(np.float32), teeth.astype(np.float32),
                  blink, roll.astype(np.float32), nod.astype(np.float32))


# -- the rig: displacement fields solved once ------------------------------------------------------

FIELDS = ("open", "width", "blink", "roll", "nod")


class HeadRig:
    """A portrait with its face box and the TPS displacement fields of each motion, ready to render frames."""

    def __init__(self, rgb: NDArray[np.uint8], landmarks: NDArray[np.float32]) -> None:
        import numpy as np

        self.image = rgb
        self.points = landmarks[:MESH_POINTS, :2].astype(np.float64)
        h, w = rgb.shape[:2]
        pts = self.points
        self.face_height = float(np.linalg.norm(pts[CHIN_TIP] - pts[FOREHEAD]))
        down = (pts[CHIN_TIP] - pts[FOREHEAD]) / max(self.face_height, 1e-6)
        self.down = down
        self.right = np.array([-down[1], down[0]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        margin = 0.35 * (hi - lo)
        x0, y0 = np.maximum(np.floor(lo - margin), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(hi + margin * np.array([1.0, 1.6])), [w, h]).astype(int)
        self.box = (int(x0), int(y0), int(x1), int(y1))
        self.face_box = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        bw, bh = x1 - x0, y1 - y0
        gx, gy = np.meshgrid(np.arange(bw, dtype=np.float32) + x0, np.arange(bh, dtype=np.float32) + y0)
        self._base = np.stack([gx, gy], axis=2)
        targets = {  # name: (targets, reach as a fraction of the face height)
            "open": (self._jaw_targets(), 0.16), "width": (self._width_targets(), 0.07),
            "blink": (self._blink_targets(), 0.05), "roll": (self._roll_targets(), 1.0),
            "nod": (self._nod_targets(), 1.0),
        }
        self.grid_fields: dict[str, NDArray[np.float32]] = {}
        self.point_fields: dict[str, NDArray[np.float32]] = {}
        for name, ((idx, disp), reach) in targets.items():
            grid, at_points = self._solve(idx, disp, reach * self.face_height)
            self.grid_fields[name] = grid
            self.point_fields[name] = at_points
        # The jaw opens along a cut: above the lip line (between the corners) nothing moves.
        below_grid, below_points = self._below_lips()
        self.grid_fields["open"] *= below_grid[:, :, None]
        self.point_fields["open"] *= below_points[:, None]

    # Each target: (landmark indices, displacement of each at weight 1). Landmarks farther than the
    # field's reach from every moved one are pinned still; those in between follow smoothly.
    def _jaw_targets(self) -> tuple[list[int], NDArray[np.float64]]:
        """The lower lip, mouth corners and chin drop; the cut along the lips is applied in :meth:`_solve`."""
        import numpy as np

        jaw = JAW_DROP * self.face_height * self.down
        center, half = self._mouth_center_half()
        idx: list[int] = []
        disp: list[NDArray[np.float64]] = []

        def taper(i: int) -> float:
            off = abs(float((self.points[i] - center) @ self.right)) / max(half, 1e-6)
            return 1.0 - 0.55 * min(off, 1.0) ** 2

        for i in INNER_LOWER:
            idx.append(i)
            disp.append(jaw * taper(i))
        for i in OUTER_LOWER:
            idx.append(i)
            disp.append(jaw * 0.95 * taper(i))
        for i in (61, 291):
            idx.append(i)
            disp.append(jaw * 0.3)
        for i, weight in CHIN.items():
            idx.append(i)
            disp.append(jaw * weight)
        for i in STILL:
            idx.append(i)
            disp.append(np.zeros(2))
        return idx, np.array(disp)

    def _mouth_center_half(self) -> tuple[NDArray[np.float64], float]:
        import numpy as np

        left, right = self.points[61], self.points[291]
        return (left + right) / 2, float(np.linalg.norm(right - left)) / 2

    def _width_targets(self) -> tuple[list[int], NDArray[np.float64]]:
        import numpy as np

        center, half = self._mouth_center_half()
        idx: list[int] = []
        disp: list[NDArray[np.float64]] = []
        for i in set(INNER_LIPS + OUTER_UPPER + OUTER_LOWER):
            off = float((self.points[i] - center) @ self.right) / max(half, 1e-6)
            idx.append(i)
            disp.append(self.right * off * WIDTH_GAIN * half)
        return idx, np.array(disp)

    def _blink_targets(self) -> tuple[list[int], NDArray[np.float64]]:
        import numpy as np

        idx: list[int] = []
        disp: list[NDArray[np.float64]] = []
        for upper, lower in UPPER_LIDS:
            idx.append(upper)
            disp.append((self.points[lower] - self.points[upper]) * 0.92)
        for i in EYE_STILL:
            idx.append(i)
            disp.append(np.zeros(2))
        return idx, np.array(disp)

    def _roll_targets(self) -> tuple[list[int], NDArray[np.float64]]:
        import numpy as np

        pivot = self.points[CHIN_TIP] + 0.35 * self.face_height * self.down  # the neck
        angle = math.radians(1.0)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        rel = self.points - pivot
        return list(range(MESH_POINTS)), rel @ rot.T - rel

    def _nod_targets(self) -> tuple[list[int], NDArray[np.float64]]:
        import numpy as np

        shift = 0.012 * self.face_height * self.down
        chin_side = np.clip(((self.points - self.points[FOREHEAD]) @ self.down) / self.face_height, 0.0, 1.0)
        return list(range(MESH_POINTS)), np.outer(0.6 + 0.4 * chin_side, shift)

    def _below_lips(self) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """0 above the line where the lips meet, 1 below it (a 1.5 px ramp), fading to 1 beyond the mouth
        corners so the cheeks stretch smoothly; on the box's pixels and per landmark."""
        import numpy as np

        center, half = self._mouth_center_half()
        upper = self.points[list(INNER_UPPER)]
        lower = self.points[[308, *INNER_LOWER, 78]]
        seam = np.concatenate([upper, lower])
        su = (seam - center) @ self.right
        sv = (seam - center) @ self.down
        order = np.argsort(su)

        def weight(xy: NDArray[np.float64]) -> NDArray[np.float32]:
            u = (xy - center) @ self.right
            v = (xy - center) @ self.down
            line = np.interp(u, su[order], sv[order])
            cut = np.clip((v - line) / 1.5 + 0.5, 0.0, 1.0)
            side = np.clip((np.abs(u) / max(half, 1e-6) - 0.85) / 0.45, 0.0, 1.0)
            result: NDArray[np.float32] = (cut * (1 - side) + side).astype(np.float32)
            return result

        grid = weight(self._base.reshape(-1, 2).astype(np.float64)).reshape(self._base.shape[:2])
        points = weight(self.points)
        points[list(INNER_UPPER[1:-1])] = 0.0
        points[list(INNER_LOWER)] = 1.0
        return grid, points

    def _solve(self, idx: list[int], disp: NDArray[np.float64],
               reach: float) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """The TPS field through the targets (box border and far landmarks pinned) on the box's pixels
        and at every landmark."""
        cv2 = require("cv2")
        import numpy as np
        from scipy.interpolate import RBFInterpolator

        moved = np.array(sorted(set(idx)))
        gaps = np.linalg.norm(self.points[:, None, :] - self.points[None, moved, :], axis=2).min(axis=1)
        far = [i for i in np.nonzero(gaps > reach)[0].tolist() if i not in set(idx)]
        idx = [*idx, *far]
        disp = np.concatenate([disp, np.zeros((len(far), 2))])
        x0, y0, x1, y1 = self.box
        border = []
        for t in np.linspace(0.0, 1.0, 12, endpoint=False):
            border += [(x0 + t * (x1 - x0), y0), (x1, y0 + t * (y1 - y0)),
                       (x1 - t * (x1 - x0), y1), (x0, y1 - t * (y1 - y0))]
        unique = dict.fromkeys(idx)
        order = list(unique)
        first = {i: disp[idx.index(i)] for i in order}
        ctrl = np.concatenate([self.points[order], np.array(border)])
        values = np.concatenate([np.array([first[i] for i in order]), np.zeros((len(border), 2))])
        rbf = RBFInterpolator(ctrl, values, kernel="thin_plate_spline", smoothing=1e-6)
        step = 4  # solved on a coarse grid, then resized: the field is smooth
        cw, ch = max(2, (x1 - x0) // step + 1), max(2, (y1 - y0) // step + 1)
        gx, gy = np.meshgrid(np.linspace(x0, x1, cw), np.linspace(y0, y1, ch))
        coarse = rbf(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(ch, cw, 2).astype(np.float32)
        grid = cv2.resize(coarse, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
        at_points = rbf(self.points).astype(np.float32)
        return grid.astype(np.float32), at_points

    def render(self, weights: dict[str, float], teeth: float) -> NDArray[np.uint8]:
        """One frame: the portrait with the weighted fields applied and the mouth interior drawn."""
        cv2 = require("cv2")
        import numpy as np

        x0, y0, x1, y1 = self.box
        field = np.zeros_like(self._base)
        moved = self.points.astype(np.float32).copy()
        for name, weight in weights.items():
            if abs(weight) > 1e-4:
                field += weight * self.grid_fields[name]
                moved += weight * self.point_fields[name]
        maps = self._base - field
        patch = cv2.remap(self.image, maps[:, :, 0], maps[:, :, 1], interpolation=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        _draw_mouth(patch, moved - np.array([x0, y0], dtype=np.float32), teeth)
        frame = self.image.copy()
        frame[y0:y1, x0:x1] = patch
        return frame


def _draw_mouth(patch: NDArray[np.uint8], pts: NDArray[np.float32], teeth: float) -> None:
    """Fill the open inner-lip polygon: gradient cavity, teeth strip, inner shadow at the lip edge."""
    cv2 = require("cv2")
    import numpy as np

    poly = pts[list(INNER_LIPS)]
    gap = float(np.linalg.norm(pts[14] - pts[13]))
    if gap < 1.5:
        return
    scale = 4  # drawn at 4x sub-pixel precision, then area-averaged: smooth lip edges
    lo = np.floor(poly.min(axis=0)).astype(int) - 3
    hi = np.ceil(poly.max(axis=0)).astype(int) + 3
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [patch.shape[1], patch.shape[0]])
    bw, bh = int(hi[0] - lo[0]), int(hi[1] - lo[1])
    if bw < 3 or bh < 3:
        return
    local = (poly - lo) * scale
    mask = np.zeros((bh * scale, bw * scale), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(local).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    mask = cv2.resize(mask, (bw, bh), interpolation=cv2.INTER_AREA)
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.6)
    # Distance from the lip edge: the cavity darkens towards its rim (inner shadow).
    inside = (mask > 127).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    depth = np.clip(depth / max(gap * 0.35, 1.0), 0.0, 1.0)
    yy = (np.arange(bh, dtype=np.float32)[:, None] + lo[1])
    top, bottom = float(poly[:, 1].min()), float(poly[:, 1].max())
    vertical = np.clip((yy - top) / max(bottom - top, 1.0), 0.0, 1.0)
    dark = np.array([28, 10, 12], dtype=np.float32)
    warm = np.array([112, 44, 48], dtype=np.float32)  # the tongue's glow low in the mouth
    tone = (0.25 + 0.75 * depth) * (0.35 + 0.65 * vertical)
    cavity = dark + (warm - dark) * tone[:, :, None]
    if teeth > 0.02:
        # Upper teeth hang from the displaced upper inner lip, a strip `teeth` of the gap high.
        xs = np.arange(bw, dtype=np.float32) + lo[0]
        upper = pts[list(INNER_UPPER)]
        order = np.argsort(upper[:, 0])
        lip_y = np.interp(xs, upper[order, 0], upper[order, 1])
        center, half = (poly[:, 0].min() + poly[:, 0].max()) / 2, max((poly[:, 0].max() - poly[:, 0].min()) / 2, 1)
        side = np.clip(1.0 - np.abs(xs - center) / half, 0.0, 1.0) ** 0.5  # 1 mid-mouth, 0 at the corners
        strip = np.clip(teeth, 0.0, 0.9) * gap * (0.35 + 0.65 * side)[None, :]  # shorter towards the corners
        below = yy - lip_y[None, :]
        tooth = np.clip(1.0 - (below - strip) / 1.5, 0.0, 1.0) * (below > -2)
        # Faint gaps between the teeth: eight across the mouth, one in the middle (the incisors).
        phase = np.cos(np.pi * (xs - center) / max(half / 4.0, 1.0)) ** 2
        gaps = 1.0 - 0.12 * (phase > 0.9)
        shade = (0.62 + 0.38 * side)[None, :] * (0.82 + 0.18 * depth) * gaps[None, :]
        enamel = np.array([238, 232, 216], dtype=np.float32)
        cavity = cavity * (1 - tooth[:, :, None]) + (enamel * shade[:, :, None]) * tooth[:, :, None]
    region = patch[lo[1]:hi[1], lo[0]:hi[0]].astype(np.float32)
    out = region * (1 - alpha[:, :, None]) + cavity * alpha[:, :, None]
    patch[lo[1]:hi[1], lo[0]:hi[0]] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def frames(rig: HeadRig, motion: Motion) -> Iterator[NDArray[np.uint8]]:
    """The rendered frames, one per entry of the motion curves."""
    for i in range(len(motion.open)):
        weights = {"open": float(motion.open[i]), "width": float(motion.width[i]),
                   "blink": float(motion.blink[i]), "roll": float(motion.roll[i]), "nod": float(motion.nod[i])}
        yield rig.render(weights, float(motion.teeth[i]))


def head_crop(rig: HeadRig, size: int) -> tuple[int, int, int, int]:
    """A square box around the head (face box x ~2.1, shifted down to include the neck), inside the image."""
    h, w = rig.image.shape[:2]
    fx0, fy0, fx1, fy1 = rig.face_box
    side = min(max(fx1 - fx0, fy1 - fy0) * 2.1, w, h)
    cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2 + 0.08 * (fy1 - fy0)
    x0 = round(min(max(cx - side / 2, 0), w - side))
    y0 = round(min(max(cy - side / 2, 0), h - side))
    s = int(side)
    return x0, y0, x0 + s, y0 + s
