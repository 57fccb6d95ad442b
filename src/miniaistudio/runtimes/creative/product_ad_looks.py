"""The nine product-ad styles as data: set, light, particles, camera and grade per style.

Each :class:`Look` is what :mod:`.product_ad` renders. Styles differ in every part, not only in
the camera: ``luxury_macro`` is a dark gold radial set with gold bokeh and a light sweep seen
through a slow macro push-in; ``neo_noir_night`` a rainy street of out-of-focus neon with a wet
floor, trucked sideways and graded cold and crushed; and so on (the table below).

``custom`` derives a look from the user's prompt (:func:`look_from_prompt`): colour words make
the palette, set words (sunset, forest, city, studio, stage, neon...) the set, particle words
(rain, snow, sparkle, bokeh, dust, leaves) the particles, motion words (zoom in, reveal, orbit,
pan, rise, tilt, handheld) the camera, mood words (dark, bright) the grade; whatever the prompt
does not say is chosen from a hash of it, so the same prompt always gives the same video.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

RGB = tuple[float, float, float]
Setting = Literal["radial", "street", "sky", "cyclorama", "grid", "window", "stage", "foliage"]
Particles = Literal["none", "bokeh", "rain", "dust", "sparks", "pollen", "snow"]
CameraPath = Literal["push_in", "truck", "crane", "orbit", "rise_tilt", "handheld", "pull_out", "drift"]
Easing = Literal["cubic", "quart", "sine"]
StyleName = Literal["luxury_macro", "neo_noir_night", "warm_lifestyle_sunset", "futuristic_clean_studio",
                    "cyberpunk_showcase", "film_35mm_editorial", "high_fashion_runway", "nature_premium", "custom"]
STYLE_NAMES: tuple[StyleName, ...] = (
    "luxury_macro", "neo_noir_night", "warm_lifestyle_sunset", "futuristic_clean_studio", "cyberpunk_showcase",
    "film_35mm_editorial", "high_fashion_runway", "nature_premium", "custom")


@dataclass(frozen=True)
class Grade:
    """Per-channel lift and gain, contrast about mid-grey, saturation, vignette, film grain, and a
    chromatic aberration in pixels at 540p."""

    lift: RGB = (0.0, 0.0, 0.0)
    gain: RGB = (1.0, 1.0, 1.0)
    contrast: float = 1.0
    saturation: float = 1.0
    vignette: float = 0.3
    grain: float = 0.0
    aberration: float = 0.0


@dataclass(frozen=True)
class Look:
    """One style: the set (``setting`` with its colours), the floor, light on the product, particles,
    the camera path and the grade."""

    setting: Setting
    colours: tuple[RGB, RGB]  # the set's main colour and its dark/edge colour
    accents: tuple[RGB, ...]  # neon signs, grid lines, sun, leaves... (the setting decides)
    floor_colour: RGB
    reflection: float  # 0..1, a glossy floor's mirror image of the product
    shadow: float  # 0..1, contact shadow darkness
    key_light: RGB  # tint multiplied onto the product
    rim: RGB
    rim_strength: float
    sweep: float  # a light band crossing the product
    particles: Particles
    particle_colours: tuple[RGB, ...]
    particle_count: int
    camera: CameraPath
    easing: Easing
    grade: Grade
    flashes: bool = False  # photographers' flashes (runway)


LOOKS: dict[str, Look] = {
    "luxury_macro": Look(
        setting="radial", colours=((0.26, 0.18, 0.08), (0.02, 0.015, 0.01)), accents=((1.0, 0.78, 0.4),),
        floor_colour=(0.03, 0.025, 0.02), reflection=0.4, shadow=0.85, key_light=(1.05, 0.98, 0.88),
        rim=(1.0, 0.8, 0.45), rim_strength=0.45, sweep=0.6, particles="bokeh",
        particle_colours=((1.0, 0.78, 0.35), (1.0, 0.9, 0.6)), particle_count=26, camera="push_in",
        easing="cubic", grade=Grade(lift=(0.02, 0.01, 0.0), gain=(1.08, 1.0, 0.82), contrast=1.25, saturation=1.05,
                                    vignette=0.6, grain=0.02)),
    "neo_noir_night": Look(
        setting="street", colours=((0.05, 0.07, 0.14), (0.01, 0.015, 0.04)),
        accents=((1.0, 0.1, 0.55), (0.0, 0.8, 0.9), (1.0, 0.55, 0.1)), floor_colour=(0.02, 0.025, 0.05),
        reflection=0.65, shadow=0.7, key_light=(0.75, 0.85, 1.05), rim=(1.0, 0.15, 0.6), rim_strength=0.7,
        sweep=0.0, particles="rain", particle_colours=((0.7, 0.8, 1.0),), particle_count=150, camera="truck",
        easing="sine", grade=Grade(lift=(0.0, 0.02, 0.05), gain=(0.88, 1.0, 1.12), contrast=1.35, saturation=0.75,
                                   vignette=0.7, grain=0.05)),
    "warm_lifestyle_sunset": Look(
        setting="sky", colours=((0.4, 0.28, 0.5), (1.0, 0.55, 0.25)), accents=((1.0, 0.85, 0.5),),
        floor_colour=(0.45, 0.28, 0.18), reflection=0.1, shadow=0.55, key_light=(1.1, 0.92, 0.75),
        rim=(1.0, 0.62, 0.25), rim_strength=0.5, sweep=0.2, particles="dust",
        particle_colours=((1.0, 0.85, 0.6),), particle_count=55, camera="crane", easing="cubic",
        grade=Grade(lift=(0.06, 0.03, 0.02), gain=(1.1, 0.98, 0.8), contrast=0.95, saturation=1.12, vignette=0.3,
                    grain=0.015)),
    "futuristic_clean_studio": Look(
        setting="cyclorama", colours=((0.96, 0.97, 1.0), (0.78, 0.82, 0.88)), accents=((0.3, 0.85, 1.0),),
        floor_colour=(0.86, 0.88, 0.92), reflection=0.28, shadow=0.35, key_light=(1.0, 1.02, 1.05),
        rim=(0.5, 0.9, 1.0), rim_strength=0.2, sweep=0.45, particles="none", particle_colours=((0.4, 0.9, 1.0),),
        particle_count=0, camera="orbit", easing="cubic",
        grade=Grade(lift=(0.04, 0.05, 0.06), gain=(0.95, 1.0, 1.06), contrast=0.9, saturation=0.85, vignette=0.08)),
    "cyberpunk_showcase": Look(
        setting="grid", colours=((0.1, 0.01, 0.16), (0.01, 0.0, 0.03)), accents=((1.0, 0.1, 0.8), (0.1, 0.9, 1.0)),
        floor_colour=(0.03, 0.0, 0.06), reflection=0.45, shadow=0.6, key_light=(0.95, 0.85, 1.1),
        rim=(0.1, 0.95, 1.0), rim_strength=0.75, sweep=0.35, particles="sparks",
        particle_colours=((1.0, 0.2, 0.85), (0.2, 0.95, 1.0), (1.0, 0.9, 0.3)), particle_count=60,
        camera="rise_tilt", easing="quart",
        grade=Grade(gain=(1.06, 0.9, 1.15), contrast=1.2, saturation=1.45, vignette=0.5, grain=0.03,
                    aberration=2.0)),
    "film_35mm_editorial": Look(
        setting="window", colours=((0.8, 0.73, 0.62), (0.55, 0.48, 0.4)), accents=((1.0, 0.93, 0.8),),
        floor_colour=(0.6, 0.52, 0.42), reflection=0.0, shadow=0.65, key_light=(1.02, 0.98, 0.9),
        rim=(1.0, 1.0, 1.0), rim_strength=0.0, sweep=0.0, particles="dust", particle_colours=((1.0, 0.95, 0.85),),
        particle_count=25, camera="handheld", easing="cubic",
        grade=Grade(lift=(0.09, 0.09, 0.07), gain=(1.0, 0.96, 0.84), contrast=0.85, saturation=0.7, vignette=0.45,
                    grain=0.09)),
    "high_fashion_runway": Look(
        setting="stage", colours=((0.95, 0.95, 1.0), (0.0, 0.0, 0.0)), accents=((1.0, 1.0, 1.0),),
        floor_colour=(0.015, 0.015, 0.02), reflection=0.5, shadow=0.8, key_light=(1.05, 1.05, 1.05),
        rim=(1.0, 1.0, 1.0), rim_strength=0.5, sweep=0.0, particles="dust", particle_colours=((1.0, 1.0, 1.0),),
        particle_count=35, camera="pull_out", easing="quart",
        grade=Grade(contrast=1.5, saturation=0.2, vignette=0.6, grain=0.03), flashes=True),
    "nature_premium": Look(
        setting="foliage", colours=((0.28, 0.45, 0.2), (0.05, 0.15, 0.05)),
        accents=((0.5, 0.75, 0.25), (0.15, 0.35, 0.1), (0.9, 0.95, 0.5)), floor_colour=(0.22, 0.2, 0.14),
        reflection=0.15, shadow=0.6, key_light=(1.0, 1.02, 0.92), rim=(1.0, 0.95, 0.7), rim_strength=0.3,
        sweep=0.15, particles="pollen", particle_colours=((1.0, 1.0, 0.7),), particle_count=40, camera="drift",
        easing="sine",
        grade=Grade(lift=(0.02, 0.03, 0.01), gain=(0.98, 1.05, 0.9), contrast=1.05, saturation=1.15, vignette=0.35,
                    grain=0.015)),
}

COLOUR_WORDS: dict[str, RGB] = {
    "gold": (1.0, 0.78, 0.35), "golden": (1.0, 0.78, 0.35), "silver": (0.78, 0.8, 0.85), "red": (0.9, 0.12, 0.1),
    "crimson": (0.7, 0.05, 0.15), "orange": (1.0, 0.5, 0.1), "yellow": (1.0, 0.88, 0.2), "green": (0.2, 0.7, 0.3),
    "emerald": (0.05, 0.55, 0.35), "teal": (0.0, 0.6, 0.6), "cyan": (0.1, 0.85, 1.0), "blue": (0.15, 0.35, 0.95),
    "navy": (0.05, 0.1, 0.35), "purple": (0.55, 0.2, 0.8), "violet": (0.6, 0.3, 0.9), "pink": (1.0, 0.45, 0.7),
    "magenta": (1.0, 0.1, 0.8), "white": (0.96, 0.96, 0.96), "black": (0.04, 0.04, 0.05),
    "brown": (0.45, 0.3, 0.18), "beige": (0.85, 0.78, 0.65), "pastel": (0.95, 0.8, 0.85),
    "neon": (1.0, 0.15, 0.85), "copper": (0.85, 0.5, 0.3), "rose": (0.95, 0.55, 0.6),
}
SETTING_WORDS: tuple[tuple[str, Setting], ...] = (
    (r"sunset|golden hour|beach|summer|sunny|warm light", "sky"),
    (r"forest|nature|garden|leaf|leaves|plant", "foliage"),
    (r"city|street|night|urban|noir|rain", "street"), (r"cyber|neon|futur|sci-?fi|hologra", "grid"),
    (r"runway|stage|spotlight|fashion|catwalk", "stage"), (r"studio|clean|minimal|white|apple", "cyclorama"),
    (r"film|editorial|magazine|vintage|retro|window", "window"))
PARTICLE_WORDS: tuple[tuple[str, Particles], ...] = (
    (r"rain|storm|wet", "rain"), (r"snow|winter|frost|christmas", "snow"),
    (r"sparkl|glitter|spark|firework|neon|magic", "sparks"), (r"bokeh|lights|glow|shine|shiny|luxur", "bokeh"),
    (r"dust|haze|smoke|mist|fog", "dust"), (r"leaf|leaves|pollen|flower|nature|spring", "pollen"))
CAMERA_WORDS: tuple[tuple[str, CameraPath], ...] = (
    (r"zoom out|pull back|pull out|reveal|wide", "pull_out"),
    (r"zoom|push|close|macro|detail|focus", "push_in"), (r"orbit|rotat|spin|360|turn|around", "orbit"),
    (r"pan|slide|track|sideways|dolly", "truck"), (r"rise|rising|crane|up|tall|lift", "crane"),
    (r"tilt|dutch|dynamic|energetic|action", "rise_tilt"), (r"handheld|documentary|candid|film", "handheld"),
    (r"drift|float|calm|gentle|slow", "drift"))
DARK_WORDS = r"dark|night|moody|noir|black|shadow|dramatic|mysterious"
BRIGHT_WORDS = r"bright|light|airy|clean|white|fresh|pastel|soft"


_Word = TypeVar("_Word", bound=str)


def _first(patterns: tuple[tuple[str, _Word], ...], text: str) -> _Word | None:
    """The value of the pattern that matches earliest in ``text``."""
    best: tuple[int, _Word] | None = None
    for pattern, value in patterns:
        found = re.search(rf"\b(?:{pattern})", text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), value)
    return best[1] if best else None


def _scale(colour: RGB, factor: float) -> RGB:
    return (min(1.0, colour[0] * factor), min(1.0, colour[1] * factor), min(1.0, colour[2] * factor))


def _hue_colour(hue: float) -> RGB:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, 0.75, 1.0)
    return (r, g, b)


def look_from_prompt(prompt: str) -> Look:
    """A deterministic look from the words of ``prompt`` (see the module notes)."""
    text = " ".join(prompt.lower().split())
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    colours = [COLOUR_WORDS[w] for w in re.findall(r"[a-z]+", text) if w in COLOUR_WORDS]
    if not colours:
        colours = [_hue_colour(digest[0] / 255.0), _hue_colour(digest[0] / 255.0 + 0.45)]
    main, accent = colours[0], colours[1] if len(colours) > 1 else _hue_colour(digest[1] / 255.0)
    setting = _first(SETTING_WORDS, text) or "radial"
    particles = _first(PARTICLE_WORDS, text) or ("bokeh", "dust", "sparks", "pollen")[digest[2] % 4]
    camera = _first(CAMERA_WORDS, text) or ("push_in", "orbit", "truck", "drift", "crane")[digest[3] % 5]
    dark = re.search(rf"\b(?:{DARK_WORDS})", text) is not None
    bright = not dark and re.search(rf"\b(?:{BRIGHT_WORDS})", text) is not None
    base = {"sky": "warm_lifestyle_sunset", "foliage": "nature_premium", "street": "neo_noir_night",
            "grid": "cyberpunk_showcase", "stage": "high_fashion_runway", "cyclorama": "futuristic_clean_studio",
            "window": "film_35mm_editorial", "radial": "luxury_macro"}[setting]
    template = LOOKS[base]
    level = 1.0 if bright else 0.35 if dark else 0.6
    set_colours = (_scale(main, level), _scale(main, level * 0.2))
    grade = replace(template.grade, gain=(1.0, 1.0, 1.0), lift=(0.0, 0.0, 0.0),
                    contrast=1.3 if dark else 0.9 if bright else 1.1,
                    saturation=1.2 if "neon" in text or "vivid" in text else 1.0,
                    vignette=0.6 if dark else 0.15 if bright else 0.35)
    return replace(template, colours=set_colours, accents=(accent, main, _scale(accent, 0.7)),
                   rim=accent, rim_strength=max(template.rim_strength, 0.35), particles=particles,
                   particle_colours=(accent, _scale(main, 1.3)),
                   particle_count=template.particle_count or 40, camera=camera, grade=grade,
                   flashes=template.flashes and bool(re.search(r"flash|paparazzi|fashion|runway", text)))


def look_for(style: str, user_prompt: str = "") -> Look:
    """The look of a named style; ``custom`` reads ``user_prompt``."""
    if style == "custom":
        return look_from_prompt(user_prompt)
    return LOOKS[style]
