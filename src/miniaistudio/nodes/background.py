"""Background Removal: person (mediapipe selfie segmentation) or product (u2netp ONNX) cut-outs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.node import ImageInput, Node, NodeOutput, Socket, node
from ..core.sockets import SocketType
from ..core.values import MediaRef
from .image import HEX_COLOR, _rgba

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENGINES = {"person": "mediapipe-selfie-segmentation", "product": "u2netp-onnx"}
BackgroundInput = Annotated[MediaRef | None, Socket(
    SocketType.IMAGE, required=False, label="Background",
    description="New background when replace is 'image' (scaled to cover)")]


class CutoutOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="RGBA: the cut-out or the composite")]
    mask: Annotated[MediaRef, Socket(SocketType.IMAGE, description="Foreground mask (white = kept)")]


def refine_mask(mask: NDArray[np.float32], threshold: float, feather: float) -> NDArray[np.float32]:
    """Sharpen a soft mask around ``threshold`` (a ramp ±0.15 wide), then feather by ``feather`` px."""
    import numpy as np

    from ..runtimes.models.vision import require

    cv2 = require("cv2")
    out = np.clip((mask - (threshold - 0.15)) / 0.3, 0.0, 1.0).astype(np.float32)
    if feather > 0:
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=feather, sigmaY=feather)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@node("image.remove_background", title="Background Removal", category="Vision",
      tags=("cutout", "segmentation", "matting"))
class RemoveBackground(Node):
    """Cut out the person (mediapipe selfie segmentation) or the main object (u2netp) and replace the background.

    ``replace``: transparent (alpha = mask), a color, the image blurred, or another image
    (the optional Background input). Outputs the RGBA image and the mask.
    """

    image: ImageInput
    background: BackgroundInput = None
    engine: Literal["person", "product"] = Field(
        default="person", description="person: mediapipe selfie segmentation; product: u2netp salient object")
    replace: Literal["transparent", "color", "blur", "image"] = "transparent"
    color: str = Field(default="#00ff00", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})
    blur_radius: float = Field(default=18.0, ge=1.0, le=200.0, description="Background blur (replace = blur)")
    threshold: float = Field(default=0.5, ge=0.05, le=0.95, description="Mask cut level")
    feather: float = Field(default=1.5, ge=0.0, le=50.0, description="Mask edge softening in pixels")

    def invoke(self, ctx: NodeContext) -> CutoutOutput:
        import numpy as np
        from PIL import Image, ImageFilter, ImageOps

        from ..core.errors import NodeFailed
        from ..runtimes.models import vision
        from ..runtimes.models.model_host import host_of
        from ..runtimes.models.vision_assets import u2netp_path

        assert self.image is not None
        src = ctx.load_image(self.image).convert("RGB")
        rgb = vision.rgb_array(src)
        ctx.progress(0.1, f"segmenting ({self.engine})")
        if self.engine == "person":
            raw = vision.person_mask(rgb, cache=host_of(ctx).cache)
            model = "mediapipe selfie_segmentation (general)"
        else:
            raw = vision.object_mask(rgb, u2netp_path(), cache=host_of(ctx).cache)
            model = "u2netp (U^2-Net small, rembg)"
        mask = refine_mask(raw, self.threshold, self.feather)
        mask_img = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8), "L")
        if self.replace == "transparent":
            out = src.copy()
            out.putalpha(mask_img)
        else:
            if self.replace == "color":
                r, g, b, a = _rgba(self.color)
                bg = Image.new("RGBA", src.size, (r, g, b, a))
            elif self.replace == "blur":
                bg = src.filter(ImageFilter.GaussianBlur(self.blur_radius)).convert("RGBA")
            else:
                if self.background is None:
                    raise NodeFailed("replace is 'image' but no Background image is linked",
                                     code="BACKGROUND_MISSING")
                bg = ImageOps.fit(ctx.load_image(self.background).convert("RGBA"), src.size,
                                  Image.Resampling.LANCZOS)
            fg = src.convert("RGBA")
            fg.putalpha(mask_img)
            out = Image.alpha_composite(bg, fg)
        params = self.model_dump(exclude={"image", "background"})
        prov = Provenance(engine=ENGINES[self.engine], model=model, params=params, source=self.image.media_id,
                          ai_generated=True, coverage=round(float(mask.mean()), 4))
        return CutoutOutput(image=ctx.save_image(out, prov), mask=ctx.save_image(mask_img, prov))
