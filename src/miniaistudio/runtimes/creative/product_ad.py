"""Product ad videos from a mockup still: a styled set, a moving virtual camera and a grade (classical).

What one frame is made of, back to front (the look of each style is data: ``product_ad_looks.py``):

1. the **set**: a background painted once per video (radial studio, rainy neon street, sunset sky,
   white cyclorama, neon grid, window-lit wall, spotlit stage or foliage) with its floor;
2. the **product**, cut out of the mockup (u2netp when its model is placed, else OpenCV GrabCut from
   a centred box), standing on the floor with a contact shadow and, on glossy floors, its
   reflection fading away;
3. **light** on the product: the style's key-light tint, a rim light hugging its edge, and a light
   band sweeping across it;
4. **particles** (bokeh, rain, dust, sparks, pollen, snow), drawn at quarter resolution so they
   come out soft, nearer than the product (they move more with the camera);
5. the **grade**: saturation, vignette, per-channel lift/gain and contrast (a lookup table), grain,
   chromatic aberration.

The camera is an eased 2D move (push-in, truck, crane, orbit, rising dutch tilt, handheld, pull-out,
drift): the product layer takes the whole move, the set a third of it (2.5D parallax), particles
more. Frames go through an FFV1 intermediate to H.264 (``runtimes/processes.py`` via ``run_ffmpeg``).
An image-to-video model may refine the result when installed; this module never uses one.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ...core.context import NodeContext, Provenance
from ...core.errors import NodeFailed
from ..models.model_cache import ModelCache
from ..models.vision import require
from .product_ad_looks import Grade, Look

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

ENGINE = "product-ad-compositor"
AspectRatio = Literal["16:9", "9:16"]
BACKGROUND_PARALLAX = 0.35
PARTICLE_PARALLAX = 1.6
FLOOR = 0.8  # the floor line, as a fraction of the frame height


@dataclass(frozen=True)
class Camera:
    """A camera pose: zoom (1 = framed), pan in fractions of the frame, roll in degrees."""

    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    roll: float = 0.0


def frame_size(aspect_ratio: AspectRatio, short_side: int) -> tuple[int, int]:
    """(width, height) with even sides: 16:9 landscape or 9:16 portrait around ``short_side``."""
    long_side = round(short_side * 16 / 9)
    w, h = (long_side, short_side) if aspect_ratio == "16:9" else (short_side, long_side)
    return w - w % 2, h - h % 2


def ease(kind: str, t: float) -> float:
    t = min(1.0, max(0.0, t))
    if kind == "quart":
        return 1.0 - (1.0 - t) ** 4  # fast start, long settle
    if kind == "sine":
        return 0.5 - 0.5 * math.cos(math.pi * t)
    return 4 * t ** 3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2  # cubic in-out


def camera_at(look: Look, t: float) -> Camera:
    """The camera ``t`` (0..1) of the way through the video."""
    e = ease(look.easing, t)
    path = look.camera
    if path == "push_in":
        return Camera(zoom=1.0 + 0.45 * e, pan_y=0.05 * e)
    if path == "truck":
        return Camera(zoom=1.15, pan_x=-0.09 + 0.18 * e, roll=-1.0 + 2.0 * e)
    if path == "crane":
        return Camera(zoom=1.05 + 0.15 * e, pan_y=-0.12 + 0.16 * e)
    if path == "orbit":
        swing = math.sin(math.pi * (e - 0.5))
        return Camera(zoom=1.12 + 0.1 * math.sin(math.pi * e), pan_x=0.08 * swing, roll=2.5 * swing)
    if path == "rise_tilt":
        return Camera(zoom=1.3 - 0.18 * e, pan_y=0.1 - 0.12 * e, roll=-7.0 + 10.0 * e)
    if path == "handheld":
        snap = ease("cubic", min(1.0, max(0.0, (t - 0.45) / 0.12)))  # a quick snap zoom half-way
        jitter_x = 0.006 * (math.sin(2 * math.pi * 0.7 * t * 8) + 0.5 * math.sin(2 * math.pi * 1.9 * t * 8))
        jitter_y = 0.005 * (math.sin(2 * math.pi * 1.1 * t * 8 + 1.0) + 0.4 * math.sin(2 * math.pi * 2.3 * t * 8))
        return Camera(zoom=1.04 + 0.2 * snap, pan_x=jitter_x, pan_y=jitter_y, roll=0.6 * math.sin(2 * math.pi * t * 3))
    if path == "pull_out":
        return Camera(zoom=1.7 - 0.7 * e, pan_y=0.06 * (1 - e))
    return Camera(zoom=1.1 + 0.1 * e, pan_x=-0.06 + 0.12 * e, pan_y=-0.03 + 0.06 * e)  # drift


def affine(camera: Camera, share: float, centre: tuple[float, float], size: tuple[int, int]) -> NDArray[np.float64]:
    """The 2x3 matrix of ``share`` of the camera move about ``centre`` (the layer follows the camera)."""
    import numpy as np

    w, h = size
    zoom = camera.zoom ** share
    theta = math.radians(camera.roll * min(1.0, share))
    cos, sin = math.cos(theta) * zoom, math.sin(theta) * zoom
    cx, cy = centre
    # Panning the camera right moves the scene left.
    tx = cx - (cos * cx - sin * cy) - camera.pan_x * share * w
    ty = cy - (sin * cx + cos * cy) - camera.pan_y * share * h
    return np.array([[cos, -sin, tx], [sin, cos, ty]], dtype=np.float64)


# --------------------------------------------------------------------------- the product
def cut_out(rgb: NDArray[np.uint8], *, cache: ModelCache) -> NDArray[np.float32]:
    """The product's mask in [0, 1]: u2netp when placed, else GrabCut from a centred box."""
    import numpy as np

    from ...core.errors import ToolMissing
    from ..models import vision
    from ..models.vision_assets import u2netp_target

    try:
        model = u2netp_target()
        if model.is_file():
            mask = vision.object_mask(rgb, model, cache=cache)
            if float((mask > 0.5).mean()) > 0.01:
                return np.clip((mask - 0.35) / 0.3, 0.0, 1.0).astype(np.float32)
    except ToolMissing:
        pass
    return _grabcut(rgb)


def _grabcut(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    import numpy as np

    cv2 = require("cv2")
    h, w = rgb.shape[:2]
    factor = min(1.0, 320 / max(w, h))
    small = cv2.resize(rgb, (max(8, round(w * factor)), max(8, round(h * factor))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    mask = np.zeros((sh, sw), np.uint8)
    rect = (max(1, sw // 12), max(1, sh // 12), sw - 2 * max(1, sw // 12), sh - 2 * max(1, sh // 12))
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, 4, cv2.GC_INIT_WITH_RECT)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    if fg.mean() < 0.01:
        fg[:] = 1.0  # nothing found: the whole mockup is the product
    fg = cv2.GaussianBlur(fg, (0, 0), 1.0)
    out: NDArray[np.float32] = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return out


@dataclass
class _Stage:
    """Everything painted once per video, as 8-bit images: frames only warp and combine these with
    OpenCV's saturating 8-bit arithmetic (about 4x faster than float arrays at 540p)."""

    background: NDArray[np.uint8]  # H x W x 3
    layer: NDArray[np.uint8]  # H x W x 4: premultiplied product + shadow + reflection, and alpha
    lights: NDArray[np.uint8]  # H x W x 2: the rim light's mask, the product's alpha
    centre: tuple[float, float]
    vignette: NDArray[np.uint8]  # H x W x 3, 255 = unchanged
    sweep_index: NDArray[np.uint16]  # H x W: position along the sweep's direction, 0..SWEEP_STEPS-1
    grain: list[tuple[NDArray[np.uint8], NDArray[np.uint8]]]  # (added, subtracted) noise frames


SWEEP_STEPS = 1024


def _grid(w: int, h: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    import numpy as np

    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return (xs + 0.5) / w, (ys + 0.5) / h


def _mix(a: tuple[float, float, float], b: tuple[float, float, float], t: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    ca, cb = np.array(a, np.float32), np.array(b, np.float32)
    out: NDArray[np.float32] = ca + (cb - ca) * t[:, :, None]
    return out


def _blurred_shapes(w: int, h: int, shapes: Sequence[tuple[str, Sequence[float], Sequence[float]]],
                    divisor: int) -> NDArray[np.float32]:
    """Additive shapes drawn at 1/``divisor`` resolution and scaled up (which blurs them)."""
    import numpy as np

    cv2 = require("cv2")
    sw, sh = max(4, w // divisor), max(4, h // divisor)
    small = np.zeros((sh, sw, 3), np.float32)
    for kind, geo, colour in shapes:
        if kind == "circle":
            x, y, r = geo
            cv2.circle(small, (round(x * sw), round(y * sh)), max(1, round(r * max(sw, sh))), colour, -1, cv2.LINE_AA)
        elif kind == "rect":
            x0, y0, x1, y1 = geo
            cv2.rectangle(small, (round(x0 * sw), round(y0 * sh)), (round(x1 * sw), round(y1 * sh)), colour, -1)
        else:
            x, y, rx, ry, angle = geo
            cv2.ellipse(small, (round(x * sw), round(y * sh)), (max(1, round(rx * sw)), max(1, round(ry * sh))),
                        angle, 0, 360, colour, -1, cv2.LINE_AA)
    small = cv2.GaussianBlur(small, (0, 0), 1.2)
    out: NDArray[np.float32] = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return out


def paint_set(look: Look, w: int, h: int, seed: int) -> NDArray[np.float32]:
    """The style's set (RGB, 0..1) with its floor below :data:`FLOOR`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x, y = _grid(w, h)
    m = float(max(w, h))
    c0, c1 = look.colours
    accents = look.accents
    floor_t = np.clip((y - FLOOR) / (1 - FLOOR), 0, 1)
    if look.setting == "radial":
        d = np.sqrt(((x - 0.5) * w / m) ** 2 + ((y - 0.42) * h / m) ** 2)
        bg = _mix(c0, c1, np.clip(d / 0.6, 0, 1) ** 1.2)
    elif look.setting == "street":
        bg = _mix(c1, c0, np.clip(y / FLOOR, 0, 1))
        signs: list[tuple[str, Sequence[float], Sequence[float]]] = []
        for i in range(9):  # out-of-focus neon signs
            sx, sy = float(rng.uniform(-0.1, 0.9)), float(rng.uniform(0.05, 0.6))
            box = (sx, sy, sx + float(rng.uniform(0.08, 0.25)), sy + float(rng.uniform(0.03, 0.12)))
            signs.append(("rect", box, accents[i % len(accents)]))
        bg += 0.8 * _blurred_shapes(w, h, signs, 10)
    elif look.setting == "sky":
        bg = _mix(c0, c1, np.clip(y / FLOOR, 0, 1) ** 1.6)
        d = np.sqrt(((x - 0.7) * w / m) ** 2 + ((y - FLOOR + 0.06) * h / m) ** 2)
        sun = np.exp(-(d / 0.05) ** 2) + 0.55 * np.exp(-(d / 0.25) ** 2)
        bg += np.array(accents[0], np.float32) * sun[:, :, None]
    elif look.setting == "cyclorama":
        bg = _mix(c0, c1, np.clip(y, 0, 1) ** 2)
        for line_y in (0.22, 0.3, 0.38):
            bg += 0.35 * np.array(accents[0], np.float32) * np.exp(-((y - line_y) * h / 1.5) ** 2)[:, :, None] * (
                np.abs(x - 0.5) < 0.42)[:, :, None]
    elif look.setting == "grid":
        bg = _mix(c0, c1, np.clip(np.abs(y - FLOOR) / FLOOR, 0, 1))
        bg += 0.9 * np.array(accents[1], np.float32) * np.exp(-((y - FLOOR) * h / (0.02 * h)) ** 2)[:, :, None]
        depth = 1.0 / np.maximum(y - FLOOR, 1e-3)
        across = (x - 0.5) * depth + 1.5  # no line on the centre axis
        lines = (np.abs(((depth * 0.25) % 1.0) - 0.5) > 0.44) | (np.abs(((across * 0.3) % 1.0) - 0.5) > 0.47)
        fade = np.clip((y - FLOOR) / 0.05, 0, 1)
        bg += 0.75 * np.array(accents[0], np.float32) * (lines * fade)[:, :, None]
        glow = np.exp(-(((x - 0.5) * w / m) ** 2 + ((y - FLOOR) * h / m * 3) ** 2) / 0.02)
        bg += 0.5 * np.array(accents[1], np.float32) * glow[:, :, None]
    elif look.setting == "window":
        bg = _mix(c0, c1, np.clip(np.abs(x - 0.3) * 1.2 + y * 0.3, 0, 1))
        blinds = 0.5 + 0.5 * np.sin(2 * math.pi * (x * 0.5 + y * 0.85) * 9.0)
        window = np.clip(1.0 - np.maximum(np.abs(x - 0.62) / 0.34, np.abs(y - 0.38) / 0.3), 0, 0.15) / 0.15
        light = 1.0 + 0.35 * window * np.clip((blinds - 0.35) * 4, 0, 1)
        bg = bg * light[:, :, None] * np.array(accents[0], np.float32)
    elif look.setting == "stage":
        bg = np.zeros((h, w, 3), np.float32) + np.array(c1, np.float32)
        half = 0.06 + 0.32 * np.clip(y, 0, 1)
        cone = np.clip((half - np.abs(x - 0.5) * w / h * (9 / 16)) / (0.08 * half + 1e-3), 0, 1)
        cone = np.where(y < FLOOR + 0.02, cone, 0) * (0.25 + 0.2 * y)
        pool = np.exp(-(((x - 0.5) * w / m / 0.22) ** 2 + ((y - FLOOR - 0.03) * h / m / 0.05) ** 2))
        bg += np.array(c0, np.float32) * (cone + 0.7 * pool)[:, :, None]
    else:  # foliage
        bg = _mix(c0, c1, np.clip(y / FLOOR, 0, 1))
        leaves = [("ellipse", (float(rng.uniform(0, 1)), float(rng.uniform(0, FLOOR)), float(rng.uniform(0.04, 0.14)),
                               float(rng.uniform(0.02, 0.06)), float(rng.uniform(0, 180))),
                   tuple(float(v) * float(rng.uniform(-0.35, 0.35)) for v in accents[i % 2]))
                  for i in range(40)]
        bg += _blurred_shapes(w, h, leaves, 6)
        rays = np.clip(np.sin(2 * math.pi * ((x * 0.8 - y * 0.5) * 5.0)), 0, 1) ** 6
        bg += 0.25 * np.array(accents[2], np.float32) * (rays * np.clip(1.0 - y / FLOOR, 0, 1))[:, :, None]
    if look.setting not in ("stage", "grid"):
        horizon = np.exp(-((y - FLOOR) * h / 2.0) ** 2)[:, :, None] * 0.15
        floor = _mix(look.floor_colour, tuple(v * 0.45 for v in look.floor_colour), floor_t)  # type: ignore[arg-type]
        bg = np.where((y > FLOOR)[:, :, None], floor + 0.25 * bg * (1 - floor_t[:, :, None]), bg) + horizon
    out: NDArray[np.float32] = np.clip(bg, 0, 1.2).astype(np.float32)
    return out


def build_stage(product_rgb: NDArray[np.uint8], mask: NDArray[np.float32], look: Look, size: tuple[int, int],
                seed: int) -> _Stage:
    """Paint the set, place the product on its floor with shadow and reflection, and prepare the grade."""
    import numpy as np

    cv2 = require("cv2")
    w, h = size
    ys, xs = np.nonzero(mask > 0.2)
    if ys.size == 0:
        raise NodeFailed("no product found in the mockup", code="NO_PRODUCT_FOUND")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop_rgb = product_rgb[y0:y1, x0:x1].astype(np.float32) / 255.0
    crop_a = mask[y0:y1, x0:x1]
    ph, pw = crop_a.shape
    fit = min(0.58 * h * FLOOR / ph, 0.72 * w / pw)
    tw, th = max(2, round(pw * fit)), max(2, round(ph * fit))
    rgb = cv2.resize(crop_rgb, (tw, th), interpolation=cv2.INTER_AREA if fit < 1 else cv2.INTER_CUBIC)
    alpha = np.clip(cv2.resize(crop_a, (tw, th), interpolation=cv2.INTER_LINEAR), 0, 1)
    rgb = np.clip(rgb * np.array(look.key_light, np.float32), 0, 1)
    left, top = (w - tw) // 2, round(h * FLOOR) - th
    product_alpha = np.zeros((h, w), np.float32)
    layer = np.zeros((h, w, 4), np.float32)

    def paste(dst: NDArray[np.float32], src: NDArray[np.float32], at_x: int, at_y: int) -> None:
        sy0, sx0 = max(0, -at_y), max(0, -at_x)
        dy0, dx0 = max(0, at_y), max(0, at_x)
        dy1, dx1 = min(dst.shape[0], at_y + src.shape[0]), min(dst.shape[1], at_x + src.shape[1])
        if dy1 > dy0 and dx1 > dx0:
            dst[dy0:dy1, dx0:dx1] = src[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]

    # Contact shadow: an ellipse under the base, soft; then the reflection; then the product.
    shadow = np.zeros((h, w), np.float32)
    cv2.ellipse(shadow, (w // 2, round(h * FLOOR)), (max(2, round(tw * 0.55)), max(1, round(th * 0.05))), 0, 0, 360,
                1.0, -1, cv2.LINE_AA)
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(1.0, tw * 0.06)) * look.shadow
    layer[:, :, 3] = shadow
    if look.reflection > 0:
        fade = np.linspace(1.0, 0.0, th, dtype=np.float32) ** 1.5
        ref_a = alpha[::-1] * fade[:, None] * look.reflection
        ref_layer = np.zeros((h, w), np.float32)
        ref_rgb = np.zeros((h, w, 3), np.float32)
        paste(ref_layer, ref_a, left, top + th)
        paste(ref_rgb, rgb[::-1], left, top + th)
        ref_layer = cv2.GaussianBlur(ref_layer, (0, 0), 1.2)
        layer[:, :, :3] = layer[:, :, :3] * (1 - ref_layer[:, :, None]) + ref_rgb * ref_layer[:, :, None]
        layer[:, :, 3] = layer[:, :, 3] * (1 - ref_layer) + ref_layer
    paste(product_alpha, alpha, left, top)
    prod_rgb = np.zeros((h, w, 3), np.float32)
    paste(prod_rgb, rgb, left, top)
    a = product_alpha[:, :, None]
    layer[:, :, :3] = layer[:, :, :3] * (1 - a) + prod_rgb * a
    layer[:, :, 3] = layer[:, :, 3] * (1 - product_alpha) + product_alpha
    k = max(3, round(tw * 0.04)) | 1
    inner = cv2.erode(product_alpha, np.ones((k, k), np.uint8))
    rim = cv2.GaussianBlur(np.clip(product_alpha - inner, 0, 1), (0, 0), k / 3.0)
    x, y = _grid(w, h)
    m = float(max(w, h))
    d = np.sqrt(((x - 0.5) * w / m) ** 2 + ((y - 0.5) * h / m) ** 2)
    vignette = 1.0 - look.grade.vignette * np.clip(d / 0.75, 0, 1) ** 2
    sweep_axis = (x * w * 0.8 + y * h * 0.6) / (0.8 * w + 0.6 * h)
    rng = np.random.default_rng(seed + 1)
    grain = []
    for _ in range(6 if look.grade.grain > 0 else 0):
        noise = rng.standard_normal((h, w)).astype(np.float32) * 255 * look.grade.grain
        grain.append((cv2.cvtColor(_u8(np.maximum(noise, 0) / 255), cv2.COLOR_GRAY2RGB),
                      cv2.cvtColor(_u8(np.maximum(-noise, 0) / 255), cv2.COLOR_GRAY2RGB)))
    return _Stage(background=_u8(paint_set(look, w, h, seed)), layer=_u8(layer),
                  lights=_u8(np.dstack([rim, product_alpha])), centre=(w / 2.0, top + th / 2.0),
                  vignette=cv2.cvtColor(_u8(vignette), cv2.COLOR_GRAY2RGB),
                  sweep_index=np.clip(sweep_axis * (SWEEP_STEPS - 1), 0, SWEEP_STEPS - 1).astype(np.uint16),
                  grain=grain)


def _u8(values: NDArray[np.float32]) -> NDArray[np.uint8]:
    import numpy as np

    out: NDArray[np.uint8] = np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


# --------------------------------------------------------------------------- particles
@dataclass(frozen=True)
class _Particle:
    x: float
    y: float
    vx: float
    vy: float
    size: float
    colour: tuple[float, float, float]
    phase: float


def make_particles(look: Look, seed: int) -> list[_Particle]:
    import numpy as np

    rng = np.random.default_rng(seed + 2)
    motion = {"bokeh": ((-0.01, 0.01), (-0.03, -0.005), (0.02, 0.06)),
              "rain": ((-0.06, -0.03), (0.9, 1.4), (0.004, 0.006)),
              "dust": ((-0.015, 0.02), (-0.02, 0.01), (0.002, 0.005)),
              "sparks": ((-0.02, 0.02), (-0.12, -0.05), (0.003, 0.007)),
              "pollen": ((0.01, 0.04), (-0.015, 0.015), (0.003, 0.006)),
              "snow": ((-0.01, 0.01), (0.04, 0.09), (0.003, 0.006))}
    if look.particles == "none" or look.particle_count == 0:
        return []
    (vx0, vx1), (vy0, vy1), (s0, s1) = motion[look.particles]
    colours = look.particle_colours
    return [_Particle(float(rng.uniform(0, 1)), float(rng.uniform(0, 1)), float(rng.uniform(vx0, vx1)),
                      float(rng.uniform(vy0, vy1)), float(rng.uniform(s0, s1)), colours[i % len(colours)],
                      float(rng.uniform(0, 2 * math.pi))) for i in range(look.particle_count)]


def draw_particles(look: Look, particles: list[_Particle], seconds: float, camera: Camera,
                   size: tuple[int, int]) -> NDArray[np.uint8] | None:
    """The particles' light at ``seconds`` (additive RGB), drawn at quarter resolution and scaled up."""
    import numpy as np

    if not particles:
        return None
    cv2 = require("cv2")
    w, h = size
    sw, sh = max(8, w // 4), max(8, h // 4)
    small = np.zeros((sh, sw, 3), np.float32)
    scale = float(max(sw, sh))
    shift_x = -camera.pan_x * PARTICLE_PARALLAX
    shift_y = -camera.pan_y * PARTICLE_PARALLAX
    for p in particles:
        px = ((p.x + p.vx * seconds + shift_x) % 1.0) * sw
        py = ((p.y + p.vy * seconds + shift_y) % 1.0) * sh
        twinkle = 0.6 + 0.4 * math.sin(p.phase + seconds * 3.0)
        if look.particles == "rain":
            length = 0.035 * scale
            cv2.line(small, (round(px), round(py)), (round(px + p.vx * 0.05 * sw), round(py - length)),
                     tuple(0.45 * c for c in p.colour), 1, cv2.LINE_AA)
            continue
        radius = max(1, round(p.size * scale))
        strength = {"bokeh": 0.28, "sparks": 1.0, "dust": 0.45, "pollen": 0.7, "snow": 0.8}[look.particles]
        colour = tuple(strength * twinkle * c for c in p.colour)
        cv2.circle(small, (round(px), round(py)), radius, colour, -1, cv2.LINE_AA)
        if look.particles == "bokeh":
            cv2.circle(small, (round(px), round(py)), radius, tuple(0.5 * c for c in colour), 1, cv2.LINE_AA)
    small = cv2.GaussianBlur(small, (0, 0), 0.7)  # round, soft dots instead of the rasterizer's crosses
    out: NDArray[np.uint8] = cv2.resize(_u8(small), (w, h), interpolation=cv2.INTER_LINEAR)
    return out


# --------------------------------------------------------------------------- one frame
def grade_table(grade: Grade) -> NDArray[np.uint8]:
    """A 256 x 1 x 3 lookup table: lift/gain per channel, then contrast about mid-grey (an S-curve)."""
    import numpy as np

    v = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
    lift, gain = np.array(grade.lift, np.float32), np.array(grade.gain, np.float32)
    out = lift + v * (gain - lift)
    out = 0.5 + (out - 0.5) * grade.contrast
    table: NDArray[np.uint8] = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return table


def saturation_matrix(saturation: float) -> NDArray[np.float32]:
    """The 3x3 colour matrix that scales saturation about Rec. 709 luminance."""
    import numpy as np

    lum = np.array([[0.2126, 0.7152, 0.0722]] * 3, np.float32)
    out: NDArray[np.float32] = (lum + saturation * (np.eye(3, dtype=np.float32) - lum)).astype(np.float32)
    return out


def render_frame(look: Look, stage: _Stage, particles: list[_Particle], table: NDArray[np.uint8], index: int,
                 frames: int, fps: float) -> NDArray[np.uint8]:
    """Frame ``index`` of ``frames`` (RGB, 8-bit)."""
    import numpy as np

    cv2 = require("cv2")
    h, w = stage.sweep_index.shape
    t = index / max(1, frames - 1)
    seconds = index / fps
    camera = camera_at(look, t)
    full = affine(camera, 1.0, stage.centre, (w, h))
    far = affine(camera, BACKGROUND_PARALLAX, stage.centre, (w, h))
    bg = cv2.warpAffine(stage.background, far, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    layer = cv2.warpAffine(stage.layer, full, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    behind = cv2.cvtColor(255 - layer[:, :, 3], cv2.COLOR_GRAY2RGB)
    comp = cv2.add(cv2.multiply(bg, behind, scale=1 / 255), np.ascontiguousarray(layer[:, :, :3]))
    if look.rim_strength > 0 or look.sweep > 0:
        lights = cv2.warpAffine(stage.lights, full, (w, h), flags=cv2.INTER_LINEAR)
        if look.rim_strength > 0:
            rim = cv2.cvtColor(np.ascontiguousarray(lights[:, :, 0]), cv2.COLOR_GRAY2RGB)
            comp = cv2.add(comp, cv2.multiply(rim, (*(c * look.rim_strength for c in look.rim), 0.0)))
        if look.sweep > 0:
            centre = -0.2 + 1.4 * ((t * 1.6) % 1.0)  # about one and a half passes
            axis = np.linspace(0.0, 1.0, SWEEP_STEPS, dtype=np.float32)
            band = _u8(np.exp(-((axis - centre) / 0.05) ** 2) * look.sweep)[stage.sweep_index]
            band = cv2.multiply(band, np.ascontiguousarray(lights[:, :, 1]), scale=1 / 255)
            comp = cv2.add(comp, cv2.cvtColor(band, cv2.COLOR_GRAY2RGB))
    glow = draw_particles(look, particles, seconds, camera, (w, h))
    if glow is not None:
        comp = cv2.add(comp, glow)
    if look.flashes:
        flash = sum(math.exp(-((seconds - at) / 0.05) ** 2) for at in (1.2, 2.9, 3.4, 5.1, 6.6, 7.3))
        comp = cv2.add(comp, (140.0 * flash, 140.0 * flash, 140.0 * flash, 0.0))
    g = look.grade
    if g.saturation != 1.0:
        comp = cv2.transform(comp, saturation_matrix(g.saturation))
    comp = cv2.multiply(comp, stage.vignette, scale=1 / 255)
    frame = cv2.LUT(comp, table)
    if stage.grain:
        added, subtracted = stage.grain[index % len(stage.grain)]
        frame = cv2.subtract(cv2.add(frame, added), subtracted)
    if g.aberration > 0:
        shift = max(1, round(g.aberration * h / 540))
        frame[:, :, 0] = np.roll(frame[:, :, 0], shift, axis=1)
        frame[:, :, 2] = np.roll(frame[:, :, 2], -shift, axis=1)
    result: NDArray[np.uint8] = np.ascontiguousarray(frame)
    return result


def render_product_ad(ctx: NodeContext, mockup: Image.Image, look: Look, *, aspect_ratio: AspectRatio,
                      short_side: int, fps: int, duration: float, seed: int, cache: ModelCache,
                      provenance: Provenance) -> pathlib.Path:
    """Render the ad to an H.264 MP4 in ``ctx.work_path``; the caller stores it."""
    import numpy as np

    from ..models.vision import FrameWriter, encode_frames

    size = frame_size(aspect_ratio, short_side)
    frames = max(2, round(duration * fps))
    rgb = np.asarray(mockup.convert("RGB"))
    ctx.progress(0.02, "cutting the product out")
    mask = cut_out(rgb, cache=cache)
    ctx.progress(0.08, "building the set")
    stage = build_stage(rgb, mask, look, size, seed)
    particles = make_particles(look, seed)
    table = grade_table(look.grade)
    tmp = ctx.work_path(".mkv")
    writer = FrameWriter(tmp, float(fps), *size)
    try:
        for i in range(frames):
            ctx.check_canceled()
            writer.write(render_frame(look, stage, particles, table, i, frames, float(fps)))
            if i % 8 == 0:
                ctx.progress(0.1 + 0.8 * i / frames, f"frame {i + 1}/{frames}")
    finally:
        writer.close()
    output = ctx.work_path(".mp4")
    encode_frames(ctx, tmp, output, fps=float(fps), frame_count=frames, audio_from=None, provenance=provenance,
                  crf=20)
    return output
