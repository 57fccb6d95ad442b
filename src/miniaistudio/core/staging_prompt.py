"""The virtual-staging prompt: an interior style and a room type as words an image-edit model follows.

Template (``staging_prompt``)::

    Furnish this empty {room} in {style} style: {furniture}. {look}.
    Keep the walls, windows, doors, floor, ceiling, lighting direction and camera angle exactly as
    they are. Photorealistic real-estate photograph, natural daylight, sharp focus.

and a fixed negative prompt (``STAGING_NEGATIVE``) against the usual failures (warped
architecture, people, text). Instruction-tuned edit models (InstructPix2Pix, Qwen-Image-Edit,
Kontext) take it as an instruction; img2img on a text-to-image model takes it as a description
of the result. The same style and room always give the same prompt.
"""

from __future__ import annotations

from typing import Literal

Style = Literal["modern", "scandinavian", "industrial", "minimalist", "mid_century", "coastal", "farmhouse",
                "luxury", "bohemian", "traditional"]
Room = Literal["living_room", "bedroom", "dining_room", "kitchen", "home_office", "kids_room", "bathroom",
               "living", "dining", "office", "kids"]
#: Short names clients send (the Studii seed's ``"room": "living"``) for the rooms above.
ROOM_ALIASES = {"living": "living_room", "dining": "dining_room", "office": "home_office", "kids": "kids_room"}

STYLE_LOOKS: dict[str, str] = {
    "modern": "clean lines, neutral palette with black accents, sleek low-profile furniture",
    "scandinavian": "light oak wood, white and soft grey textiles, cosy wool throws, plants",
    "industrial": "exposed metal, dark leather, reclaimed wood, Edison bulb lighting",
    "minimalist": "very few pieces, uncluttered surfaces, white and beige, hidden storage",
    "mid_century": "walnut furniture with tapered legs, mustard and teal accents, organic shapes",
    "coastal": "whitewashed wood, linen in sand and sea blue, rattan, airy and bright",
    "farmhouse": "rustic wood, shiplap details, warm whites, vintage accents",
    "luxury": "velvet and marble, brass details, rich deep colours, statement lighting",
    "bohemian": "layered patterned rugs, macrame, rattan, many plants, warm earthy colours",
    "traditional": "classic wood furniture, rich fabrics, symmetry, elegant lamps",
}
ROOM_FURNITURE: dict[str, str] = {
    "living_room": "a sofa, armchairs, a coffee table, a rug, floor lamps and wall art",
    "bedroom": "a made double bed with pillows, bedside tables with lamps, a rug and a dresser",
    "dining_room": "a dining table with chairs, a pendant light above it and a sideboard",
    "kitchen": "bar stools at the counter, a bowl of fruit, small plants and tidy accessories",
    "home_office": "a desk, an ergonomic chair, shelves with books, a desk lamp and a plant",
    "kids_room": "a child's bed, a play rug, toy storage, a small desk and playful decor",
    "bathroom": "folded towels, a bath mat, plants, soap dispensers and a framed mirror",
}
STAGING_NEGATIVE = ("people, text, watermark, warped walls, distorted windows, changed architecture, "
                    "floating furniture, blurry, low quality, cartoon")


def room_words(room: str) -> str:
    return room.replace("_", " ")


def staging_prompt(style: str, room: str) -> str:
    """The documented prompt for ``style`` and ``room`` (both keys of the tables above; a room may be a short alias)."""
    room = ROOM_ALIASES.get(room, room)
    if style not in STYLE_LOOKS:
        raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLE_LOOKS)}")
    if room not in ROOM_FURNITURE:
        raise ValueError(f"unknown room {room!r}; one of {', '.join(ROOM_FURNITURE)}")
    look = STYLE_LOOKS[style]
    return (f"Furnish this empty {room_words(room)} in {style.replace('_', '-')} style: {ROOM_FURNITURE[room]}. "
            f"{look[0].upper()}{look[1:]}. Keep the walls, windows, doors, floor, ceiling, lighting direction and "
            "camera angle exactly as they are. Photorealistic real-estate photograph, natural daylight, "
            "sharp focus.")
