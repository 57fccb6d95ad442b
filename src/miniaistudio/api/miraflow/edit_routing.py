"""Which node carries out an asset edit instruction: what the studio can do for real (remove the
background, upscale, greyscale, brighten, invert, more vivid colours) goes to its classical node; any
other instruction goes to the image-edit model (``image.edit``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Route:
    node_type: str
    params: dict[str, Any] = field(default_factory=dict)
    what: str = ""  # a short name of the operation, recorded with the job


#: (pattern, route) in order; the first match wins.
RULES: tuple[tuple[re.Pattern[str], Route], ...] = (
    (re.compile(r"\b(remove|delete|erase|cut out|drop)\b.*\bbackground\b|\btransparent\b|\bcut ?out\b"),
     Route("image.remove_background", {"engine": "product", "replace": "transparent"}, "remove background")),
    (re.compile(r"\b4x\b|\bfour times\b"), Route("image.upscale", {"scale": 4}, "upscale 4x")),
    (re.compile(r"\b(upscale|enlarge|higher resolution|increase (the )?resolution|sharper|2x)\b"),
     Route("image.upscale", {"scale": 2}, "upscale 2x")),
    (re.compile(r"\b(grayscale|greyscale|black and white|monochrome|desaturate)\b"),
     Route("image.adjust", {"saturation": 0.0}, "greyscale")),
    (re.compile(r"\binvert\b|\bnegative\b"), Route("image.adjust", {"invert": True}, "invert")),
    (re.compile(r"\b(more vivid|more saturated|saturate|vibrant)\b"),
     Route("image.adjust", {"saturation": 1.6, "contrast": 1.1}, "more vivid")),
    (re.compile(r"\b(brighter|brighten|lighten)\b"), Route("image.adjust", {"brightness": 1.3}, "brighten")),
    (re.compile(r"\b(darker|darken)\b"), Route("image.adjust", {"brightness": 0.75}, "darken")),
)


def route_instruction(prompt: str) -> Route:
    text = " ".join(prompt.lower().split())
    for pattern, route in RULES:
        if pattern.search(text):
            return route
    return Route("image.edit", {"instruction": prompt}, "edit model")
