"""Basic image utilities on Pillow: canvases, resizing and tonal adjustments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.node import ImageInput, ImageOutput, Node, node
from ..core.values import MediaRef

HEX_COLOR = r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$"


def _rgba(color: str) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    a = int(value[6:8], 16) if len(value) == 8 else 255
    return r, g, b, a


def _require(image: MediaRef | None) -> MediaRef:
    assert image is not None, "validated by the engine: required inputs are linked"
    return image


@node("image.solid_color", title="Solid Color", category="Image")
class SolidColor(Node):
    """A canvas of one color, for backgrounds and mockups."""

    width: int = Field(default=512, ge=1, le=8192)
    height: int = Field(default=512, ge=1, le=8192)
    color: str = Field(default="#ffffff", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image

        rgba = _rgba(self.color)
        mode = "RGBA" if rgba[3] < 255 else "RGB"
        img = Image.new(mode, (self.width, self.height), rgba if mode == "RGBA" else rgba[:3])
        return ImageOutput(image=ctx.save_image(img, Provenance(
            engine="pillow", params=self.model_dump(), synthesized=True)))


@node("image.resize", title="Resize", category="Image")
class Resize(Node):
    """Scale to a size: stretch, fit inside (keep aspect) or cover and crop."""

    image: ImageInput
    width: int = Field(default=512, ge=1, le=8192)
    height: int = Field(default=512, ge=1, le=8192)
    mode: Literal["stretch", "fit", "cover"] = "fit"
    resample: Literal["lanczos", "bicubic", "bilinear", "nearest"] = "lanczos"

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image, ImageOps

        resample = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC,
                    "bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST}[self.resample]
        src = ctx.load_image(_require(self.image))
        size = (self.width, self.height)
        if self.mode == "stretch":
            out = src.resize(size, resample)
        elif self.mode == "fit":
            out = ImageOps.contain(src, size, resample)
        else:
            out = ImageOps.fit(src, size, resample)
        return ImageOutput(image=ctx.save_image(out, Provenance(
            engine="pillow", params=self.model_dump(exclude={"image"}), source=_require(self.image).media_id)))


@node("image.adjust", title="Adjust", category="Image")
class Adjust(Node):
    """Brightness, contrast and saturation (1 = unchanged), and invert."""

    image: ImageInput
    brightness: float = Field(default=1.0, ge=0.0, le=4.0)
    contrast: float = Field(default=1.0, ge=0.0, le=4.0)
    saturation: float = Field(default=1.0, ge=0.0, le=4.0)
    invert: bool = False

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image, ImageChops, ImageEnhance

        img = ctx.load_image(_require(self.image))
        alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
        img = img.convert("RGB")
        if self.brightness != 1.0:
            img = ImageEnhance.Brightness(img).enhance(self.brightness)
        if self.contrast != 1.0:
            img = ImageEnhance.Contrast(img).enhance(self.contrast)
        if self.saturation != 1.0:
            img = ImageEnhance.Color(img).enhance(self.saturation)
        if self.invert:
            img = ImageChops.invert(img)
        if alpha is not None:
            img = Image.merge("RGBA", (*img.split(), alpha))
        return ImageOutput(image=ctx.save_image(img, Provenance(
            engine="pillow", params=self.model_dump(exclude={"image"}), source=_require(self.image).media_id)))
