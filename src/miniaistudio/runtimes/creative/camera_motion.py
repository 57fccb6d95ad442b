"""Camera moves on a still image: Ken Burns and a 2.5D parallax "dynamic camera" (classical).

This is the classical engine of Image to Video and Dynamic Camera when no video or
novel-view model is installed. It does not reconstruct 3D; it is a documented **2.5D
approximation**:

* the image is split into two layers: the foreground (the segmentation mask: the given one,
  else u2netp when its model is placed, else mediapipe selfie segmentation, else none) and
  the background, whose hidden part under the foreground is filled with ``cv2.inpaint``;
* conventions as in :mod:`miniaistudio.core.camera`: positive azimuth orbits the camera to the
  subject's right (the image's left), positive elevation raises it and looks down;
* ``azimuth``/``elevation`` (degrees) move both layers sideways/up-down, the background by
  35 % of the foreground's shift (nearer things move more: parallax), and apply a perspective
  warp, a camera rotation of a quarter of the requested angle (``K*R*K^-1``) to both layers;
* ``distance`` scales the foreground by ``1/distance`` and the background by
  ``(1/distance)^0.35`` (a dolly changes near things' size more);
* the background is then enlarged just enough to cover the frame (no revealed borders); a
  foreground cut by the bottom edge scales about the bottom centre; any area still uncovered
  is filled with ``cv2.inpaint`` (Telea) at reduced resolution.

Large angles therefore look like a stage set of flat cards, not a new viewpoint; hair and
thin structures follow the mask's softness. Ken Burns is ffmpeg's ``zoompan`` filter.
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ...core.context import NodeContext, Provenance
from ...core.errors import NodeFailed
from ...core.values import MediaRef
from ..models.model_cache import ModelCache
from ..models.vision import require

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

ENGINE_KEN_BURNS = "ffmpeg-zoompan"
ENGINE_PARALLAX = "parallax-2.5d+opencv"
BACKGROUND_PARALLAX = 0.35  # background shift / foreground shift
BACKGROUND_SCALE_POWER = 0.35
SHIFT_PER_UNIT = 0.15  # foreground shift at sin(angle) = 1, as a fraction of the image size
ROTATION_SHARE = 0.25  # share of the requested angle applied as a perspective rotation


@dataclass(frozen=True)
class CameraMove:
    """Orbit angles in degrees (azimuth -180..180, elevation -60..60) and distance 0.5..2 (1 = unchanged)."""

    azimuth: float
    elevation: float
    distance: float

    def __post_init__(self) -> None:
        if not -180.0 <= self.azimuth <= 180.0:
            raise ValueError(f"azimuth must be within -180..180, got {self.azimuth}")
        if not -60.0 <= self.elevation <= 60.0:
            raise ValueError(f"elevation must be within -60..60, got {self.elevation}")
        if not 0.5 <= self.distance <= 2.0:
            raise ValueError(f"distance must be within 0.5..2.0, got {self.distance}")


NEUTRAL = CameraMove(azimuth=0.0, elevation=0.0, distance=1.0)


def interpolate(a: CameraMove, b: CameraMove, t: float) -> CameraMove:
    """The move a fraction ``t`` of the way from ``a`` to ``b`` (distance interpolated geometrically)."""
    return CameraMove(azimuth=a.azimuth + (b.azimuth - a.azimuth) * t,
                      elevation=a.elevation + (b.elevation - a.elevation) * t,
                      distance=a.distance * (b.distance / a.distance) ** t)


def auto_foreground_mask(rgb: NDArray[np.uint8], *, cache: ModelCache) -> NDArray[np.float32] | None:
    """u2netp when its model is placed, else mediapipe selfie segmentation, else None."""
    from ...core.errors import ToolMissing
    from ..models import vision
    from ..models.vision_assets import u2netp_target

    try:
        model = u2netp_target()
        if model.is_file():
            return vision.object_mask(rgb, model, cache=cache)
    except ToolMissing:
        pass
    try:
        return vision.person_mask(rgb, cache=cache)
    except ToolMissing:
        return None


class ParallaxScene:
    """The two layers of one image, prepared once and rendered for any number of moves."""

    def __init__(self, rgb: NDArray[np.uint8], mask: NDArray[np.float32] | None) -> None:
        cv2 = require("cv2")
        import numpy as np

        self.rgb = rgb
        h, w = rgb.shape[:2]
        self.size = (w, h)
        if mask is None or float(mask.max()) < 0.05:
            self.alpha = np.zeros((h, w), dtype=np.float32)
            self.background = rgb
            self.bottom_anchored = False
        else:
            if mask.shape != (h, w):
                mask = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            self.alpha = np.clip(mask.astype(np.float32), 0.0, 1.0)
            self.bottom_anchored = bool(self.alpha[-1].mean() > 0.1)
            hole = (self.alpha > 0.1).astype(np.uint8) * 255
            grow = max(3, int(0.02 * max(w, h)))
            hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
            self.background = _inpaint(rgb, hole)

    def homographies(self, move: CameraMove) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(foreground, background) 3x3 homographies for ``move``."""
        import numpy as np

        w, h = self.size
        cx, cy = w / 2.0, h / 2.0
        f = 1.2 * max(w, h)
        k = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]], dtype=np.float64)
        yaw = math.radians(move.azimuth * ROTATION_SHARE)
        pitch = math.radians(move.elevation * ROTATION_SHARE)
        ry = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]])
        rx = np.array([[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]])
        rot = k @ (rx @ ry) @ np.linalg.inv(k)
        # Positive azimuth orbits the camera to the subject's right, i.e. the image's left: the
        # scene slides right. Positive elevation raises the camera: the scene slides down.
        fg_dx = math.sin(math.radians(move.azimuth)) * SHIFT_PER_UNIT * w
        fg_dy = math.sin(math.radians(move.elevation)) * SHIFT_PER_UNIT * h
        fg_scale = 1.0 / move.distance
        bg_scale = (1.0 / move.distance) ** BACKGROUND_SCALE_POWER
        # A foreground cut by the bottom edge (a portrait's torso) scales about the bottom centre,
        # so its cut edge stays on the frame's edge instead of floating.
        anchor_y = float(h) if self.bottom_anchored else cy

        def affine(scale: float, dx: float, dy: float, ay: float) -> NDArray[np.float64]:
            return np.array([[scale, 0, cx - scale * cx + dx], [0, scale, ay - scale * ay + dy], [0, 0, 1]])

        fg = affine(fg_scale, fg_dx, fg_dy, anchor_y) @ rot
        bg = affine(bg_scale, fg_dx * BACKGROUND_PARALLAX, fg_dy * BACKGROUND_PARALLAX, cy) @ rot
        # Enlarge the background about the centre until it covers the frame: borders are then never
        # revealed and inpainting is only needed behind the foreground.
        bg = affine(_cover_scale(bg, w, h), 0.0, 0.0, cy) @ bg
        return fg, bg

    def render(self, move: CameraMove) -> NDArray[np.uint8]:
        cv2 = require("cv2")
        import numpy as np

        if move == NEUTRAL:
            return self.rgb.copy()
        w, h = self.size
        h_fg, h_bg = self.homographies(move)
        flags = cv2.INTER_LINEAR
        bg = cv2.warpPerspective(self.background, h_bg, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)
        valid = cv2.warpPerspective(np.full((h, w), 255, np.uint8), h_bg, (w, h), flags=cv2.INTER_NEAREST,
                                    borderMode=cv2.BORDER_CONSTANT)
        out = bg.astype(np.float32)
        cover = valid > 127
        if self.alpha.any():
            fg = cv2.warpPerspective(self.rgb, h_fg, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)
            fa = cv2.warpPerspective(self.alpha, h_fg, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)
            out = out * (1.0 - fa[:, :, None]) + fg.astype(np.float32) * fa[:, :, None]
            cover |= fa > 0.5
        result: NDArray[np.uint8] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        hole = (~cover).astype(np.uint8) * 255
        if hole.any():
            result = _inpaint(result, hole)
        return result


def _cover_scale(hom: NDArray[np.float64], w: int, h: int) -> float:
    """The least scale (about the centre, ≥ 1) after ``hom`` so the warped image covers the frame."""
    import numpy as np

    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], dtype=np.float64).T
    cx, cy = w / 2.0, h / 2.0

    def covers(scale: float) -> bool:
        s = np.array([[scale, 0, cx - scale * cx], [0, scale, cy - scale * cy], [0, 0, 1]])
        src = np.linalg.inv(s @ hom) @ corners
        if np.any(src[2] <= 1e-9):
            return False
        x, y = src[0] / src[2], src[1] / src[2]
        return bool(np.all((x >= -0.5) & (x <= w + 0.5) & (y >= -0.5) & (y <= h + 0.5)))

    if covers(1.0):
        return 1.0
    lo, hi = 1.0, 4.0
    if not covers(hi):
        return hi
    for _ in range(14):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if covers(mid) else (mid, hi)
    return hi


def _inpaint(rgb: NDArray[np.uint8], hole: NDArray[np.uint8], max_side: int = 192) -> NDArray[np.uint8]:
    """Fill ``hole`` (255 = missing) with ``cv2.inpaint`` (Telea) at reduced resolution, then paste."""
    cv2 = require("cv2")
    import numpy as np

    h, w = hole.shape
    factor = min(1.0, max_side / max(w, h))
    sw, sh = max(1, round(w * factor)), max(1, round(h * factor))
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST)
    small_hole = cv2.dilate(small_hole, np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(small, small_hole, 5, cv2.INPAINT_TELEA)
    big = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC)
    soft = cv2.GaussianBlur(hole.astype(np.float32) / 255.0, (0, 0), 1.5)
    soft = np.maximum(soft, hole.astype(np.float32) / 255.0)[:, :, None]
    out = rgb.astype(np.float32) * (1.0 - soft) + big.astype(np.float32) * soft
    result: NDArray[np.uint8] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return result


def render_new_view(image: Image.Image, move: CameraMove, foreground_mask: Image.Image | None = None, *,
                    cache: ModelCache) -> Image.Image:
    """The image seen after ``move``: a 2.5D approximation (see the module notes), same size as ``image``.

    ``foreground_mask`` (L, white = foreground) is the near layer; without it one is computed
    (u2netp when placed, else mediapipe selfie segmentation, else the image moves as one plane).
    """
    import numpy as np
    from PIL import Image as PILImage

    from ..models.vision import rgb_array

    rgb = rgb_array(image)
    mask: NDArray[np.float32] | None
    if foreground_mask is not None:
        m = foreground_mask.convert("L")
        if m.size != image.size:
            m = m.resize(image.size, PILImage.Resampling.BILINEAR)
        mask = np.asarray(m, dtype=np.float32) / 255.0
    else:
        mask = auto_foreground_mask(rgb, cache=cache)
    return PILImage.fromarray(ParallaxScene(rgb, mask).render(move), "RGB")


def _output_size(src_w: int, src_h: int, width: int | None, height: int | None) -> tuple[int, int]:
    if width and height:
        w, h = width, height
    elif width:
        w, h = width, round(src_h * width / src_w)
    elif height:
        w, h = round(src_w * height / src_h), height
    else:
        w, h = src_w, src_h
    return max(2, w - w % 2), max(2, h - h % 2)


def _smoothstep(t: float) -> float:
    return t * t * (3 - 2 * t)


def ken_burns_filter(move: CameraMove, frames: int, fps: int, width: int, height: int) -> str:
    """The ffmpeg filter chain of a Ken Burns move: cover-crop, then ``zoompan`` from neutral to ``move``.

    ``distance`` < 1 zooms in (to 1/distance), > 1 zooms out (from ``distance``); azimuth and
    elevation pan the window across the margin the zoom leaves (±90° / ±60° = the full margin).
    """
    pan_x = max(-1.0, min(1.0, -move.azimuth / 90.0))  # camera to the subject's right = the image's left
    pan_y = max(-1.0, min(1.0, -move.elevation / 60.0))
    base = 1.0 + 0.15 * max(abs(pan_x), abs(pan_y))
    if move.distance <= 1.0:
        z0, z1 = base, base / move.distance
    else:
        z0, z1 = base * move.distance, base
    last = max(frames - 1, 1)
    prog = f"(on/{last})"
    ease = f"({prog}*{prog}*(3-2*{prog}))"
    x0, x1 = 0.5 - pan_x / 2, 0.5 + pan_x / 2
    y0, y1 = 0.5 - pan_y / 2, 0.5 + pan_y / 2
    up_w, up_h = width * 3, height * 3  # work at 3x so sub-pixel pans do not jitter
    return (
        f"scale={up_w}:{up_h}:force_original_aspect_ratio=increase:flags=bicubic,crop={up_w}:{up_h},"
        f"zoompan=z='{z0:.5f}+({z1 - z0:.5f})*{ease}'"
        f":x='(iw-iw/zoom)*({x0:.5f}+({x1 - x0:.5f})*{ease})'"
        f":y='(ih-ih/zoom)*({y0:.5f}+({y1 - y0:.5f})*{ease})'"
        f":d={frames}:s={width}x{height}:fps={fps},format=yuv420p"
    )


def render_camera_video(ctx: NodeContext, image: MediaRef, *, style: Literal["ken_burns", "parallax"],
                        move: CameraMove, duration: float, fps: int, cache: ModelCache, width: int | None = None,
                        height: int | None = None) -> pathlib.Path:
    """An MP4 (H.264, no audio) of a camera move on ``image``, in ``ctx.work_path``; the caller stores it.

    ``ken_burns``: ffmpeg ``zoompan``. ``parallax``: :func:`render_new_view`'s 2.5D layers
    rendered for each frame while the move eases from neutral to ``move``.
    """
    from ..media.ffmpeg import H264_ARGS, run_ffmpeg

    if duration <= 0 or fps <= 0:
        raise NodeFailed("duration and fps must be positive", code="INPUT_INVALID")
    frames = max(1, round(duration * fps))
    src_w, src_h = image.width, image.height
    if not src_w or not src_h:
        with ctx.media_path(image) as path:
            from PIL import Image as PILImage

            with PILImage.open(path) as probe_img:
                src_w, src_h = probe_img.size
    out_w, out_h = _output_size(src_w, src_h, width, height)
    output = ctx.work_path(".mp4")
    params: dict[str, object] = {"style": style, "azimuth": move.azimuth, "elevation": move.elevation,
                                 "distance": move.distance, "duration": duration, "fps": fps, "width": out_w,
                                 "height": out_h}
    if style == "ken_burns":
        provenance = Provenance(engine=ENGINE_KEN_BURNS, classical=True, params=params, source=image.media_id)
        with ctx.media_path(image) as path:
            run_ffmpeg(ctx, ["-i", str(path), "-vf", ken_burns_filter(move, frames, fps, out_w, out_h),
                             "-frames:v", str(frames), "-r", str(fps), *H264_ARGS, "-preset", "veryfast",
                             "-crf", "18", "-movflags", "+faststart"],
                       output, duration=frames / fps, provenance=provenance)
        return output
    if style != "parallax":
        raise NodeFailed(f"unknown camera style {style!r}", code="INPUT_INVALID")
    return _render_parallax(ctx, image, move, frames, fps, out_w, out_h, params, cache)


def _render_parallax(ctx: NodeContext, image: MediaRef, move: CameraMove, frames: int, fps: int,
                     out_w: int, out_h: int, params: dict[str, object], cache: ModelCache) -> pathlib.Path:
    from PIL import ImageOps

    from ..models.vision import FrameWriter, encode_frames, rgb_array

    src = ctx.load_image(image).convert("RGB")
    if src.size != (out_w, out_h):
        src = ImageOps.fit(src, (out_w, out_h), method=3)
    rgb = rgb_array(src)
    ctx.progress(0.02, "segmenting the foreground")
    scene = ParallaxScene(rgb, auto_foreground_mask(rgb, cache=cache))
    tmp = ctx.work_path(".mkv")
    writer = FrameWriter(tmp, fps, out_w, out_h)
    try:
        for i in range(frames):
            ctx.check_canceled()
            t = _smoothstep(i / (frames - 1)) if frames > 1 else 1.0
            writer.write(scene.render(interpolate(NEUTRAL, move, t)))
            if i % 4 == 0:
                ctx.progress(0.05 + 0.85 * i / frames, f"frame {i + 1}/{frames}")
    finally:
        writer.close()
    output = ctx.work_path(".mp4")
    provenance = Provenance(engine=ENGINE_PARALLAX, classical=True, approximation="2.5D layers", params=params,
                            source=image.media_id)
    encode_frames(ctx, tmp, output, fps=float(fps), frame_count=frames, audio_from=None, provenance=provenance)
    return output
