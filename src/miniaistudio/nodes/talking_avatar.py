"""Talking Avatar: a portrait speaks the given speech (classical engine; a neural lip-sync model when installed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import Node, Socket, VideoOutput, node
from ..core.sockets import SocketType
from ..core.values import MediaRef

Portrait = Annotated[MediaRef | None, Socket(SocketType.IMAGE, label="Portrait",
                                             description="A photo with one front-facing face")]
Speech = Annotated[MediaRef | None, Socket(SocketType.AUDIO, label="Speech", description="What the avatar says")]
Transcript = Annotated[str | None, Socket(SocketType.TEXT, label="Transcript", required=False,
                                          description="The spoken words, when known (finer mouth shapes)")]
MODEL = "mediapipe face_mesh + thin-plate-spline mouth/jaw warp"
MAX_SIDE = 1280  # full-frame output: longer portraits are scaled down first
MAX_SPEECH_SECONDS = 600.0


@node("video.talking_avatar", title="Talking Avatar", category="Vision",
      tags=("avatar", "lip sync", "talking head", "video"))
class TalkingAvatar(Node):
    """Animate a portrait to speak: mouth shapes from the speech (Rhubarb Lip Sync, else a loudness
    aligner), jaw from the loudness, a warped face mesh with a drawn mouth interior, blinks and slight
    head motion; the video has the speech as its audio and lasts as long as it.

    Classical engine (``ai_generated: false``) unless a ``lip_sync`` model is installed and chosen.
    """

    portrait: Portrait
    speech: Speech
    transcript: Transcript = None
    full_frame: bool = Field(default=True, description="Animate the whole portrait (else a square head crop)")
    fps: int = Field(default=25, ge=10, le=60, description="Frames per second")
    crop_size: int = Field(default=512, ge=128, le=1024, multiple_of=2, description="Side of the head crop (px)")
    engine: Literal["auto", "classical", "neural"] = Field(
        default="auto", description="auto: a neural lip-sync model when one is installed, else classical")
    model: str = Field(default="", max_length=200, description="A lip_sync model (id or name); empty = the first")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Blink and head-motion timing")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        from ..runtimes.creative import lip_sync_model, rhubarb, talking_head
        from ..runtimes.creative.portrait_check import check_portrait
        from ..runtimes.media.ffmpeg import run_ffmpeg
        from ..runtimes.models import vision
        from ..runtimes.models.model_host import host_of

        assert self.portrait is not None and self.speech is not None
        rgb = _portrait_rgb(ctx, self.portrait)
        landmarks = check_portrait(rgb, cache=host_of(ctx).cache).require()
        neural = lip_sync_model.choose(ctx, self.engine, self.model)
        ctx.progress(0.05, "reading the speech")
        analysis = ctx.work_path(".wav")
        with ctx.media_path(self.speech) as speech_path:
            run_ffmpeg(ctx, ["-i", str(speech_path), "-map", "0:a:0", "-ac", "1", "-ar",
                             str(talking_head.ANALYSIS_RATE), "-c:a", "pcm_s16le"], analysis, duration=None)
            samples, rate = talking_head.read_wav(analysis)
            seconds = len(samples) / rate
            if seconds <= 0.05:
                raise NodeFailed("the speech is empty", code="INPUT_INVALID")
            if seconds > MAX_SPEECH_SECONDS:
                raise NodeFailed(f"the speech lasts {seconds:.0f} s; at most {MAX_SPEECH_SECONDS:.0f} s",
                                 code="INPUT_TOO_LONG", details={"max_seconds": MAX_SPEECH_SECONDS})
            frame_count = max(1, round(seconds * self.fps))
            text = (self.transcript or "").strip() or _spoken_text(ctx, speech_path)
            ctx.progress(0.1, "finding mouth shapes")
            exe = rhubarb.find_binary()
            if exe is not None:
                cues = rhubarb.mouth_cues(ctx, exe, analysis, text or None)
                aligner = f"rhubarb-{rhubarb.VERSION} ({'dialog' if text else 'phonetic'})"
            else:
                cues = talking_head.loudness_cues(samples, rate)
                aligner = "loudness-aligner (Rhubarb not installed)"
            loudness = talking_head.loudness_envelope(samples, rate, self.fps, frame_count)
            motion = talking_head.motion_curves(cues, loudness, self.fps, self.seed)
            ctx.progress(0.2, "rigging the face")
            rig = talking_head.HeadRig(rgb, landmarks)
            crop = None if self.full_frame else talking_head.head_crop(rig, self.crop_size)
            tmp = ctx.work_path(".mkv")
            out_w, out_h = (rgb.shape[1], rgb.shape[0]) if crop is None else (self.crop_size, self.crop_size)
            writer = vision.FrameWriter(tmp, float(self.fps), out_w, out_h)
            try:
                for i, frame in enumerate(talking_head.frames(rig, motion)):
                    ctx.check_canceled()
                    if neural is not None:
                        frame = neural.refine(frame, landmarks, samples, rate, i / self.fps)
                    writer.write(_cropped(frame, crop, self.crop_size))
                    ctx.progress(0.2 + 0.7 * (i + 1) / frame_count, f"frame {i + 1}/{frame_count}")
            finally:
                writer.close()
            prov = Provenance(
                engine=neural.engine if neural else talking_head.ENGINE,
                model=neural.info.provenance() if neural else MODEL,
                ai_generated=neural is not None, aligner=aligner, mouth_cues=len(cues),
                params=self.model_dump(exclude={"portrait", "speech", "transcript"}),
                portrait=self.portrait.media_id, speech=self.speech.media_id, frames=writer.count,
                speech_seconds=round(seconds, 3))
            output = ctx.work_path(".mp4")
            vision.encode_frames(ctx, tmp, output, fps=float(self.fps), frame_count=writer.count,
                                 audio_from=speech_path, provenance=prov)
        return VideoOutput(video=ctx.store_file(output, "video", prov))


def _portrait_rgb(ctx: NodeContext, ref: MediaRef) -> Any:
    from PIL import Image

    from ..runtimes.models import vision

    image = ctx.load_image(ref)
    scale = MAX_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((max(2, round(image.width * scale)), max(2, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    if image.width % 2 or image.height % 2:  # H.264 wants even sides
        image = image.crop((0, 0, image.width - image.width % 2, image.height - image.height % 2))
    return vision.rgb_array(image)


def _cropped(frame: Any, crop: tuple[int, int, int, int] | None, size: int) -> Any:
    if crop is None:
        return frame
    from ..runtimes.models.vision import require

    cv2 = require("cv2")
    x0, y0, x1, y1 = crop
    return cv2.resize(frame[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)


def _spoken_text(ctx: NodeContext, path: Path) -> str:
    """The text a speech file was synthesized from, read back from its provenance (Text to Speech
    writes it into the file's comment tag); empty for recorded speech."""
    from ..runtimes.tools import require_tool

    proc = ctx.run_process([require_tool("ffprobe"), "-v", "error", "-show_entries", "format_tags=comment",
                            "-of", "json", str(path)], timeout=60)
    try:
        comment = json.loads(proc.stdout or "{}").get("format", {}).get("tags", {}).get("comment", "")
        prov = json.loads(comment) if comment else {}
    except (ValueError, AttributeError):
        return ""
    if not isinstance(prov, dict) or not prov.get("synthesized"):
        return ""
    prompt = prov.get("prompt")
    return prompt if isinstance(prompt, str) else ""
