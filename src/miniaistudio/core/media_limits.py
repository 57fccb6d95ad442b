"""Bounds on what one media file may cost to decode: pixels, longest side, duration, frames.

Checked from a file's measurements (header values, read without decoding), at upload and
again before a node loads media, so a small file that declares a huge size is refused
before anything allocates for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ImageTooLarge, MediaTooLong


@dataclass(frozen=True)
class MediaLimits:
    max_pixels: int = 64_000_000
    max_side: int = 16_384
    max_duration_seconds: float = 4 * 3600
    max_frames: int = 4 * 3600 * 60


DEFAULT_MEDIA_LIMITS = MediaLimits()


def check_picture(width: int | None, height: int | None, limits: MediaLimits, *, what: str = "the image") -> None:
    """IMAGE_TOO_LARGE when a picture (an image or a video frame) is over the pixel or side limit."""
    if width is None or height is None:
        return
    details = {"width": width, "height": height, "max_pixels": limits.max_pixels, "max_side": limits.max_side}
    if max(width, height) > limits.max_side:
        raise ImageTooLarge(f"{what} is {width}x{height}; sides may be at most {limits.max_side} pixels "
                            "(setting max_image_side)", details=details)
    if width * height > limits.max_pixels:
        raise ImageTooLarge(f"{what} is {width}x{height}; at most {limits.max_pixels} pixels are allowed "
                            "(setting max_image_pixels)", details=details)


def check_timeline(duration: float | None, frames: int | None, limits: MediaLimits,
                   *, what: str = "the media") -> None:
    """MEDIA_TOO_LONG when a video or audio file lasts too long or has too many frames."""
    if duration is not None and not duration <= limits.max_duration_seconds:  # NaN too
        raise MediaTooLong(f"{what} lasts {duration:.0f} s; at most {limits.max_duration_seconds:.0f} s "
                           "are allowed (setting max_media_duration_seconds)",
                           details={"duration": duration, "max_duration_seconds": limits.max_duration_seconds})
    if frames is not None and frames > limits.max_frames:
        raise MediaTooLong(f"{what} has {frames} frames; at most {limits.max_frames} are allowed "
                           "(setting max_video_frames)", details={"frames": frames, "max_frames": limits.max_frames})


def check_media(kind: str, width: int | None, height: int | None, duration: float | None,
                frames: int | None, limits: MediaLimits, *, what: str = "the media") -> None:
    """Every applicable bound for a file of ``kind`` (image, video or audio)."""
    if kind in ("image", "video"):
        check_picture(width, height, limits, what=what)
    if kind in ("video", "audio"):
        check_timeline(duration, frames, limits, what=what)
    elif frames is not None:  # an animated image
        check_timeline(None, frames, limits, what=what)
