"""The thumbnail layout engine: a bold, readable video thumbnail from a title, cut-out subjects and an
optional generated scene, on a CPU with Pillow.

The composition follows what makes thumbnails read at a glance: one big subject with a white sticker
outline on one side, a short title in heavy capitals with a thick dark outline and a drop shadow on
the other (landscape: left/right; portrait 9:16: title on top, subject below), a saturated two-colour
background with a light burst behind the subject (or the scene, darkened under the title), and a final
contrast grade. The title box is returned so callers (and tests) can check it lies inside the frame.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..media.fonts import DEFAULT_FAMILY, resolve_font

if TYPE_CHECKING:
    from PIL import Image, ImageFont

AspectRatio = Literal["16:9", "9:16"]
SIZES: dict[str, tuple[int, int]] = {"16:9": (1280, 720), "9:16": (720, 1280)}
#: (background from, background to, title fill): saturated pairs with a light title colour.
PALETTES: tuple[tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((220, 20, 60), (40, 0, 90), (255, 230, 0)),
    ((0, 90, 255), (0, 10, 60), (255, 255, 255)),
    ((255, 120, 0), (120, 0, 0), (255, 255, 255)),
    ((0, 160, 120), (0, 30, 60), (255, 235, 60)),
    ((140, 0, 255), (20, 0, 40), (0, 255, 200)),
)
OUTLINE = (10, 10, 10)
MAX_TITLE_WORDS = 5
MAX_TITLE_CHARS = 40
STOPWORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "with", "without", "of", "for", "on", "in", "at", "to", "from", "by",
    "into", "onto", "over", "under", "about", "as", "is", "are", "was", "were", "be", "been", "this", "that",
    "these", "those", "my", "your", "our", "their", "his", "her", "its", "it", "who", "what", "when", "where",
    "how", "why", "very", "so", "just", "some", "any", "all", "one", "two", "new"))


@dataclass(frozen=True)
class Layout:
    image: Image.Image
    title_lines: tuple[str, ...]
    title_box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the drawn title, outline included
    font_size: int
    palette: int


def headline(prompt: str) -> str:
    """A deterministic short title from a prompt (no language model): its first few content words."""
    words = [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'&-]*", prompt) if w.lower() not in STOPWORDS]
    picked: list[str] = []
    for word in words:
        if len(picked) >= 4 or len(" ".join([*picked, word])) > MAX_TITLE_CHARS:
            break
        picked.append(word)
    return " ".join(picked).upper() or "WATCH THIS"


def clean_title(text: str) -> str:
    """An LLM's title as a thumbnail title: one line, no quotes or trailing punctuation except ! and ?,
    at most a few words, capitals."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.strip(" \"'`*#.:;,-")
    words = line.split()[:MAX_TITLE_WORDS]
    return " ".join(words)[:MAX_TITLE_CHARS].upper()


def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    face = resolve_font(DEFAULT_FAMILY, bold=True)
    return ImageFont.truetype(str(face.path), size)


def _wrap(words: Sequence[str], font: ImageFont.FreeTypeFont, width: int, stroke: int) -> list[str] | None:
    lines: list[str] = []
    for word in words:
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getbbox(candidate, stroke_width=stroke)[2] <= width:
            lines[-1] = candidate
        elif font.getbbox(word, stroke_width=stroke)[2] <= width:
            lines.append(word)
        else:
            return None
    return lines


def _fit_title(title: str, box: tuple[int, int, int, int]) -> tuple[list[str], ImageFont.FreeTypeFont, int, int]:
    """The largest font (and its line wrap) that fits the title in ``box`` in at most 3 lines."""
    width, height = box[2] - box[0], box[3] - box[1]
    words = title.split() or ["WATCH"]
    size = max(24, height // 2)
    while size > 18:
        font = _font(size)
        stroke = max(2, size // 9)
        lines = _wrap(words, font, width, stroke)
        if lines is not None and len(lines) <= 3:
            line_height = int(size * 1.08) + stroke
            if line_height * len(lines) <= height:
                return lines, font, stroke, line_height
        size = int(size * 0.92)
    font = _font(18)
    return [" ".join(words)[:20]], font, 2, 22


def _gradient(size: tuple[int, int], start: tuple[int, int, int], end: tuple[int, int, int]) -> Image.Image:
    import numpy as np
    from PIL import Image

    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.clip((xs / w * 0.6 + ys / h * 0.4), 0, 1)[..., None]
    rgb = np.array(start, np.float32) * (1 - t) + np.array(end, np.float32) * t
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def _burst(size: tuple[int, int], center: tuple[int, int], radius: float) -> Image.Image:
    """A soft light glow (L mask) around ``center``."""
    import numpy as np
    from PIL import Image

    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.sqrt((xs - center[0]) ** 2 + (ys - center[1]) ** 2) / max(radius, 1.0)
    glow = np.clip(1.0 - d, 0, 1) ** 1.6 * 200
    return Image.fromarray(glow.astype(np.uint8), "L")


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    from PIL import ImageOps

    return ImageOps.fit(image.convert("RGB"), size)


def _trim(cutout: Image.Image) -> Image.Image:
    alpha = cutout.getchannel("A").point(lambda v: 255 if v > 24 else 0)
    box = alpha.getbbox()
    return cutout.crop(box) if box else cutout


def _sticker(cutout: Image.Image, outline: int) -> Image.Image:
    """The cut-out with a white outline around its silhouette."""
    from PIL import Image, ImageFilter

    pad = outline * 2
    canvas = Image.new("RGBA", (cutout.width + 2 * pad, cutout.height + 2 * pad), (0, 0, 0, 0))
    canvas.paste(cutout, (pad, pad), cutout)
    alpha = canvas.getchannel("A").filter(ImageFilter.MaxFilter(outline * 2 + 1))
    rim = Image.new("RGBA", canvas.size, (255, 255, 255, 0))
    rim.putalpha(alpha.point(lambda v: 255 if v > 40 else 0))
    rim.alpha_composite(canvas)
    return rim


def _darken_under(background: Image.Image, box: tuple[int, int, int, int], landscape: bool) -> Image.Image:
    """A dark ramp under the title's side, so a light title stays readable on any scene."""
    import numpy as np
    from PIL import Image

    w, h = background.size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    # across the title's side: landscape from its right edge leftwards, portrait from its bottom upwards
    t = np.clip(1.0 - (xs - box[2]) / (w * 0.25), 0, 1) if landscape else np.clip(1.0 - (ys - box[3]) / (h * 0.2), 0, 1)
    shade = Image.fromarray((t * 170).astype(np.uint8), "L")
    return Image.composite(Image.new("RGB", background.size, (0, 0, 0)), background, shade)


def compose(title: str, subjects: Sequence[Image.Image], scene: Image.Image | None, aspect_ratio: AspectRatio,
            seed: int) -> Layout:
    """The thumbnail: ``subjects`` are RGBA cut-outs (largest first), ``scene`` an optional background."""
    from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

    size = SIZES[aspect_ratio]
    w, h = size
    landscape = aspect_ratio == "16:9"
    palette_index = random.Random(seed).randrange(len(PALETTES))
    start, end, fill = PALETTES[palette_index]
    margin = int(min(w, h) * 0.06)
    if landscape:
        title_area = (margin, margin, int(w * 0.56), h - margin)
        subject_area = (int(w * 0.45), int(h * 0.06), w - margin // 2, h)
    else:
        title_area = (margin, margin, w - margin, int(h * 0.38))
        subject_area = (margin // 2, int(h * 0.36), w - margin // 2, h)
    if scene is not None:
        background = ImageEnhance.Color(ImageEnhance.Contrast(_cover(scene, size)).enhance(1.2)).enhance(1.25)
    else:
        background = _gradient(size, start, end)
    center = ((subject_area[0] + subject_area[2]) // 2, (subject_area[1] + subject_area[3]) // 2)
    glow = Image.new("RGB", size, (255, 255, 255))
    background = Image.composite(glow, background, _burst(size, center, max(w, h) * 0.45))
    background = _darken_under(background, title_area, landscape)
    canvas = background.convert("RGBA")
    # subjects: the first big, the others smaller behind it
    area_w, area_h = subject_area[2] - subject_area[0], subject_area[3] - subject_area[1]
    for index, subject in reversed(list(enumerate(subjects[:3]))):
        cutout = _trim(subject.convert("RGBA"))
        scale = (1.0 if index == 0 else 0.6) * min(area_w / cutout.width, area_h / cutout.height)
        cutout = cutout.resize((max(1, int(cutout.width * scale)), max(1, int(cutout.height * scale))),
                               Image.Resampling.LANCZOS)
        sticker = _sticker(cutout, max(3, min(w, h) // 90))
        x = subject_area[0] + (area_w - sticker.width) // 2 + (0 if index == 0 else (-1) ** index * area_w // 4)
        y = subject_area[3] - sticker.height + (sticker.height - cutout.height) // 2
        shadow = Image.new("RGBA", sticker.size, (0, 0, 0, 0))
        shadow.putalpha(sticker.getchannel("A").point(lambda v: v // 2).filter(ImageFilter.GaussianBlur(12)))
        canvas.alpha_composite(shadow, (max(-shadow.width, x + 12), max(-shadow.height, y + 12)))
        canvas.alpha_composite(sticker, (max(-sticker.width, x), max(-sticker.height, y)))
    # title: heavy capitals, thick outline, drop shadow
    lines, font, stroke, line_height = _fit_title(title, title_area)
    block_h = line_height * len(lines)
    top = title_area[1] + (title_area[3] - title_area[1] - block_h) // 2
    shadow_layer = Image.new("RGBA", size, (0, 0, 0, 0))
    text_layer = Image.new("RGBA", size, (0, 0, 0, 0))
    shadow_draw, draw = ImageDraw.Draw(shadow_layer), ImageDraw.Draw(text_layer)
    boxes = []
    offset = max(3, stroke)
    for number, line in enumerate(lines):
        y = top + number * line_height
        x = title_area[0] if landscape else int(w - font.getbbox(line, stroke_width=stroke)[2]) // 2
        shadow_draw.text((x + offset, y + offset), line, font=font, fill=(0, 0, 0, 200), stroke_width=stroke,
                         stroke_fill=(0, 0, 0, 200))
        color = fill if number % 2 == 0 else (255, 255, 255)
        draw.text((x, y), line, font=font, fill=(*color, 255), stroke_width=stroke, stroke_fill=(*OUTLINE, 255))
        boxes.append(draw.textbbox((x, y), line, font=font, stroke_width=stroke))
    canvas.alpha_composite(shadow_layer.filter(ImageFilter.GaussianBlur(3)))
    canvas.alpha_composite(text_layer)
    graded = ImageEnhance.Contrast(canvas.convert("RGB")).enhance(1.08)
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    inside = (max(0, int(box[0])), max(0, int(box[1])), min(w, int(box[2])), min(h, int(box[3])))
    return Layout(graded, tuple(lines), inside, int(font.size), palette_index)
