"""Classical photo restoration (no AI model): scratches and dust, noise, JPEG blocks, fading.

The engine of the Photo Restore node, labelled ``classical-restore``. Each step measures the
photo first and does nothing when it finds nothing to fix, so a clean photo passes through
almost unchanged:

1. **Scratches and dust**: thin bright or dark defects stand out in a morphological top-hat /
   black-hat of the luminance. A scratch is a long straight segment through them (probabilistic
   Hough) that, along most of its length, stands out of both sides while the two sides agree
   (a scratch crosses a surface; an edge or a stripe of the picture does not); dust is a small
   compact speck on a calm surround. The mask is dilated a pixel and filled by OpenCV's Telea
   inpainting.
2. **Noise**: sigma estimated from the Laplacian's median absolute deviation (Immerkaer), then
   non-local means with a strength that follows it.
3. **JPEG blocks**: blockiness is the step across 8-pixel boundaries relative to steps inside
   blocks; when high, a small filter smooths each boundary where the step is small (a real edge
   is kept), as video deblocking filters do.
4. **Fading**: each channel's 0.5 and 99.5 percentiles are stretched to 4 and 251 (gain capped at 2.5,
   which also removes the yellow or magenta cast of aged prints), then CLAHE on Lab lightness,
   blended in gently.
5. **Sharpening**: an edge-aware unsharp mask on luminance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "classical-restore"
DEFECT_CONTRAST = 35  # 0-255: how far a defect stands out of its surround
TOPHAT_SIZE = 9  # px: defects thinner than this stand out of the top-hat
BLOCK = 8  # JPEG block size
STRETCH_TO = (4.0, 251.0)  # where the 0.5 and 99.5 percentiles of each channel go
MAX_GAIN = 2.5


@dataclass(frozen=True)
class RestoreOptions:
    scratches: bool = True
    denoise: float = 1.0  # x the estimated noise (0 = off)
    deblock: bool = True
    color: bool = True
    contrast: float = 0.5  # CLAHE blend 0..1
    sharpen: float = 0.5  # 0..2


@dataclass
class RestoreReport:
    """What each step found and did, recorded in the output's provenance."""

    steps: list[str] = field(default_factory=list)
    defect_fraction: float = 0.0
    noise_sigma: float = 0.0
    blockiness: float = 1.0
    channel_gains: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "defect_fraction": round(self.defect_fraction, 5),
                "noise_sigma": round(self.noise_sigma, 2), "blockiness": round(self.blockiness, 3),
                "channel_gains": [round(g, 3) for g in self.channel_gains]}


def _cv2() -> Any:
    from ..models.vision import require

    return require("cv2")


def defect_mask(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """255 where a scratch or a dust speck is found, else 0."""
    import numpy as np

    cv2 = _cv2()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (TOPHAT_SIZE, TOPHAT_SIZE))
    min_length = max(40, round(0.1 * min(gray.shape)))
    mask = np.zeros(gray.shape, np.uint8)
    for op in (cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT):
        response = cv2.morphologyEx(gray, op, kernel)
        strong = ((response > DEFECT_CONTRAST) * 255).astype(np.uint8)
        segments = cv2.HoughLinesP(strong, 1, np.pi / 180, threshold=int(min_length * 0.6),
                                   minLineLength=min_length, maxLineGap=4)
        lines = np.zeros_like(strong)
        bright = op == cv2.MORPH_TOPHAT
        for x0, y0, x1, y1 in [] if segments is None else segments[:, 0]:
            if _is_scratch(gray, (float(x0), float(y0)), (float(x1), float(y1)), bright):
                cv2.line(lines, (int(x0), int(y0)), (int(x1), int(y1)), 255, 3)
        mask |= (lines & cv2.dilate(strong, np.ones((3, 3), np.uint8))) | _dust(strong, response)
    if mask.any():
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    out: NDArray[np.uint8] = mask
    return out


def _is_scratch(gray: NDArray[np.uint8], start: tuple[float, float], end: tuple[float, float],
                bright: bool) -> bool:
    """Whether a line segment is a scratch across a surface, not an edge or a stripe of the picture:
    along most of it the line stands out of both sides (3 px away), and the two sides agree."""
    import numpy as np

    length = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    if length < 1:
        return False
    t = np.linspace(0.0, 1.0, int(length) + 1)
    xs = start[0] + t * (end[0] - start[0])
    ys = start[1] + t * (end[1] - start[1])
    nx, ny = -(end[1] - start[1]) / length, (end[0] - start[0]) / length
    h, w = gray.shape

    def at(dx: float, dy: float) -> NDArray[np.float32]:
        cx = np.clip(np.round(xs + dx), 0, w - 1).astype(np.intp)
        cy = np.clip(np.round(ys + dy), 0, h - 1).astype(np.intp)
        values: NDArray[np.float32] = gray[cy, cx].astype(np.float32)
        return values

    centre = at(0, 0)
    side_a, side_b = at(3 * nx, 3 * ny), at(-3 * nx, -3 * ny)
    stands_out = centre - np.maximum(side_a, side_b) if bright else np.minimum(side_a, side_b) - centre
    fits = (stands_out > DEFECT_CONTRAST / 2) & (np.abs(side_a - side_b) < DEFECT_CONTRAST)
    return bool(fits.mean() >= 0.6)


def _dust(strong: NDArray[np.uint8], response: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Small compact specks (at most 30 px) of high contrast on a calm surround."""
    import numpy as np

    cv2 = _cv2()
    count, labels, stats, _ = cv2.connectedComponentsWithStats(strong, connectivity=8)
    if count <= 1:
        return np.zeros_like(strong)
    peak = np.zeros(count, np.float32)
    np.maximum.at(peak, labels.ravel(), response.ravel().astype(np.float32))
    # How busy the surround is: the mean response around each speck (its own pixels included).
    busy = cv2.blur(response.astype(np.float32), (15, 15))
    surround = np.zeros(count, np.float32)
    np.maximum.at(surround, labels.ravel(), busy.ravel())
    areas = stats[:, cv2.CC_STAT_AREA]
    sides = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    keep = (areas <= 30) & (sides <= 7) & (peak >= 2 * DEFECT_CONTRAST) & (surround < 14.0)
    keep[0] = False
    out: NDArray[np.uint8] = (keep[labels] * 255).astype(np.uint8)
    return out


def noise_sigma(rgb: NDArray[np.uint8]) -> float:
    """Gaussian noise sigma (0-255 scale) by Immerkaer's fast estimate on robust statistics."""
    import math

    import numpy as np

    cv2 = _cv2()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = cv2.filter2D(gray, -1, kernel)[1:-1, 1:-1]
    if response.size == 0:
        return 0.0
    # MAD -> sigma of the filter output (its gain is sqrt(36) = 6 for white noise).
    return float(1.4826 * np.median(np.abs(response)) / math.sqrt(36.0))


def blockiness(rgb: NDArray[np.uint8]) -> float:
    """Mean horizontal step across 8-px block boundaries divided by the mean step inside blocks."""
    import numpy as np

    if min(rgb.shape[:2]) < 2 * BLOCK:
        return 1.0
    gray = rgb.mean(axis=2).astype(np.float32)
    steps = np.abs(np.diff(gray, axis=1)).mean(axis=0)  # step between column x and x + 1
    steps_v = np.abs(np.diff(gray, axis=0)).mean(axis=1)
    at = np.arange(steps.size) % BLOCK == BLOCK - 1
    at_v = np.arange(steps_v.size) % BLOCK == BLOCK - 1
    boundary = (steps[at].mean() + steps_v[at_v].mean()) / 2
    inside = (steps[~at].mean() + steps_v[~at_v].mean()) / 2
    return float(boundary / max(inside, 1e-3))


def deblock(rgb: NDArray[np.uint8], strength: float = 20.0) -> NDArray[np.uint8]:
    """Close two thirds of the step across each 8-px boundary where it is below ``strength`` (a
    real edge is kept): the pixels either side move a third of the step, the next ones a sixth."""
    import numpy as np

    img = rgb.astype(np.float32)
    for axis in (1, 0):
        moved = np.moveaxis(img, axis, 0)  # boundaries along the first axis
        n = moved.shape[0]
        for b in range(BLOCK, n - 1, BLOCK):
            p1, p0, q0, q1 = moved[b - 2], moved[b - 1], moved[b], moved[b + 1]
            delta = q0 - p0
            flat = np.abs(delta).max(axis=-1, keepdims=True) < strength
            moved[b - 2] = np.where(flat, p1 + delta / 6, p1)
            moved[b - 1] = np.where(flat, p0 + delta / 3, p0)
            moved[b] = np.where(flat, q0 - delta / 3, q0)
            moved[b + 1] = np.where(flat, q1 - delta / 6, q1)
        img = np.moveaxis(moved, 0, axis)
    out: NDArray[np.uint8] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out


def restore_color(rgb: NDArray[np.uint8], contrast: float) -> tuple[NDArray[np.uint8], list[float]]:
    """Per-channel percentile stretch (faded range and colour cast) then a CLAHE blend on lightness."""
    import numpy as np

    cv2 = _cv2()
    img = rgb.astype(np.float32)
    gains: list[float] = []
    for c in range(3):
        lo, hi = np.percentile(img[..., c], (0.5, 99.5))
        gain = min(MAX_GAIN, (STRETCH_TO[1] - STRETCH_TO[0]) / max(float(hi - lo), 1.0))
        gains.append(gain)
        # Centre the stretch on the percentile range so a capped gain still removes the cast.
        img[..., c] = (img[..., c] - lo) * gain + (255.0 - (hi - lo) * gain) / 2
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if contrast > 0:
        lab = cv2.cvtColor(out, cv2.COLOR_RGB2LAB)
        clahe = cv2.createCLAHE(clipLimit=1.6, tileGridSize=(8, 8))
        lightness = lab[..., 0].astype(np.float32)
        lab[..., 0] = np.clip(lightness + contrast * (clahe.apply(lab[..., 0]).astype(np.float32) - lightness)
                              + 0.5, 0, 255).astype(np.uint8)
        out = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return out, gains


def unsharp(rgb: NDArray[np.uint8], amount: float, radius: float = 1.2, threshold: float = 2.0) -> NDArray[np.uint8]:
    """Edge-aware unsharp mask on luminance (flat areas and noise are not amplified)."""
    import numpy as np

    cv2 = _cv2()
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    luma = ycc[..., 0].astype(np.float32)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), radius)
    weight = np.clip((np.abs(detail) - threshold) / (3 * threshold), 0.0, 1.0)
    ycc[..., 0] = np.clip(luma + amount * weight * detail + 0.5, 0, 255).astype(np.uint8)
    out: NDArray[np.uint8] = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return out


def restore(rgb: NDArray[np.uint8], options: RestoreOptions,
            check: Any = None) -> tuple[NDArray[np.uint8], NDArray[np.uint8], RestoreReport]:
    """The restored photo, the defect mask (255 = repaired) and what was done.

    ``check`` (optional) is called between steps (cancel points).
    """
    import numpy as np

    cv2 = _cv2()
    report = RestoreReport()
    out = np.ascontiguousarray(rgb)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    if options.scratches:
        mask = defect_mask(out)
        report.defect_fraction = float((mask > 0).mean())
        if mask.any():
            out = cv2.inpaint(out, mask, 3, cv2.INPAINT_TELEA)
            report.steps.append("scratches")
    _tick(check)
    report.noise_sigma = noise_sigma(out)
    if options.denoise > 0 and report.noise_sigma >= 2.0:
        h = float(min(30.0, options.denoise * report.noise_sigma * 1.1))
        out = cv2.fastNlMeansDenoisingColored(out, None, h, h * 0.8, 7, 21)
        report.steps.append("denoise")
    _tick(check)
    report.blockiness = blockiness(out)
    if options.deblock and report.blockiness > 1.25:
        out = deblock(out)
        report.steps.append("deblock")
    if options.color:
        out, report.channel_gains = restore_color(out, options.contrast)
        report.steps.append("color")
    _tick(check)
    if options.sharpen > 0:
        out = unsharp(out, options.sharpen)
        report.steps.append("sharpen")
    return out, mask, report


def _tick(check: Any) -> None:
    if check is not None:
        check()
