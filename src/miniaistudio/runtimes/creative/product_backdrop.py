"""Product shots on a new background: studio white or a colour with a soft contact shadow, a
gradient, or the photo's own background blurred (classical, no model; engine
``classical-product-backdrop``).

The product keeps its pixels and place; only what lies outside its mask changes. The contact
shadow is what a product standing on a studio sweep casts: a wide soft ellipse under its base
and a tight dark core where it touches, blurred in proportion to the width of the base.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINE = "classical-product-backdrop"
STUDIO_WHITE = (255, 255, 255)


def _cv2() -> Any:
    from ..models.vision import require

    return require("cv2")


def solid(width: int, height: int, rgb: tuple[int, int, int]) -> NDArray[np.float32]:
    import numpy as np

    return np.broadcast_to(np.array(rgb, np.float32), (height, width, 3)).copy()


def gradient(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> NDArray[np.float32]:
    """A vertical studio sweep: ``top`` colour to ``bottom`` colour (eased, so the floor is even)."""
    import numpy as np

    t = np.linspace(0.0, 1.0, height, dtype=np.float32)
    t = t * t * (3 - 2 * t)  # smoothstep
    a, b = np.array(top, np.float32), np.array(bottom, np.float32)
    column = a * (1 - t[:, None]) + b * t[:, None]
    return np.broadcast_to(column[:, None, :], (height, width, 3)).copy()


def blurred(rgb: NDArray[np.uint8], mask: NDArray[np.float32]) -> NDArray[np.float32]:
    """The photo blurred with the product filled out first, so it leaves no halo in the blur."""
    import numpy as np

    cv2 = _cv2()
    h, w = mask.shape
    sigma = max(4.0, 0.025 * max(h, w))
    keep = (mask < 0.1).astype(np.float32)[..., None]
    # Normalised convolution: blur of the background alone divided by the blur of its weight.
    num = cv2.GaussianBlur(rgb.astype(np.float32) * keep, (0, 0), sigma)
    den = cv2.GaussianBlur(keep, (0, 0), sigma)[..., None]
    out: NDArray[np.float32] = np.where(den > 1e-3, num / np.maximum(den, 1e-3),
                                        cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), sigma))
    return out


def contact_shadow(mask: NDArray[np.float32], strength: float) -> NDArray[np.float32]:
    """Shadow opacity 0..``strength`` under the product's base (zero where the mask is empty)."""
    import numpy as np

    cv2 = _cv2()
    h, w = mask.shape
    solid_mask = mask > 0.5
    if strength <= 0 or solid_mask.sum() < 16:
        return np.zeros((h, w), np.float32)
    ys, xs = np.nonzero(solid_mask)
    left, right, top, bottom = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
    # The base: the columns of the product's lowest tenth.
    base = solid_mask[max(top, bottom - max(2, (bottom - top) // 10)):bottom + 1]
    base_cols = np.nonzero(base.any(axis=0))[0]
    cx = float(base_cols.mean()) if base_cols.size else (left + right) / 2
    base_w = float(base_cols.max() - base_cols.min() + 1) if base_cols.size else float(right - left + 1)
    shadow = np.zeros((h, w), np.float32)
    # A wide soft penumbra and a tight dark core where the base touches the floor.
    for reach, thickness, blur, opacity in ((0.6, 0.10, 0.06, 0.55), (0.48, 0.035, 0.02, 1.0)):
        layer = np.zeros((h, w), np.float32)
        axes = (max(2, int(base_w * reach)), max(1, int(base_w * thickness)))
        cv2.ellipse(layer, (round(cx), bottom), axes, 0, 0, 360, 1.0, -1)
        layer = cv2.GaussianBlur(layer, (0, 0), max(1.0, base_w * blur))
        shadow = np.maximum(shadow, layer * opacity)
    out: NDArray[np.float32] = np.clip(shadow, 0, 1) * strength
    return out


def composite(rgb: NDArray[np.uint8], mask: NDArray[np.float32], background: NDArray[np.float32],
              shadow: NDArray[np.float32] | None = None) -> NDArray[np.uint8]:
    """The product (``rgb`` under ``mask``) over ``background`` darkened by ``shadow``."""
    import numpy as np

    back = background
    if shadow is not None:
        back = back * (1 - shadow[..., None])
    a = mask[..., None]
    out: NDArray[np.uint8] = np.clip(rgb * a + back * (1 - a) + 0.5, 0, 255).astype(np.uint8)
    return out
