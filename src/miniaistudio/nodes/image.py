"""Basic image utilities on Pillow: canvases, resizing, tonal adjustments, crop, rotate, composite."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
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


# ------------------------------------------------------------------ placement, crop, rotate, composite

Anchor = Literal["top-left", "top-center", "top-right", "center-left", "center", "center-right",
                 "bottom-left", "bottom-center", "bottom-right"]


def anchor_fractions(anchor: Anchor) -> tuple[float, float]:
    """Where an anchor sits as fractions of the free space: (0, 0) top-left … (1, 1) bottom-right."""
    vertical, _, horizontal = anchor.partition("-")
    if anchor == "center":
        horizontal = "center"
    fx = {"left": 0.0, "center": 0.5, "right": 1.0}[horizontal]
    fy = {"top": 0.0, "center": 0.5, "bottom": 1.0}[vertical]
    return fx, fy


def place(anchor: Anchor, outer: tuple[int, int], inner: tuple[int, int], *, margin: int = 0,
          offset: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Top-left corner of a box of size ``inner`` anchored inside ``outer``, kept ``margin`` from the
    anchored edges, then moved by ``offset``."""
    fx, fy = anchor_fractions(anchor)
    x = fx * (outer[0] - inner[0]) + margin * (1 - 2 * fx) + offset[0]
    y = fy * (outer[1] - inner[1]) + margin * (1 - 2 * fy) + offset[1]
    return round(x), round(y)


ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "3:2": (3, 2), "2:3": (2, 3),
    "16:9": (16, 9), "9:16": (9, 16), "4:5": (4, 5), "5:4": (5, 4), "21:9": (21, 9),
}


@node("image.crop", title="Crop", category="Image")
class Crop(Node):
    """Cut out a rectangle: given in pixels, or the largest one of an aspect ratio at an anchor."""

    image: ImageInput
    aspect: Literal["custom", "1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "4:5", "5:4", "21:9"] = Field(
        default="custom", description="custom: use x, y, width, height; a ratio: the largest such crop")
    anchor: Anchor = Field(default="center", description="Where the aspect-ratio crop sits")
    x: int = Field(default=0, ge=0, le=65535, description="Left edge in pixels (custom)")
    y: int = Field(default=0, ge=0, le=65535, description="Top edge in pixels (custom)")
    width: int = Field(default=512, ge=1, le=65535, description="Width in pixels (custom)")
    height: int = Field(default=512, ge=1, le=65535, description="Height in pixels (custom)")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        src = ctx.load_image(_require(self.image))
        box = self._box(src.width, src.height)
        return ImageOutput(image=ctx.save_image(src.crop(box), Provenance(
            engine="pillow", params=self.model_dump(exclude={"image"}), box=list(box),
            source=_require(self.image).media_id)))

    def _box(self, width: int, height: int) -> tuple[int, int, int, int]:
        if self.aspect != "custom":
            rw, rh = ASPECT_RATIOS[self.aspect]
            scale = min(width / rw, height / rh)
            size = (max(1, round(rw * scale)), max(1, round(rh * scale)))
            left, top = place(self.anchor, (width, height), size)
            return left, top, left + size[0], top + size[1]
        if self.x >= width or self.y >= height:
            raise NodeFailed(f"the crop starts at ({self.x}, {self.y}), outside the {width}x{height} image",
                             code="CROP_OUT_OF_BOUNDS")
        return self.x, self.y, min(width, self.x + self.width), min(height, self.y + self.height)


@node("image.rotate", title="Rotate / Flip", category="Image")
class RotateFlip(Node):
    """Rotate by any angle (counter-clockwise; negative turns clockwise) and mirror."""

    image: ImageInput
    angle: float = Field(default=90.0, ge=-360.0, le=360.0, description="Degrees counter-clockwise")
    expand: bool = Field(default=True, description="Grow the canvas so no corner is cut off")
    fill: str = Field(default="#00000000", pattern=HEX_COLOR, json_schema_extra={"widget": "color"},
                      description="Color of the uncovered corners (#RRGGBBAA; transparent by default)")
    flip_horizontal: bool = Field(default=False, description="Mirror left to right (after rotating)")
    flip_vertical: bool = Field(default=False, description="Mirror top to bottom (after rotating)")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image

        img = ctx.load_image(_require(self.image))
        quarter_turns = {90.0: Image.Transpose.ROTATE_90, 180.0: Image.Transpose.ROTATE_180,
                         270.0: Image.Transpose.ROTATE_270}
        angle = self.angle % 360
        if angle in quarter_turns and (self.expand or angle == 180.0):
            img = img.transpose(quarter_turns[angle])  # exact, no resampling
        elif angle:
            fill = _rgba(self.fill)
            if fill[3] < 255 and img.mode != "RGBA":
                img = img.convert("RGBA")
            img = img.rotate(angle, Image.Resampling.BICUBIC, expand=self.expand,
                             fillcolor=fill if img.mode == "RGBA" else fill[:3])
        if self.flip_horizontal:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if self.flip_vertical:
            img = img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        return ImageOutput(image=ctx.save_image(img, Provenance(
            engine="pillow", params=self.model_dump(exclude={"image"}), source=_require(self.image).media_id)))


@node("image.composite", title="Composite", category="Image")
class Composite(Node):
    """Lay one image over another: anchor and offset, scale, rotation, opacity (alpha is kept)."""

    base: ImageInput
    overlay: ImageInput
    anchor: Anchor = Field(default="center", description="Which point of the base the overlay aligns to")
    x: int = Field(default=0, ge=-65535, le=65535, description="Horizontal offset in pixels from the anchor")
    y: int = Field(default=0, ge=-65535, le=65535, description="Vertical offset in pixels from the anchor")
    scale: float = Field(default=1.0, gt=0.0, le=20.0, description="Overlay size factor")
    rotation: float = Field(default=0.0, ge=-360.0, le=360.0, description="Overlay rotation, degrees counter-clockwise")
    opacity: float = Field(default=1.0, ge=0.0, le=1.0, description="Overlay opacity")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image

        base_ref, overlay_ref = _require(self.base), _require(self.overlay)
        base = ctx.load_image(base_ref)
        layer = ctx.load_image(overlay_ref).convert("RGBA")
        if self.scale != 1.0:
            size = (max(1, round(layer.width * self.scale)), max(1, round(layer.height * self.scale)))
            layer = layer.resize(size, Image.Resampling.LANCZOS)
        if self.rotation % 360:
            layer = layer.rotate(self.rotation, Image.Resampling.BICUBIC, expand=True)
        if self.opacity < 1.0:
            layer.putalpha(layer.getchannel("A").point(lambda a: round(a * self.opacity)))
        keeps_alpha = base.mode in ("RGBA", "LA") or "transparency" in base.info
        canvas = base.convert("RGBA")
        positioned = Image.new("RGBA", canvas.size, (0, 0, 0, 0))  # paste clips parts outside the base
        positioned.paste(layer, place(self.anchor, canvas.size, layer.size, offset=(self.x, self.y)))
        canvas = Image.alpha_composite(canvas, positioned)
        out = canvas if keeps_alpha else canvas.convert("RGB")
        return ImageOutput(image=ctx.save_image(out, Provenance(
            engine="pillow", params=self.model_dump(exclude={"base", "overlay"}),
            source=base_ref.media_id, overlay_source=overlay_ref.media_id)))
