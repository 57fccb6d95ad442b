"""What a media file really is, read from its bytes (never from its name or client headers)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filetype

from ...core.errors import ImageTooLarge
from ...core.media_limits import MediaLimits, check_media, check_picture
from ..processes import children
from ..tools import require_tool

IMAGE_MIMES = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff"}
EXTENSIONS = {
    "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif",
    "image/bmp": "bmp", "image/tiff": "tif", "video/mp4": "mp4", "video/quicktime": "mov",
    "video/webm": "webm", "video/x-matroska": "mkv", "video/x-msvideo": "avi",
    "audio/mpeg": "mp3", "audio/x-wav": "wav", "audio/wav": "wav", "audio/ogg": "ogg",
    "audio/x-flac": "flac", "audio/flac": "flac", "audio/mp4": "m4a", "audio/aac": "aac",
    "audio/webm": "weba", "audio/opus": "opus",
}


@dataclass
class ProbeResult:
    kind: str  # image | video | audio
    mime: str
    ext: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    codecs: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int | None:
        """Frames of a video (counted, or estimated from duration x rate), or of an animated image."""
        counted = self.codecs.get("frames")
        if isinstance(counted, int):
            return counted
        fps = self.codecs.get("fps")
        if (self.kind == "video" and self.duration is not None and math.isfinite(self.duration)
                and isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
            return round(self.duration * fps)
        return None

    def check(self, limits: MediaLimits, *, what: str = "the media") -> None:
        """IMAGE_TOO_LARGE / MEDIA_TOO_LONG when decoding this file would cost more than allowed."""
        check_media(self.kind, self.width, self.height, self.duration, self.frames, limits, what=what)


class NotMedia(ValueError):
    """The bytes are not an image, video or audio file the studio can use."""


def sniff_mime(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def configure_pillow(limits: MediaLimits) -> None:
    """Pillow's own decompression-bomb guard follows the studio's pixel limit (the one place it is set)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels


def probe(path: Path, limits: MediaLimits | None = None) -> ProbeResult:
    """Identify and measure a file: Pillow for images, PyAV (or ffprobe) for audio and video.

    With ``limits``, a file whose header declares more than they allow is refused
    (IMAGE_TOO_LARGE / MEDIA_TOO_LONG) before any of it is decoded.
    """
    with path.open("rb") as fh:
        head = fh.read(8192)
    mime = sniff_mime(head)
    if mime in IMAGE_MIMES:
        info = _probe_image(path, mime, limits)
    elif mime is None or mime.startswith(("video/", "audio/")) or mime == "application/ogg":
        info = _probe_av(path, mime)
    else:
        raise NotMedia(f"unsupported file type {mime}")
    if limits is not None:
        info.check(limits)
    return info


def _probe_image(path: Path, mime: str, limits: MediaLimits | None) -> ProbeResult:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
            if limits is not None:  # before verify() or n_frames read anything more
                check_picture(width, height, limits)
            img.verify()
        with Image.open(path) as img:
            mode = img.mode
            frames = getattr(img, "n_frames", 1)
    except Image.DecompressionBombError as exc:  # Pillow's own guard fired on open, before check_picture
        raise ImageTooLarge(f"the image has more than {Image.MAX_IMAGE_PIXELS} pixels (setting max_image_pixels)",
                            details={"max_pixels": Image.MAX_IMAGE_PIXELS}) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise NotMedia(f"not a readable image: {_without_paths(str(exc), path)}") from exc
    return ProbeResult("image", mime, EXTENSIONS[mime], width, height, None,
                       {"mode": mode, "frames": frames})


def _describe_with_ffprobe(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ffprobe = require_tool("ffprobe")
    proc = children.run(
        [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)], timeout=60)
    if proc.returncode != 0:
        raise NotMedia("not a readable audio or video file")
    info = json.loads(proc.stdout or "{}")
    return info.get("format", {}), info.get("streams", [])


def _describe_with_pyav(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The same description ffprobe gives, read in-process through PyAV (about 30x faster
    than starting ffprobe); None when PyAV is not installed."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(path)) as container:
            fmt = {"format_name": container.format.name,
                   "duration": container.duration / 1_000_000 if container.duration else None}
            streams: list[dict[str, Any]] = []
            for stream in container.streams:
                ctx: Any = stream.codec_context
                item: dict[str, Any] = {
                    "codec_type": stream.type,
                    "codec_name": ctx.name if ctx is not None else None,
                    "duration": float(stream.duration * stream.time_base)
                    if stream.duration and stream.time_base else None,
                    "disposition": {"attached_pic": int(bool(stream.disposition
                                                             & av.stream.Disposition.attached_pic))},
                }
                if stream.type == "video":
                    rate = stream.average_rate
                    item.update(width=ctx.width, height=ctx.height, pix_fmt=ctx.pix_fmt,
                                avg_frame_rate=f"{rate.numerator}/{rate.denominator}" if rate else None,
                                nb_frames=str(stream.frames) if stream.frames else "")
                elif stream.type == "audio":
                    item.update(sample_rate=ctx.sample_rate, channels=ctx.layout.nb_channels)
                streams.append(item)
    except Exception as exc:  # PyAV raises many types on hostile input; all mean "not usable media"
        # FFmpeg's messages name the server path of the file: say what failed, never where
        reason = exc.strerror if isinstance(exc, av.FFmpegError) and exc.strerror else "unrecognised data"
        raise NotMedia(f"not a readable audio or video file: {reason}") from exc
    return fmt, streams


def _probe_av(path: Path, mime: str | None) -> ProbeResult:
    described = _describe_with_pyav(path)
    fmt, streams = described if described is not None else _describe_with_ffprobe(path)
    format_name = str(fmt.get("format_name") or "")
    if format_name.endswith("_pipe") or format_name in ("image2", "tty"):
        # a picture (or text) format Pillow did not recognise, e.g. SVG: not media the studio decodes
        raise NotMedia(f"unsupported file type ({format_name})")
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise NotMedia("the file has no audio or video stream")
    duration = _float(fmt.get("duration")) or _float((video or audio or {}).get("duration"))
    codecs: dict[str, Any] = {"container": fmt.get("format_name")}
    if video is not None:
        codecs["video"] = video.get("codec_name")
        codecs["fps"] = _fps(video.get("avg_frame_rate") or video.get("r_frame_rate"))
        codecs["frames"] = int(video["nb_frames"]) if str(video.get("nb_frames", "")).isdigit() else None
        codecs["pix_fmt"] = video.get("pix_fmt")
    if audio is not None:
        codecs["audio"] = audio.get("codec_name")
        codecs["sample_rate"] = int(audio.get("sample_rate") or 0) or None
        codecs["channels"] = audio.get("channels")
    if video is not None:
        kind = "video"
        mime = mime if mime and mime.startswith("video/") else _video_mime(fmt.get("format_name", ""))
    else:
        kind = "audio"
        mime = mime if mime and mime.startswith("audio/") else _audio_mime(fmt.get("format_name", ""))
    return ProbeResult(
        kind, mime, EXTENSIONS.get(mime, "bin"),
        int(video["width"]) if video and video.get("width") else None,
        int(video["height"]) if video and video.get("height") else None,
        duration, codecs,
    )


def _without_paths(message: str, path: Path) -> str:
    """A library message with the file's server path taken out."""
    return message.replace(str(path), path.name).replace(str(path.parent), "")


def _video_mime(format_name: str) -> str:
    if "webm" in format_name or "matroska" in format_name:
        return "video/webm" if "webm" in format_name else "video/x-matroska"
    if "mov" in format_name or "mp4" in format_name:
        return "video/mp4"
    if "avi" in format_name:
        return "video/x-msvideo"
    return "video/mp4"


def _audio_mime(format_name: str) -> str:
    for key, mime in (("wav", "audio/x-wav"), ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"),
                      ("flac", "audio/flac"), ("mp4", "audio/mp4"), ("aac", "audio/aac"),
                      ("webm", "audio/webm")):
        if key in format_name:
            return mime
    return "audio/mpeg"


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fps(rate: str | None) -> float | None:
    if not rate or "/" not in rate:
        return _float(rate)
    num, den = rate.split("/", 1)
    try:
        return round(float(num) / float(den), 3) if float(den) else None
    except ValueError:
        return None
