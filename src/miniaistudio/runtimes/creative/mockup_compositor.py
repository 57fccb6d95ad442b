"""Product mockups: logos composited onto a product photo so that they follow its surface (classical).

Placement is in percent of the product image: a layer's ``x``/``y`` is where the logo's centre
lands (0..100 across and down). At ``scale`` 1 the logo is :data:`BASE_LOGO_WIDTH` of the product's
width wide (its aspect kept); ``rotation`` is in degrees, clockwise (as in CSS and design tools).

The blend follows the surface instead of pasting a sticker on top:

* the **shading map** is the product's luminance, lightly blurred (fabric weave and noise are not
  shading), divided by its median under the logo: 1 where the surface is lit as usual, below 1 in
  folds and shadows, above 1 on highlights;
* the logo's colour is multiplied by the shading below 1 and lifted towards white above 1
  (luminance-modulated), so folds darken it and sheen brightens it the way they do the cloth;
* a share of the product's own fine texture (:data:`TEXTURE_SHARE`) shows through, as printed ink does;
* the logo's alpha is respected (transparent PNG logos keep their shape), times the layer's opacity.

An image-edit model can refine the composite afterwards (the caller chains ``image.edit`` with the
instruction); this module itself never uses a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...core.errors import NodeFailed
from ..models.vision import require

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

ENGINE = "mockup-compositor"
BASE_LOGO_WIDTH = 0.25  # logo width at scale 1, as a fraction of the product image's width
SHADING_BLUR = 2.0  # px of blur (at 1000 px width) taken off the luminance before it shades the logo
SHADING_RANGE = (0.25, 1.8)
TEXTURE_SHARE = 0.15  # how much of the product's fine detail shows through the logo


@dataclass(frozen=True)
class Placement:
    """One logo's spot: centre in percent of the product image, scale, clockwise degrees, opacity."""

    x: float
    y: float
    scale: float = 1.0
    rotation: float = 0.0
    opacity: float = 1.0


def logo_sprite(logo: Image.Image, product_width: int, placement: Placement) -> Image.Image:
    """The logo (RGBA) scaled and rotated as ``placement`` asks, on a transparent canvas that holds it."""
    from PIL import Image as PILImage

    rgba = logo.convert("RGBA")
    width = max(1, round(product_width * BASE_LOGO_WIDTH * placement.scale))
    height = max(1, round(rgba.height * width / rgba.width))
    if width * height > 64_000_000:
        raise NodeFailed("the logo would be larger than 64 megapixels at this scale", code="INPUT_INVALID",
                         details={"scale": placement.scale})
    sized = rgba.resize((width, height), PILImage.Resampling.LANCZOS)
    if placement.rotation % 360 == 0:
        return sized
    # PIL rotates counter-clockwise; placements are clockwise.
    return sized.rotate(-placement.rotation, resample=PILImage.Resampling.BICUBIC, expand=True)


def shading_map(product_rgb: NDArray[np.float32], region: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Luminance relative to its median inside ``region`` (1 = as lit as the logo's surface usually is)."""
    import numpy as np

    cv2 = require("cv2")
    lum = product_rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    sigma = max(0.8, SHADING_BLUR * product_rgb.shape[1] / 1000.0)
    smooth = cv2.GaussianBlur(lum, (0, 0), sigmaX=sigma, sigmaY=sigma)
    reference = float(np.median(smooth[region])) if region.any() else float(np.median(smooth))
    shade: NDArray[np.float32] = np.clip(smooth / max(reference, 8.0), *SHADING_RANGE).astype(np.float32)
    return shade


def composite_logos(product: Image.Image, logos: list[tuple[Image.Image, Placement]]) -> tuple[
        Image.Image, Image.Image]:
    """``product`` with every logo blended onto its surface, and the mask of where logos landed (L)."""
    import numpy as np
    from PIL import Image as PILImage

    cv2 = require("cv2")
    base = np.asarray(product.convert("RGB"), dtype=np.float32)
    h, w = base.shape[:2]
    out = base.copy()
    coverage = np.zeros((h, w), dtype=np.float32)
    detail = base - cv2.GaussianBlur(base, (0, 0), sigmaX=3.0, sigmaY=3.0)
    for logo, placement in logos:
        sprite = logo_sprite(logo, w, placement)
        sw, sh = sprite.size
        left = round(placement.x / 100.0 * w - sw / 2)
        top = round(placement.y / 100.0 * h - sh / 2)
        x0, y0, x1, y1 = max(0, left), max(0, top), min(w, left + sw), min(h, top + sh)
        if x0 >= x1 or y0 >= y1:
            continue  # entirely off the product: nothing to draw
        pixels = np.asarray(sprite, dtype=np.float32)[y0 - top:y1 - top, x0 - left:x1 - left]
        colour = pixels[:, :, :3] / 255.0
        alpha = pixels[:, :, 3] / 255.0 * placement.opacity
        region = np.zeros((h, w), dtype=bool)
        region[y0:y1, x0:x1] = alpha > 0.5
        shade = shading_map(base, region)[y0:y1, x0:x1, None]
        shaded = np.where(shade <= 1.0, colour * shade, colour + (1.0 - colour) * (shade - 1.0) * 0.6)
        ink = np.clip(shaded * 255.0 + TEXTURE_SHARE * detail[y0:y1, x0:x1], 0.0, 255.0)
        a = alpha[:, :, None]
        out[y0:y1, x0:x1] = out[y0:y1, x0:x1] * (1.0 - a) + ink * a
        coverage[y0:y1, x0:x1] = np.maximum(coverage[y0:y1, x0:x1], alpha)
    image = PILImage.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")
    mask = PILImage.fromarray(np.clip(coverage * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    return image, mask

