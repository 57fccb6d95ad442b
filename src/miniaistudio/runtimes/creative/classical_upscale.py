"""Classical upscaling: Lanczos resampling with detail-preserving sharpening (no AI model).

This is the labelled "classical" engine of the Upscale node. Lanczos interpolation makes
a larger image without inventing detail; an unsharp mask on luminance then restores the
edge contrast that interpolation softens. The mask is edge-aware: the sharpening amount at
each pixel grows with the local detail (``|Y - blur(Y)|``) above a small threshold, so flat
areas and noise are not amplified, and the chroma and alpha channels are left untouched
(no colour fringes).
"""

from __future__ import annotations

from PIL import Image, ImageFilter

SUPPORTED_SCALES = (2, 3, 4)


def upscale_lanczos(image: Image.Image, scale: int, sharpen: float = 0.6) -> Image.Image:
    """``image`` enlarged ``scale`` times (2, 3 or 4) with Lanczos, then sharpened by ``sharpen`` (0..2)."""
    import numpy as np

    if scale not in SUPPORTED_SCALES:
        raise ValueError(f"scale must be one of {SUPPORTED_SCALES}, got {scale}")
    if not 0.0 <= sharpen <= 2.0:
        raise ValueError(f"sharpen must be within 0..2, got {sharpen}")
    size = (image.width * scale, image.height * scale)
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA", "PA") else None
    rgb = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    if sharpen > 0:
        ycbcr = rgb.convert("YCbCr")
        y, cb, cr = ycbcr.split()
        luma = np.asarray(y, dtype=np.float32)
        # Blur radius grows with the scale: the detail lost by interpolation is scale pixels wide.
        blurred = np.asarray(y.filter(ImageFilter.GaussianBlur(radius=0.5 + 0.5 * scale)), dtype=np.float32)
        detail = luma - blurred
        threshold = 2.0
        magnitude = np.abs(detail)
        # 0 below the threshold, ramping to 1 at 4x the threshold: edge-aware weighting.
        weight = np.clip((magnitude - threshold) / (3 * threshold), 0.0, 1.0)
        sharpened = luma + sharpen * 1.5 * weight * detail
        y = Image.fromarray(np.clip(sharpened + 0.5, 0, 255).astype(np.uint8), "L")
        rgb = Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha.resize(size, Image.Resampling.LANCZOS))
    return rgb
