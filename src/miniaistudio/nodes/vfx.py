"""Video Effects: a preset library applied with ffmpeg filter graphs; a prompt picks presets by keywords."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import Node, NodeOutput, Socket, VideoInput, node
from ..core.sockets import SocketType
from ..core.values import MediaRef
from ..runtimes.creative.vfx import ENGINE

PresetName = Literal["film_grain", "rain", "snow", "fog", "glow", "light_leaks", "teal_orange", "noir", "vintage",
                     "warm", "cool", "vignette", "speed_ramp", "slow_motion", "cinematic_bars"]
PromptInput = Annotated[str | None, Socket(SocketType.TEXT, required=False, label="Prompt",
                                           description="When linked, replaces the prompt parameter")]


class EffectsOutput(NodeOutput):
    video: Annotated[MediaRef, Socket(SocketType.VIDEO)]
    applied: Annotated[str, Socket(SocketType.TEXT, description="The presets applied, comma separated")]


@node("video.effects", title="Video Effects", category="Video", tags=("vfx", "grade", "atmosphere"))
class VideoEffects(Node):
    """Film grain, rain, snow, fog, glow, light leaks, colour grades (teal-orange, noir, vintage,
    warm, cool), vignette, speed ramp, slow motion and cinematic bars, combinable.

    The prompt picks presets by keywords (e.g. "rainy noir night, slow motion"; the table is
    in ``runtimes/creative/vfx.py``) in addition to the ones selected. Audio is kept: copied as is, or
    retimed with atempo for slow motion and speed ramps.
    """

    video: VideoInput
    prompt_text: PromptInput = None
    presets: list[PresetName] = Field(default_factory=list, description="Presets to apply")
    prompt: str = Field(default="", max_length=2000, json_schema_extra={"widget": "textarea"},
                        description="Describe the look; keywords pick presets (classical engine)")
    intensity: float = Field(default=0.6, ge=0.0, le=1.0)
    seed: int = Field(default=7, ge=0, le=2**31 - 1, json_schema_extra={"widget": "seed"},
                      description="Pattern of rain, snow, fog and light leaks")
    crf: int = Field(default=20, ge=10, le=40, description="H.264 quality (lower = better)")

    def invoke(self, ctx: NodeContext) -> EffectsOutput:
        from ..runtimes.creative.vfx import build_graph, presets_from_prompt
        from ..runtimes.media.ffmpeg import H264_ARGS, run_ffmpeg
        from ..runtimes.media.probe import probe

        assert self.video is not None
        prompt = self.prompt_text if self.prompt_text is not None else self.prompt
        from_prompt = presets_from_prompt(prompt) if prompt.strip() else []
        chosen = list(dict.fromkeys([*self.presets, *from_prompt]))
        if not chosen:
            raise NodeFailed("no effect chosen: select presets or describe them in the prompt "
                             "(e.g. 'rain', 'film grain', 'noir', 'slow motion')", code="NO_EFFECT")
        with ctx.media_path(self.video) as path:
            info = probe(path)
            if info.kind != "video" or not info.width or not info.height:
                raise NodeFailed("the input is not a video", code="INPUT_INVALID")
            fps = float(info.codecs.get("fps") or 25.0)
            duration = float(info.duration or self.video.duration or 0.0)
            has_audio = bool(info.codecs.get("audio"))
            graph = build_graph(chosen, self.intensity, width=info.width, height=info.height, fps=fps,
                                duration=duration, has_audio=has_audio, seed=self.seed)
            args = ["-i", str(path), "-filter_complex", graph.filter_complex, "-map", f"[{graph.video_label}]"]
            if graph.audio_label is not None:
                args += ["-map", f"[{graph.audio_label}]", "-c:a", "aac", "-b:a", "192k"]
            elif has_audio:
                audio_codec = str(info.codecs.get("audio"))
                from ..runtimes.media.ffmpeg import MP4_AUDIO_CODECS

                args += ["-map", "0:a:0", "-c:a", "copy" if audio_codec in MP4_AUDIO_CODECS else "aac"]
            args += [*H264_ARGS, "-preset", "veryfast", "-crf", str(self.crf), "-movflags", "+faststart"]
            output = ctx.work_path(".mp4")
            prov = Provenance(engine=ENGINE, classical=True, presets=graph.applied, from_prompt=from_prompt,
                              params=self.model_dump(exclude={"video"}), source=self.video.media_id)
            run_ffmpeg(ctx, args, output, duration=graph.duration, provenance=prov)
        return EffectsOutput(video=ctx.store_file(output, "video", prov), applied=", ".join(graph.applied))
