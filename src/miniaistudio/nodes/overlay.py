"""Text overlays: the same styling on images (Pillow) and on videos (ffmpeg drawtext)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import ImageInput, Node, NodeOutput, Socket, VideoInput, node
from ..core.sockets import SocketType
from ..core.values import MediaRef
from ..runtimes.media.ffmpeg import (
    AAC_ARGS,
    EVEN_DIMENSIONS,
    H264_ARGS,
    MP4_AUDIO_CODECS,
    X264Preset,
    filter_escape,
    run_ffmpeg,
)
from ..runtimes.media.fonts import DEFAULT_FAMILY, FontFace, font_families, resolve_font
from ..runtimes.media.probe import NotMedia, probe
from ..runtimes.media.text_layout import Align, TextBlock, fit_text, layout_at, line_spacing
from .image import HEX_COLOR, Anchor, _rgba, anchor_fractions, place

OptionalTextInput = Annotated[str | None, Socket(
    SocketType.TEXT, required=False, label="Text", description="When linked, replaces the 'text' setting")]


FitWarning = Annotated[str, Socket(
    SocketType.TEXT, label="Warning", description="Empty when all the text is visible; says so when some is clipped")]


class ImageTextOverlayOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE)]
    warning: FitWarning = ""


class VideoTextOverlayOutput(NodeOutput):
    video: Annotated[MediaRef, Socket(SocketType.VIDEO)]
    warning: FitWarning = ""


@dataclass(frozen=True)
class PlacedText:
    """Overlay text laid out and placed on a frame of a given size."""

    block: TextBlock
    x: int  # top-left of the ink box (and of the box behind it, less its padding)
    y: int
    clipped: bool  # some ink (or the box) falls outside the frame

    def warning(self) -> str:
        if not self.clipped:
            return ""
        return (f"text clipped: {len(self.block.lines)} line(s) at {self.block.size} px do not fit the frame; "
                "turn on 'fit', shorten the text or lower 'min_size'")

    def report(self) -> dict[str, Any]:
        """What the provenance (media metadata) keeps of the fit."""
        return {"font_size": self.block.size, "lines": len(self.block.lines), "clipped": self.clipped}


def _list_installed_fonts(schema: dict[str, Any]) -> None:
    schema["options"] = font_families()


class _TextStyle(Node):
    """What is written and how; shared by the image and video overlays."""

    text_input: OptionalTextInput = None
    text: str = Field(default="", max_length=5_000, json_schema_extra={"widget": "textarea"},
                      description="The text to write (used when the text input is not linked)")
    font: str = Field(default=DEFAULT_FAMILY, min_length=1, max_length=100, pattern=r"^[\w .&+-]+$",
                      json_schema_extra=_list_installed_fonts,
                      description="Installed font family, e.g. DejaVu Sans, Noto Sans, Noto Serif")
    bold: bool = False
    italic: bool = False
    size: int = Field(default=48, ge=4, le=2000, description="Font size in pixels")
    color: str = Field(default="#ffffff", pattern=HEX_COLOR, json_schema_extra={"widget": "color"},
                       description="Text color, #RRGGBB or #RRGGBBAA")
    position: Anchor = Field(default="bottom-center", description="Where the text sits")
    margin: int = Field(default=24, ge=0, le=10_000, description="Distance in pixels from the anchored edges")
    x_offset: int = Field(default=0, ge=-10_000, le=10_000, description="Extra horizontal shift in pixels")
    y_offset: int = Field(default=0, ge=-10_000, le=10_000, description="Extra vertical shift in pixels")
    box: bool = Field(default=False, description="Draw a box behind the text")
    box_color: str = Field(default="#000000", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})
    box_opacity: float = Field(default=0.6, ge=0.0, le=1.0)
    box_padding: int = Field(default=12, ge=0, le=1_000, description="Box space around the text in pixels")
    stroke_width: int = Field(default=0, ge=0, le=100, description="Outline width in pixels (0 = none)")
    stroke_color: str = Field(default="#000000", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})
    wrap: bool = Field(default=True, description="Break lines at spaces (and inside over-long words) to stay "
                       "within the maximum width")
    max_width: int = Field(default=90, ge=5, le=100, description="Widest a line may be, in percent of the picture "
                           "width")
    fit: bool = Field(default=True, description="Shrink the font until all the text fits the picture (down to "
                      "the minimum size)")
    min_size: int = Field(default=12, ge=4, le=2000, description="Smallest font size fitting may use, in pixels")
    align: Literal["auto", "left", "center", "right"] = Field(
        default="auto", description="How lines line up with each other; auto follows the position")

    def content(self) -> str:
        text = (self.text_input if self.text_input is not None else self.text).rstrip("\n")
        if not text.strip():
            raise NodeFailed("there is no text to write: fill in 'text' or link a text input", code="NO_TEXT")
        return text

    def face(self) -> FontFace:
        return resolve_font(self.font, bold=self.bold, italic=self.italic)

    def text_align(self) -> Align:
        if self.align != "auto":
            return self.align
        return ("left", "center", "right")[round(anchor_fractions(self.position)[0] * 2)]

    def lay_out(self, text: str, face: FontFace, frame: tuple[int, int]) -> PlacedText:
        """Wrap (and fit) ``text`` to the frame, then place it; clipped when any ink leaves the frame."""
        width, height = frame
        pad = self.box_padding if self.box else 0
        box_width = max(1, min(round(width * self.max_width / 100), width - 2 * self.margin) - 2 * pad)
        box_height = max(1, height - 2 * self.margin - 2 * pad)
        if self.fit:
            block = fit_text(text, face.path, size=self.size, min_size=min(self.min_size, self.size),
                             max_width=box_width, max_height=box_height, wrap=self.wrap, align=self.text_align(),
                             stroke=self.stroke_width)
        else:
            block = layout_at(text, face.path, self.size, max_width=box_width, max_height=box_height,
                              wrap=self.wrap, align=self.text_align(), stroke=self.stroke_width)
        x, y = place(self.position, frame, (block.width + 2 * pad, block.height + 2 * pad), margin=self.margin,
                     offset=(self.x_offset, self.y_offset))
        clipped = x < 0 or y < 0 or x + block.width + 2 * pad > width or y + block.height + 2 * pad > height
        return PlacedText(block, x + pad, y + pad, clipped)

    def style_params(self) -> dict[str, Any]:
        return self.model_dump(exclude={"text_input", "image", "video"})


@node("image.text_overlay", title="Text Overlay (Image)", category="Image")
class ImageTextOverlay(_TextStyle):
    """Write text on an image with a font, size, color, position, optional box and outline."""

    image: ImageInput

    def invoke(self, ctx: NodeContext) -> ImageTextOverlayOutput:
        from PIL import Image, ImageDraw, ImageFont

        assert self.image is not None, "validated by the engine: required inputs are linked"
        text, face = self.content(), self.face()
        base = ctx.load_image(self.image)
        placed = self.lay_out(text, face, base.size)
        block, x, y = placed.block, placed.x, placed.y
        font = ImageFont.truetype(str(face.path), block.size)
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        if self.box:
            r, g, b, _ = _rgba(self.box_color)
            pad = self.box_padding
            draw.rectangle((x - pad, y - pad, x + block.width + pad, y + block.height + pad),
                           fill=(r, g, b, round(255 * self.box_opacity)))
        left, top, _, _ = block.bbox
        draw.multiline_text((x - left, y - top), block.text, font=font, fill=_rgba(self.color),
                            spacing=block.spacing, align=self.text_align(),
                            stroke_width=self.stroke_width, stroke_fill=_rgba(self.stroke_color))
        keeps_alpha = base.mode in ("RGBA", "LA")
        out = Image.alpha_composite(base.convert("RGBA"), layer)
        warning = placed.warning()
        if warning:
            ctx.progress(1.0, warning)
        return ImageTextOverlayOutput(image=ctx.save_image(out if keeps_alpha else out.convert("RGB"), Provenance(
            engine="pillow", params=self.style_params(), font_file=face.path.name, text_box=[x, y],
            text_fit=placed.report(), source=self.image.media_id)), warning=warning)


@node("video.text_overlay", title="Text Overlay (Video)", category="Video")
class VideoTextOverlay(_TextStyle):
    """Write text over a whole video (ffmpeg drawtext, H.264); the sound is kept."""

    video: VideoInput
    preset: X264Preset = Field(default="veryfast", description="x264 speed/size trade-off")
    crf: int = Field(default=20, ge=0, le=51, description="x264 quality (lower = better)")

    def invoke(self, ctx: NodeContext) -> VideoTextOverlayOutput:
        assert self.video is not None, "validated by the engine: required inputs are linked"
        text, face = self.content(), self.face()
        out = ctx.work_path(".mp4")
        with ctx.media_path(self.video) as src:
            try:
                info = probe(src)
            except NotMedia as exc:
                raise NodeFailed(f"the input is not a readable video: {exc}", code="INPUT_INVALID") from exc
            frame = ((info.width or self.video.width or 0) // 2 * 2, (info.height or self.video.height or 0) // 2 * 2)
            placed = self.lay_out(text, face, frame)
            text_file = ctx.work_path(".txt")
            text_file.write_text(placed.block.text, encoding="utf-8")  # textfile= avoids escaping the text
            audio_codec = info.codecs.get("audio")
            audio_args = ["-c:a", "copy"] if audio_codec in MP4_AUDIO_CODECS else list(AAC_ARGS)
            provenance = Provenance(engine="ffmpeg", params=self.style_params(), font_file=face.path.name,
                                    text_fit=placed.report(), source=self.video.media_id)
            drawtext = self._drawtext(face, text_file.as_posix(), placed.block.size)
            run_ffmpeg(ctx, ["-i", str(src), "-map", "0:v:0", "-map", "0:a:0?",
                             "-vf", f"{EVEN_DIMENSIONS},{drawtext}",
                             *H264_ARGS, "-preset", self.preset, "-crf", str(self.crf), *audio_args,
                             "-movflags", "+faststart"],
                       out, duration=info.duration or self.video.duration, provenance=provenance)
        warning = placed.warning()
        if warning:
            ctx.progress(1.0, warning)
        return VideoTextOverlayOutput(video=ctx.store_file(out, "video", provenance), warning=warning)

    def _drawtext(self, face: FontFace, text_file: str, size: int) -> str:
        """Lines are wrapped by :meth:`lay_out`; drawtext (ffmpeg 5) lines them up on the left."""
        fx, fy = anchor_fractions(self.position)
        x = f"{fx}*(w-text_w)+{self.margin * (1 - 2 * fx) + self.x_offset}"
        y = f"{fy}*(h-text_h)+{self.margin * (1 - 2 * fy) + self.y_offset}"
        options = [
            f"fontfile={filter_escape(face.path.as_posix())}", f"textfile={filter_escape(text_file)}",
            "expansion=none", f"fontsize={size}", f"fontcolor={_ffmpeg_color(self.color)}",
            f"line_spacing={line_spacing(size)}", f"x={x}", f"y={y}",
        ]
        if self.box:
            options += ["box=1", f"boxcolor={_ffmpeg_color(self.box_color, self.box_opacity)}",
                        f"boxborderw={self.box_padding}"]
        if self.stroke_width:
            options += [f"borderw={self.stroke_width}", f"bordercolor={_ffmpeg_color(self.stroke_color)}"]
        return "drawtext=" + ":".join(options)


def _ffmpeg_color(color: str, opacity: float | None = None) -> str:
    r, g, b, a = _rgba(color)
    alpha = opacity if opacity is not None else a / 255
    return f"0x{r:02x}{g:02x}{b:02x}@{alpha:.3f}"
