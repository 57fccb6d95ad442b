"""Speech to Text (transcript + SRT/WebVTT captions) and Burn Captions onto a video.

Captions travel as text: media sockets carry image, video or audio only, so the
transcriber outputs the SRT and WebVTT documents on text sockets, which Burn Captions
(or any text consumer) takes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import Node, NodeOutput, Socket, VideoInput, VideoOutput, node
from ..core.sockets import SocketType
from ..core.values import MediaRef

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class TranscriptOutput(NodeOutput):
    text: Annotated[str, Socket(SocketType.TEXT, description="The transcript", label="Transcript")]
    srt: Annotated[str, Socket(SocketType.TEXT, description="Captions as SubRip (.srt)", label="SRT")]
    vtt: Annotated[str, Socket(SocketType.TEXT, description="Captions as WebVTT (.vtt)", label="VTT")]


@node("audio.transcribe", title="Speech to Text", category="Audio", tags=("stt", "captions", "whisper"))
class SpeechToText(Node):
    """Transcribe speech in an audio or video file with Whisper (faster-whisper base, int8 on CPU)."""

    media: Annotated[MediaRef | None, Socket(SocketType.MEDIA, description="Audio or video with speech")]
    language: str = Field(default="auto", pattern=r"^(auto|[a-z]{2,3})$",
                          description="Spoken language as an ISO code (en, fr, ...) or auto-detect")
    translate: bool = Field(default=False, description="Translate the speech into English")
    beam_size: int = Field(default=1, ge=1, le=8, description="Higher is slower and slightly more accurate")
    vad_filter: bool = Field(default=False, description="Skip silence with voice activity detection")

    def invoke(self, ctx: NodeContext) -> TranscriptOutput:
        from ..runtimes.models import stt
        from ..runtimes.models.model_host import host_of

        assert self.media is not None
        if self.media.kind == "image":
            raise NodeFailed("Speech to Text takes audio or video, not an image", code="WRONG_MEDIA_KIND")

        def on_segment(segment: stt.Segment, fraction: float) -> None:
            ctx.check_canceled()
            ctx.progress(min(0.99, fraction), segment.text)

        ctx.progress(0.0, "loading the speech model")
        with ctx.media_path(self.media) as path:
            transcript = stt.transcribe(path, language=None if self.language == "auto" else self.language,
                                        translate=self.translate, beam_size=self.beam_size,
                                        vad_filter=self.vad_filter, on_segment=on_segment,
                                        cache=host_of(ctx).cache)
        ctx.progress(1.0, f"whisper base: {len(transcript.segments)} segments, language {transcript.language}")
        return TranscriptOutput(text=transcript.text, srt=stt.to_srt(transcript.segments),
                                vtt=stt.to_vtt(transcript.segments))


def _ass_color(hex_color: str) -> str:
    """#RRGGBB as an ASS colour (&HAABBGGRR, opaque)."""
    r, g, b = hex_color[1:3], hex_color[3:5], hex_color[5:7]
    return f"&H00{b}{g}{r}".upper()


@node("video.burn_captions", title="Burn Captions", category="Video", tags=("captions", "subtitles"))
class BurnCaptions(Node):
    """Render SRT or WebVTT captions into the picture (libass); the audio is kept."""

    video: VideoInput
    captions: Annotated[str | None, Socket(SocketType.TEXT, description="SRT or WebVTT text, e.g. from Speech to Text")]
    font: str = Field(default="DejaVu Sans", max_length=100, description="An installed font family")
    font_size: int = Field(default=18, ge=6, le=120,
                           description="In libass units: 288 is the picture height")
    color: str = Field(default="#ffffff", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})
    outline_color: str = Field(default="#000000", pattern=HEX_COLOR, json_schema_extra={"widget": "color"})
    outline: float = Field(default=1.5, ge=0, le=10)
    box: bool = Field(default=False, description="Draw an opaque box behind the text instead of an outline")
    position: Literal["bottom", "middle", "top"] = "bottom"
    margin: int = Field(default=16, ge=0, le=200, description="Distance from the edge, libass units")
    crf: int = Field(default=20, ge=0, le=51, description="H.264 quality (lower = better)")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        from ..runtimes.media.ffmpeg import (
            AAC_ARGS,
            EVEN_DIMENSIONS,
            H264_ARGS,
            MP4_AUDIO_CODECS,
            filter_escape,
            run_ffmpeg,
        )
        from ..runtimes.media.fonts import resolve_font
        from ..runtimes.media.probe import probe

        assert self.video is not None
        text = (self.captions or "").strip()
        if "-->" not in text:
            raise NodeFailed("the captions are not SRT or WebVTT (no 'start --> end' lines)",
                             code="INPUT_INVALID")
        face = resolve_font(self.font)
        subs = ctx.work_path(".vtt" if text.startswith("WEBVTT") else ".srt")
        subs.write_text(text + "\n", encoding="utf-8")
        alignment = {"bottom": 2, "middle": 5, "top": 8}[self.position]
        style = ",".join([
            f"FontName={face.family}", f"FontSize={self.font_size}",
            f"PrimaryColour={_ass_color(self.color)}", f"OutlineColour={_ass_color(self.outline_color)}",
            f"BackColour={_ass_color(self.outline_color)}", f"BorderStyle={3 if self.box else 1}",
            f"Outline={self.outline}", "Shadow=0", f"Alignment={alignment}", f"MarginV={self.margin}",
        ])
        vf = (f"{EVEN_DIMENSIONS},subtitles=filename={filter_escape(str(subs))}"
              f":fontsdir={filter_escape(str(face.path.parent))}:force_style={filter_escape(style)}")
        out = ctx.work_path(".mp4")
        with ctx.media_path(self.video) as src:
            if self.video.mime == "video/mp4":  # an MP4's audio already fits an MP4: copy, no probe
                audio_args, duration = ["-c:a", "copy"], self.video.duration
            else:
                info = probe(src)
                audio = info.codecs.get("audio")
                audio_args = ["-c:a", "copy"] if audio in MP4_AUDIO_CODECS else list(AAC_ARGS)
                duration = info.duration
            args = ["-i", str(src), "-map", "0:v:0", "-map", "0:a?", "-vf", vf, *H264_ARGS,
                    "-crf", str(self.crf), "-preset", "veryfast", *audio_args, "-movflags", "+faststart"]
            run_ffmpeg(ctx, args, out, duration=duration, provenance=Provenance(
                engine="ffmpeg-libass", source=self.video.media_id, params=self.model_dump(exclude={"video"})))
        return VideoOutput(video=ctx.store_file(out, "video", Provenance(
            engine="ffmpeg-libass", source=self.video.media_id,
            params=self.model_dump(exclude={"video", "captions"}), captions=text[:4000])))
