"""Laying out overlay text: wrapping at word boundaries (and inside words longer than a line), and
shrinking the font until the text fits a box, down to a minimum size.

Measured with Pillow on the font file itself, so the image overlay (Pillow) and the video overlay
(ffmpeg drawtext, the same FreeType font) wrap the same text at the same places.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL import ImageFont

Align = Literal["left", "center", "right"]
#: Space between lines as a share of the font size.
LINE_SPACING = 0.2


@dataclass(frozen=True)
class TextBlock:
    """Text laid out at one font size: its lines and the ink box ``(left, top, right, bottom)`` of the
    whole block relative to the drawing origin (stroke included)."""

    lines: tuple[str, ...]
    size: int
    spacing: int
    bbox: tuple[int, int, int, int]
    fits: bool  # within the asked width and height

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def width(self) -> int:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> int:
        return self.bbox[3] - self.bbox[1]


def line_spacing(size: int) -> int:
    return round(size * LINE_SPACING)


def _line_width(font: ImageFont.FreeTypeFont, text: str, stroke: int) -> int:
    left, _, right, _ = font.getbbox(text, stroke_width=stroke)
    return round(right - min(left, 0))


def _split_word(word: str, font: ImageFont.FreeTypeFont, width: int, stroke: int) -> list[str]:
    """A word longer than a line, cut into pieces that each fit (at least one character each)."""
    pieces: list[str] = []
    piece = ""
    for char in word:
        if piece and _line_width(font, piece + char, stroke) > width:
            pieces.append(piece)
            piece = char
        else:
            piece += char
    if piece:
        pieces.append(piece)
    return pieces


def wrap_lines(text: str, font: ImageFont.FreeTypeFont, width: int, stroke: int = 0) -> list[str]:
    """``text`` wrapped greedily at spaces so each line is at most ``width`` pixels wide; the text's own
    line breaks are kept and words wider than a line are cut."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if _line_width(font, candidate, stroke) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            if _line_width(font, word, stroke) <= width:
                line = word
            else:
                *whole, line = _split_word(word, font, width, stroke)
                lines.extend(whole)
        lines.append(line)
    return lines


def _measure(lines: list[str], font: ImageFont.FreeTypeFont, spacing: int, align: Align,
             stroke: int) -> tuple[int, int, int, int]:
    from PIL import Image, ImageDraw

    draw = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = draw.multiline_textbbox(
        (0, 0), "\n".join(lines), font=font, spacing=spacing, align=align, stroke_width=stroke)
    return round(left), round(top), round(right), round(bottom)


def layout_at(text: str, font_path: Path, size: int, *, max_width: int | None, max_height: int | None,
              wrap: bool, align: Align = "left", stroke: int = 0) -> TextBlock:
    """``text`` at font ``size``, wrapped to ``max_width`` when ``wrap``."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(font_path), size)
    lines = wrap_lines(text, font, max_width, stroke) if wrap and max_width else text.split("\n")
    spacing = line_spacing(size)
    bbox = _measure(lines, font, spacing, align, stroke)
    fits = ((max_width is None or bbox[2] - bbox[0] <= max_width)
            and (max_height is None or bbox[3] - bbox[1] <= max_height))
    return TextBlock(tuple(lines), size, spacing, bbox, fits)


def fit_text(text: str, font_path: Path, *, size: int, min_size: int, max_width: int, max_height: int,
             wrap: bool, align: Align = "left", stroke: int = 0) -> TextBlock:
    """The largest font size from ``min_size`` to ``size`` at which ``text`` fits ``max_width`` by
    ``max_height`` (binary search); at ``min_size`` when nothing fits (then ``fits`` is False)."""
    def at(s: int) -> TextBlock:
        return layout_at(text, font_path, s, max_width=max_width, max_height=max_height, wrap=wrap,
                         align=align, stroke=stroke)

    best = at(size)
    if best.fits or size <= min_size:
        return best
    low, high = min_size, size - 1
    best = at(min_size)
    if not best.fits:
        return best
    while low < high:
        middle = (low + high + 1) // 2
        block = at(middle)
        if block.fits:
            best, low = block, middle
        else:
            high = middle - 1
    return best
