"""The camera prompt: azimuth, elevation and distance as words a camera-angle LoRA knows.

Multi-angle LoRAs for image-edit models (e.g. ``fal/Qwen-Image-Edit-2511-Multiple-Angles-LoRA``)
are trained on 96 poses named ``<sks> [azimuth] [elevation] [distance]``: 8 azimuths every 45°,
4 elevations (-30°, 0°, 30°, 60°) and 3 distances. :func:`camera_prompt` snaps a free camera
move to the nearest trained pose, so the same move always yields the same prompt (loops call
it once per iteration and rely on that).

Conventions (shared with ``runtimes.creative.camera_motion.CameraMove``):

- ``azimuth`` in degrees, -180..180: 0 = the original front view; positive orbits the camera
  to the subject's right (45 = front-right quarter view), negative to its left; ±180 = back view.
- ``elevation`` in degrees, -60..60: 0 = eye level, positive looks down from above, negative
  looks up from below.
- ``distance`` 0.5..2.0, relative to the original framing: 1.0 unchanged, below 1 closer,
  above 1 farther. Snapped in log space: < 1/√2 close-up, > √2 wide shot, else medium shot.
"""

from __future__ import annotations

import math

TRIGGER = "<sks>"

AZIMUTHS: tuple[tuple[int, str], ...] = (
    (0, "front view"),
    (45, "front-right quarter view"),
    (90, "right side view"),
    (135, "back-right quarter view"),
    (180, "back view"),
    (225, "back-left quarter view"),
    (270, "left side view"),
    (315, "front-left quarter view"),
)
ELEVATIONS: tuple[tuple[int, str], ...] = (
    (-30, "low-angle shot"),
    (0, "eye-level shot"),
    (30, "elevated shot"),
    (60, "high-angle shot"),
)
CLOSE_UP_BELOW = 1 / math.sqrt(2)
WIDE_ABOVE = math.sqrt(2)


def azimuth_words(azimuth: float) -> str:
    """The nearest of the 8 trained azimuths (ties go to the lower angle, counter-clockwise)."""
    if not math.isfinite(azimuth):
        raise ValueError("azimuth must be a finite number of degrees")
    angle = azimuth % 360.0
    index = math.floor(angle / 45.0 + 0.5 - 1e-9) % len(AZIMUTHS)
    return AZIMUTHS[index][1]


def elevation_words(elevation: float) -> str:
    """The nearest trained elevation; beyond -30/60 the extreme one (ties go toward eye level)."""
    if not math.isfinite(elevation):
        raise ValueError("elevation must be a finite number of degrees")
    return min(ELEVATIONS, key=lambda item: (abs(item[0] - elevation), abs(item[0])))[1]


def distance_words(distance: float) -> str:
    if not math.isfinite(distance) or distance <= 0:
        raise ValueError("distance must be a positive number (1.0 = unchanged)")
    if distance < CLOSE_UP_BELOW:
        return "close-up"
    if distance > WIDE_ABOVE:
        return "wide shot"
    return "medium shot"


def camera_prompt(azimuth: float, elevation: float, distance: float) -> str:
    """The exact edit prompt for a camera move, e.g. ``camera_prompt(45, 30, 1.0)`` →
    ``"<sks> front-right quarter view elevated shot medium shot"``."""
    return f"{TRIGGER} {azimuth_words(azimuth)} {elevation_words(elevation)} {distance_words(distance)}"
