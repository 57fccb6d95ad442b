"""Installed fonts by family name, so nodes choose fonts by name and never by a user-given path.

The catalog is read once from the system font folders (family and style names come from
the font files themselves, through FreeType).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import NodeFailed

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = {".ttf", ".otf", ".ttc"}
DEFAULT_FAMILY = "DejaVu Sans"
# Style names fonts use for the plain face, in order of preference.
REGULAR_STYLES = ("Regular", "Book", "Roman", "Medium")


@dataclass(frozen=True)
class FontFace:
    family: str
    style: str
    path: Path


@functools.cache
def font_catalog() -> dict[str, dict[str, Path]]:
    """{family: {style: file}} of every readable font under :data:`FONT_DIRS`."""
    from PIL import ImageFont

    catalog: dict[str, dict[str, Path]] = {}
    for root in FONT_DIRS:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in FONT_SUFFIXES:
                continue
            try:
                family, style = ImageFont.truetype(str(path), 12).getname()
            except OSError:
                continue
            if family and style:
                catalog.setdefault(family, {}).setdefault(style, path)
    return catalog


def font_families() -> list[str]:
    return sorted(font_catalog())


def resolve_font(family: str, *, bold: bool = False, italic: bool = False) -> FontFace:
    """The installed face of ``family`` closest to the asked weight and slant."""
    styles = font_catalog().get(family)
    if not styles:
        raise NodeFailed(
            f"font {family!r} is not installed; installed families include: "
            f"{', '.join(font_families()[:12])}",
            code="FONT_NOT_FOUND", details={"family": family},
        )
    slant = ("Italic", "Oblique") if italic else ("",)
    weight = "Bold" if bold else ""
    wanted = [f"{weight} {s}".strip() for s in slant]
    if not bold and not italic:
        wanted = list(REGULAR_STYLES)
    for style in wanted:
        if style in styles:
            return FontFace(family, style, styles[style])
    fallback = next((s for s in REGULAR_STYLES if s in styles), min(styles))  # asked style missing
    return FontFace(family, fallback, styles[fallback])
