"""Video and audio editing on ffmpeg: frame extract, trim, split into tracks, mux."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import (
    AudioInput,
    AudioOutput,
    ImageOutput,
    Node,
    NodeOutput,
    Socket,
    VideoInput,
    VideoOutput,
    node,
)
from ..core.sockets import SocketType
from ..core.values import MediaRef
from ..runtimes.media.ffmpeg import (
    AAC_ARGS,
    EVEN_DIMENSIONS,
    H264_ARGS,
    MP4_VIDEO_CODECS,
    X264Preset,
    audio_copy_container,
    copy_container,
    keyframe_times,
    run_ffmpeg,
)
from ..runtimes.media.probe import NotMedia, ProbeResult, probe

MAX_SECONDS = 24 * 3600.0


def _require(ref: MediaRef | None) -> MediaRef:
    assert ref is not None, "validated by the engine: required inputs are linked"
    return ref


def _probe_input(path: Path) -> ProbeResult:
    try:
        return probe(path)
    except NotMedia as exc:
        raise NodeFailed(f"the input is not a readable media file: {exc}", code="INPUT_INVALID") from exc


def _media_duration(ref: MediaRef, info: ProbeResult) -> float:
    duration = info.duration or ref.duration
    if not duration or duration <= 0:
        raise NodeFailed("the input has no known duration", code="INPUT_INVALID")
    return duration


def _faststart(ext: str) -> list[str]:
    return ["-movflags", "+faststart"] if ext in ("mp4", "m4a") else []


# ---------------------------------------------------------------------------- frame extract

@node("video.frame_extract", title="Frame Extract", category="Video")
class FrameExtract(Node):
    """One frame of a video as an image: the first, the last, at a time, or by frame number."""

    video: VideoInput
    at: Literal["time", "frame", "first", "last"] = Field(
        default="time", description="How the frame is chosen")
    time: float = Field(default=0.0, ge=0.0, le=MAX_SECONDS,
                        description="Seconds from the start (when 'at' is 'time'): the frame shown then")
    frame: int = Field(default=0, ge=0, le=10_000_000, description="Frame number from 0 (when 'at' is 'frame')")
    out_of_range: Literal["error", "clamp"] = Field(
        default="error", description="Past the end: fail, or take the last frame")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from PIL import Image

        ref = _require(self.video)
        out = ctx.work_path(".png")
        with ctx.media_path(ref) as src:
            info = _probe_input(src)
            duration = _media_duration(ref, info)
            fps = info.codecs.get("fps") or 25.0
            frame_count = info.codecs.get("frames") or max(1, math.floor(duration * fps))
            index = self._frame_index(fps, frame_count)
            if index is None:  # the last frame: decode the final second, keep overwriting one file
                args = ["-sseof", f"-{min(1.0, duration):.3f}", "-i", str(src), "-map", "0:v:0",
                        "-fps_mode", "passthrough", "-update", "1"]
            else:  # seek a quarter frame early: the wanted frame is the first one at or after it
                seek = max(0.0, (index - 0.25) / fps)
                args = ["-ss", f"{seek:.6f}", "-i", str(src), "-map", "0:v:0", "-frames:v", "1"]
            run_ffmpeg(ctx, args, out, duration=None, require_output=False)
        if not out.exists() or out.stat().st_size == 0:
            raise NodeFailed(f"no frame at {self._describe()}: the video ends at {duration:.3f} s",
                             code="FRAME_OUT_OF_RANGE")
        with Image.open(out) as raw:
            img = raw.copy()
        params = {**self.model_dump(exclude={"video"}), "frame_index": index}
        return ImageOutput(image=ctx.save_image(img, Provenance(engine="ffmpeg", params=params,
                                                                 source=ref.media_id)))

    def _frame_index(self, fps: float, frame_count: int) -> int | None:
        """The frame number to take, or None for the last frame."""
        if self.at == "first":
            return 0
        if self.at == "last":
            return None
        index = self.frame if self.at == "frame" else math.floor(self.time * fps + 1e-6)
        if index < frame_count:
            return index
        if self.out_of_range == "clamp":
            return None
        raise NodeFailed(f"{self._describe()} is past the end of the video ({frame_count} frames at {fps:g} fps)",
                         code="FRAME_OUT_OF_RANGE",
                         details={"frame_count": frame_count, "fps": fps})

    def _describe(self) -> str:
        return {"time": f"time {self.time:g} s", "frame": f"frame {self.frame}"}.get(self.at, f"the {self.at} frame")


# ------------------------------------------------------------------------------------- trim

class _TimeRange(Node):
    start: float = Field(default=0.0, ge=0.0, le=MAX_SECONDS, description="Seconds from the start")
    end: float | None = Field(default=None, gt=0.0, le=MAX_SECONDS,
                              description="Seconds from the start where the cut ends; empty = to the end")
    duration: float | None = Field(default=None, gt=0.0, le=MAX_SECONDS,
                                   description="Length of the cut; use instead of 'end'")

    def window(self, media_duration: float) -> tuple[float, float]:
        """(start, end) in seconds, checked against the media's length."""
        if self.end is not None and self.duration is not None:
            raise NodeFailed("give 'end' or 'duration', not both", code="INVALID_RANGE")
        if self.start >= media_duration:
            raise NodeFailed(f"start {self.start:g} s is past the end of the media ({media_duration:.3f} s)",
                             code="INVALID_RANGE")
        end = self.end if self.end is not None else (
            self.start + self.duration if self.duration is not None else media_duration)
        if end <= self.start:
            raise NodeFailed(f"end {end:g} s must be after start {self.start:g} s", code="INVALID_RANGE")
        return self.start, min(end, media_duration)


@node("video.trim", title="Trim Video", category="Video")
class TrimVideo(_TimeRange):
    """Cut a section of a video. Stream copy (fast, lossless) when the cut starts on a keyframe,
    otherwise a frame-accurate re-encode (H.264/AAC). A copy ends on a packet boundary, so it may
    run a few frames past the asked end."""

    video: VideoInput
    mode: Literal["auto", "copy", "reencode"] = Field(
        default="auto",
        description="auto: copy when the start is a keyframe, else re-encode; "
                    "copy: always copy (the start moves back to the keyframe before it); reencode: always encode")
    preset: X264Preset = Field(default="veryfast", description="x264 speed/size trade-off when re-encoding")
    crf: int = Field(default=20, ge=0, le=51, description="x264 quality when re-encoding (lower = better)")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        ref = _require(self.video)
        with ctx.media_path(ref) as src:
            info = _probe_input(src)
            start, end = self.window(_media_duration(ref, info))
            fps = info.codecs.get("fps") or 25.0
            keyframe = None
            if self.mode != "reencode":
                tolerance = 0.5 / fps
                keyframe = max((k for k in keyframe_times(ctx, src, until=start) if k <= start + tolerance),
                               default=0.0)
            copy = self.mode == "copy" or (self.mode == "auto" and keyframe is not None
                                           and abs(keyframe - start) <= 0.5 / fps)
            if copy:
                assert keyframe is not None
                start = keyframe
                ext = copy_container(info.codecs.get("video"), info.codecs.get("audio"))
                codec_args = ["-c", "copy"]
            else:
                ext = "mp4"
                codec_args = ["-vf", EVEN_DIMENSIONS, *H264_ARGS, "-preset", self.preset,
                              "-crf", str(self.crf), *AAC_ARGS]
            out = ctx.work_path(f".{ext}")
            provenance = Provenance(engine="ffmpeg", method="copy" if copy else "reencode",
                                    start=start, end=end, source=ref.media_id,
                                    params=self.model_dump(exclude={"video"}))
            run_ffmpeg(ctx, ["-ss", f"{start:.6f}", "-i", str(src), "-t", f"{end - start:.6f}",
                             "-map", "0:v:0", "-map", "0:a:0?", *codec_args, *_faststart(ext)],
                       out, duration=end - start, provenance=provenance)
        return VideoOutput(video=ctx.store_file(out, "video", provenance))


@node("audio.trim", title="Trim Audio", category="Audio")
class TrimAudio(_TimeRange):
    """Cut a section of an audio file. Uncompressed audio is copied sample-exactly;
    compressed audio is re-encoded to AAC unless 'copy' is asked."""

    audio: AudioInput
    mode: Literal["auto", "copy", "reencode"] = Field(
        default="auto", description="auto: copy uncompressed audio, re-encode the rest")

    def invoke(self, ctx: NodeContext) -> AudioOutput:
        ref = _require(self.audio)
        with ctx.media_path(ref) as src:
            info = _probe_input(src)
            start, end = self.window(_media_duration(ref, info))
            codec = info.codecs.get("audio")
            copy_ext = audio_copy_container(codec)
            copy = self.mode == "copy" or (self.mode == "auto" and copy_ext == "wav")
            if copy and copy_ext is None:
                raise NodeFailed(f"{codec} audio cannot be copied into a file of its own; use mode 'reencode'",
                                 code="COPY_UNSUPPORTED")
            ext = copy_ext if copy and copy_ext else "m4a"
            codec_args = ["-c:a", "copy"] if copy else list(AAC_ARGS)
            out = ctx.work_path(f".{ext}")
            provenance = Provenance(engine="ffmpeg", method="copy" if copy else "reencode",
                                    start=start, end=end, source=ref.media_id,
                                    params=self.model_dump(exclude={"audio"}))
            run_ffmpeg(ctx, ["-ss", f"{start:.6f}", "-i", str(src), "-t", f"{end - start:.6f}",
                             "-map", "0:a:0", "-vn", *codec_args, *_faststart(ext)],
                       out, duration=end - start, provenance=provenance)
        return AudioOutput(audio=ctx.store_file(out, "audio", provenance))


# ------------------------------------------------------------------------------ split, mux

class SplitOutput(NodeOutput):
    video: Annotated[MediaRef, Socket(SocketType.VIDEO, description="The video track, without sound")]
    audio: Annotated[MediaRef, Socket(SocketType.AUDIO, description="The first audio track")]


@node("video.split", title="Split Tracks", category="Video")
class SplitTracks(Node):
    """Separate a video into its picture (no sound) and its sound, both stream-copied."""

    video: VideoInput

    def invoke(self, ctx: NodeContext) -> SplitOutput:
        ref = _require(self.video)
        with ctx.media_path(ref) as src:
            info = _probe_input(src)
            audio_codec = info.codecs.get("audio")
            if audio_codec is None:
                raise NodeFailed("the video has no audio track", code="NO_AUDIO_TRACK")
            duration = info.duration or ref.duration
            video_ext = copy_container(info.codecs.get("video"), None)
            video_out = ctx.work_path(f".{video_ext}")
            video_prov = Provenance(engine="ffmpeg", method="copy", track="video", source=ref.media_id,
                                    params={})
            run_ffmpeg(ctx, ["-i", str(src), "-map", "0:v:0", "-an", "-c:v", "copy", *_faststart(video_ext)],
                       video_out, duration=duration, provenance=video_prov)
            audio_ext = audio_copy_container(audio_codec)
            audio_out = ctx.work_path(f".{audio_ext or 'm4a'}")
            audio_prov = Provenance(engine="ffmpeg", method="copy" if audio_ext else "reencode", track="audio",
                                    source=ref.media_id, params={})
            codec_args = ["-c:a", "copy"] if audio_ext else list(AAC_ARGS)
            run_ffmpeg(ctx, ["-i", str(src), "-map", "0:a:0", "-vn", *codec_args,
                             *_faststart(audio_ext or "m4a")],
                       audio_out, duration=duration, provenance=audio_prov)
        return SplitOutput(video=ctx.store_file(video_out, "video", video_prov),
                           audio=ctx.store_file(audio_out, "audio", audio_prov))


@node("video.mux", title="Add Audio", category="Video")
class MuxAudio(Node):
    """Put an audio track on a video: the picture is copied, the sound encoded to AAC.
    Any sound the video had is replaced."""

    video: VideoInput
    audio: AudioInput
    shortest: bool = Field(default=True, description="End when the shorter of picture and sound ends")
    audio_offset: float = Field(default=0.0, ge=-3600.0, le=3600.0,
                                description="Seconds to delay the sound (negative: skip its beginning)")
    volume: float = Field(default=1.0, ge=0.0, le=10.0, description="Sound volume factor (1 = unchanged)")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        video, audio = _require(self.video), _require(self.audio)
        filters: list[str] = []
        if self.audio_offset > 0:
            filters.append(f"adelay={round(self.audio_offset * 1000)}:all=1")
        elif self.audio_offset < 0:
            filters.append(f"atrim=start={-self.audio_offset:.6f},asetpts=PTS-STARTPTS")
        if self.volume != 1.0:
            filters.append(f"volume={self.volume:.4f}")
        with ctx.media_path(video) as video_src, ctx.media_path(audio) as audio_src:
            info = _probe_input(video_src)
            ext = "mp4" if info.codecs.get("video") in MP4_VIDEO_CODECS else "mkv"
            video_length = info.duration or video.duration
            audio_length = audio.duration + self.audio_offset if audio.duration else None
            lengths = [d for d in (video_length, audio_length) if d and d > 0]
            # An explicit -t ends exactly where the shorter track does; -shortest overshoots with copied video.
            if self.shortest:
                length_args = ["-t", f"{min(lengths):.6f}"] if len(lengths) == 2 else ["-shortest"]
            else:
                length_args = []
            out = ctx.work_path(f".{ext}")
            provenance = Provenance(engine="ffmpeg", method="copy-video", source=video.media_id,
                                    audio_source=audio.media_id,
                                    params=self.model_dump(exclude={"video", "audio"}))
            run_ffmpeg(ctx, ["-i", str(video_src), "-i", str(audio_src), "-map", "0:v:0", "-map", "1:a:0",
                             "-c:v", "copy", *(["-af", ",".join(filters)] if filters else []), *AAC_ARGS,
                             *length_args, *_faststart(ext)],
                       out, duration=(min if self.shortest else max)(lengths) if lengths else None,
                       provenance=provenance)
        return VideoOutput(video=ctx.store_file(out, "video", provenance))
