"""Generative nodes: text-to-image, edit, inpaint, upscale, image-to-video, text-to-video, depth,
dynamic camera.

Each runs the installed model's own pipeline (diffusers or transformers, chosen by the model's
kind) through ``runtimes/``; where a classical method is a fair CPU fallback it is a separate
``engine`` choice ("classical"), labelled as such in the output's metadata and never marked as
model output. A model that is not installed fails with MODEL_NOT_INSTALLED naming the command
that installs it. GPU work passes the GPU Control gate (``gpu`` trigger input).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from ..core.camera import camera_prompt
from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import GpuInput, ImageInput, ImageOutput, Node, Socket, VideoOutput, node
from ..core.sockets import SocketType
from ..core.values import GpuToken, MediaRef

if TYPE_CHECKING:
    from PIL import Image

    from ..runtimes.models.diffusion import PipelineLease
    from ..runtimes.models.gpu import GpuTask
    from ..runtimes.models.model_host import ModelHost, ModelInfo, ResolvedLora

AspectRatio = Literal["1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9"]
PromptText = Annotated[str | None, Socket(SocketType.TEXT, required=False, label="Prompt",
                                          description="when linked, replaces the prompt parameter")]
MaskInput = Annotated[MediaRef | None, Socket(SocketType.IMAGE, label="Mask",
                                              description="white = repaint, black = keep")]
SEED: JsonDict = {"widget": "seed"}
TEXTAREA: JsonDict = {"widget": "textarea"}
CLASSICAL = "classical"


class LoraRef(BaseModel):
    """One LoRA in a chain: an installed LoRA's id or name, and its weight."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=-4.0, le=4.0)


def _require(ref: MediaRef | None) -> MediaRef:
    assert ref is not None, "validated by the engine: required inputs are linked"
    return ref


def _host(ctx: NodeContext) -> ModelHost:
    from ..runtimes.models.model_host import host_of

    return host_of(ctx)


@contextmanager
def _gpu(ctx: NodeContext, token: GpuToken | None) -> Iterator[GpuTask]:
    """The GPU gate; without a GPU Control link the runtime may auto-start."""
    with _host(ctx).gpu.task(ctx, auto_start=token.auto_start if token is not None else True) as task:
        yield task


def _resolve_loras(host: ModelHost, refs: list[LoraRef]) -> list[ResolvedLora]:
    return host.catalog.resolve_loras([(r.name, r.weight) for r in refs]) if refs else []


def _ai_provenance(info: ModelInfo, lease: PipelineLease | None, *, engine: str, **fields: Any) -> Provenance:
    prov = Provenance(ai_generated=True, engine=engine, model=info.id, model_name=info.display_name,
                      model_sha256=info.sha256, model_source=info.source, model_kind=info.kind)
    if lease is not None:
        prov.update(pipeline=type(lease.pipe).__name__, device=lease.device.device, dtype=lease.device.dtype)
    prov.update(fields)
    return prov


def _steps_cfg(info: ModelInfo, steps: int | None, cfg: float | None) -> tuple[int, float]:
    defaults = info.default_params
    return (int(steps if steps is not None else defaults.get("steps", 25)),
            float(cfg if cfg is not None else defaults.get("cfg", 7.0)))


def _fit(image: Image.Image, pipe: Any, *, mode: str = "RGB") -> Image.Image:
    """The input at a size the pipeline takes: multiples of its block size, capped at 4 times the native area."""
    from PIL import Image

    from ..runtimes.models.diffusion import native_size, size_multiple, snap

    img = image.convert(mode)
    multiple = size_multiple(pipe)
    w, h = float(img.width), float(img.height)
    limit = 4 * native_size(pipe) ** 2
    if w * h > limit:
        factor = (limit / (w * h)) ** 0.5
        w, h = w * factor, h * factor
    size = (snap(w, multiple), snap(h, multiple))
    return img if size == img.size else img.resize(size, Image.Resampling.LANCZOS)


def _loras_public(loras: list[ResolvedLora]) -> list[dict[str, Any]]:
    return [lora.provenance() for lora in loras]


class _PromptedGeneration(Node):
    """Shared behaviour of prompt-driven diffusion nodes (fields stay on each node, in Inspector order)."""

    if TYPE_CHECKING:  # declared by every subclass, in its own field order
        model: str
        prompt_text: str | None
        loras: list[LoraRef]
        steps: int | None
        cfg: float | None
        seed: int

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return int(params.get("seed", -1)) >= 0  # -1 draws a new seed on every run

    def prepare(self, ctx: NodeContext, kinds: tuple[str, ...], text: str, what: str) -> _Prepared:
        """Model, prompt (a linked text wins), LoRAs, seed, steps and guidance for this run."""
        from ..runtimes.models.diffusion import pick_seed

        host = _host(ctx)
        info = host.resolve(self.model, kinds)
        prompt = (self.prompt_text or text).strip()
        if not prompt:
            raise NodeFailed(f"the {what} is empty", code="PROMPT_EMPTY")
        loras = _resolve_loras(host, self.loras)
        steps, cfg = _steps_cfg(info, self.steps, self.cfg)
        return _Prepared(host, info, prompt, loras, pick_seed(self.seed), steps, cfg)


@dataclass(frozen=True)
class _Prepared:
    host: ModelHost
    info: ModelInfo
    prompt: str
    loras: list[ResolvedLora]
    seed: int
    steps: int
    cfg: float


# --------------------------------------------------------------------------- text to image
@node("image.generate", title="Image Generation", category="Generate", gpu=True, model_kinds=("text_to_image",),
      tags=("text-to-image", "diffusers"))
class ImageGenerate(_PromptedGeneration):
    """Text to image with an installed diffusion model, optional LoRAs, and a reproducible seed."""

    gpu: GpuInput = None
    prompt_text: PromptText = None
    model: str = Field(default="", description="installed model id or name; empty = first text-to-image model")
    prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    negative_prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, description="-1 = random (the seed used is stored)",
                      json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200, description="empty = the model's default (25)")
    cfg: float | None = Field(default=None, ge=0, le=30, description="guidance scale; empty = model default (7)")
    aspect_ratio: AspectRatio = "1:1"
    width: int = Field(default=0, ge=0, le=4096, description="0 = from aspect ratio at the model's native size")
    height: int = Field(default=0, ge=0, le=4096)
    loras: list[LoraRef] = Field(default_factory=list)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from ..runtimes.models.diffusion import apply_loras, generator, lease_pipeline, output_size, run_pipeline

        run = self.prepare(ctx, ("text_to_image",), self.prompt, "prompt")
        host, info, prompt, loras, seed, steps, cfg = (run.host, run.info, run.prompt, run.loras, run.seed,
                                                       run.steps, run.cfg)
        with _gpu(ctx, self.gpu) as gpu, lease_pipeline(host, info) as lease:
            apply_loras(lease, loras)
            width, height = output_size(lease.pipe, self.aspect_ratio, self.width, self.height)
            result = run_pipeline(lease.pipe, ctx, gpu, steps, prompt=prompt,
                                  negative_prompt=self.negative_prompt or None, num_inference_steps=steps,
                                  guidance_scale=cfg, width=width, height=height, generator=generator(seed),
                                  output_type="pil")
            image = result.images[0]
            prov = _ai_provenance(info, lease, engine="diffusers", prompt=prompt,
                                  negative_prompt=self.negative_prompt, seed=seed, steps=steps, cfg=cfg,
                                  width=width, height=height, aspect_ratio=self.aspect_ratio,
                                  loras=_loras_public(loras), model_loaded_now=lease.loaded_now,
                                  params=self.model_dump(mode="json", exclude={"gpu", "prompt_text"}))
        return ImageOutput(image=ctx.save_image(image, prov))


# --------------------------------------------------------------------------- edit
def _run_edit(
    ctx: NodeContext, host: ModelHost, info: ModelInfo, token: GpuToken | None, source: Image.Image, *,
    prompt: str, negative_prompt: str, strength: float, image_guidance: float, steps: int, cfg: float,
    seed: int, loras: list[ResolvedLora], mask: Image.Image | None = None, **extra: Any,
) -> tuple[Image.Image, Provenance]:
    """An instruction edit (instruct-pix2pix style), img2img or inpaint pass on the model's pipeline."""
    from ..runtimes.models.diffusion import accepts, apply_loras, generator, lease_pipeline, run_pipeline

    if mask is not None:
        role: Literal["base", "img2img", "inpaint"] = "base" if info.kind == "inpaint" else "inpaint"
    else:
        role = "base" if info.kind == "image_edit" else "img2img"
    with _gpu(ctx, token) as gpu, lease_pipeline(host, info, role) as lease:
        apply_loras(lease, loras)
        pipe = lease.pipe
        image = _fit(source, pipe)
        kwargs: dict[str, Any] = {"prompt": prompt, "image": image, "num_inference_steps": steps,
                                  "guidance_scale": cfg, "generator": generator(seed), "output_type": "pil"}
        if negative_prompt:
            kwargs["negative_prompt"] = negative_prompt
        used: dict[str, Any] = {}
        if accepts(pipe, "strength"):
            kwargs["strength"] = used["strength"] = strength
        if accepts(pipe, "image_guidance_scale"):
            kwargs["image_guidance_scale"] = used["image_guidance"] = image_guidance
        if mask is not None:
            kwargs["mask_image"] = mask.convert("L").resize(image.size)
        for name in ("width", "height"):
            if accepts(pipe, name):
                kwargs[name] = getattr(image, name)
        result = run_pipeline(pipe, ctx, gpu, steps, **kwargs)
        out = result.images[0]
        prov = _ai_provenance(info, lease, engine="diffusers", prompt=prompt, negative_prompt=negative_prompt,
                              seed=seed, steps=steps, cfg=cfg, width=out.width, height=out.height,
                              loras=_loras_public(loras), model_loaded_now=lease.loaded_now, **used, **extra)
    return out, prov


@node("image.edit", title="Image Edit", category="Generate", gpu=True, tags=("image-to-image", "diffusers"),
      model_kinds=("image_edit", "text_to_image"))
class ImageEdit(_PromptedGeneration):
    """Edit an image by instruction: an image-edit model (instruct-pix2pix style), or img2img on a
    text-to-image model; strength sets how much is redrawn."""

    image: ImageInput
    gpu: GpuInput = None
    prompt_text: PromptText = None
    model: str = Field(default="", description="image-edit or text-to-image model; empty = first installed")
    instruction: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    negative_prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    strength: float = Field(default=0.6, ge=0.0, le=1.0, description="denoise: 0 keeps the image, 1 redraws it")
    image_guidance: float = Field(default=1.5, ge=0.0, le=10.0,
                                  description="how closely instruction models follow the input image")
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200)
    cfg: float | None = Field(default=None, ge=0, le=30)
    loras: list[LoraRef] = Field(default_factory=list)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        run = self.prepare(ctx, ("image_edit", "text_to_image"), self.instruction, "instruction")
        source = ctx.load_image(_require(self.image))
        out, prov = _run_edit(ctx, run.host, run.info, self.gpu, source, prompt=run.prompt,
                              negative_prompt=self.negative_prompt, strength=self.strength,
                              image_guidance=self.image_guidance, steps=run.steps, cfg=run.cfg, seed=run.seed,
                              loras=run.loras,
                              params=self.model_dump(mode="json", exclude={"gpu", "prompt_text", "image"}))
        return ImageOutput(image=ctx.save_image(out, prov))


@node("image.inpaint", title="Inpaint", category="Generate", gpu=True, tags=("inpaint", "diffusers"),
      model_kinds=("inpaint", "text_to_image"))
class ImageInpaint(_PromptedGeneration):
    """Repaint the masked part of an image from a prompt (an inpainting model, or a text-to-image
    model's inpainting variant)."""

    image: ImageInput
    mask: MaskInput
    gpu: GpuInput = None
    prompt_text: PromptText = None
    model: str = Field(default="", description="inpaint or text-to-image model; empty = first installed")
    prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    negative_prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    strength: float = Field(default=1.0, ge=0.0, le=1.0)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200)
    cfg: float | None = Field(default=None, ge=0, le=30)
    loras: list[LoraRef] = Field(default_factory=list)

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        run = self.prepare(ctx, ("inpaint", "text_to_image"), self.prompt, "prompt")
        source = ctx.load_image(_require(self.image))
        mask = ctx.load_image(_require(self.mask))
        out, prov = _run_edit(ctx, run.host, run.info, self.gpu, source, prompt=run.prompt,
                              negative_prompt=self.negative_prompt, strength=self.strength, image_guidance=0.0,
                              steps=run.steps, cfg=run.cfg, seed=run.seed, loras=run.loras, mask=mask,
                              params=self.model_dump(mode="json", exclude={"gpu", "prompt_text", "image", "mask"}))
        return ImageOutput(image=ctx.save_image(out, prov))


# --------------------------------------------------------------------------- upscale
@node("image.upscale", title="Upscale", category="Generate", gpu=True, tags=("upscale",))
class ImageUpscale(Node):
    """Enlarge 2x or 4x: with an upscaler model (Swin2SR, diffusers upscalers) or the classical
    engine (Lanczos + sharpening, labelled classical in the metadata)."""

    image: ImageInput
    gpu: GpuInput = None
    engine: str = Field(default=CLASSICAL, description='"classical" (Lanczos + sharpen) or an upscaler model id')
    scale: Literal[2, 4] = 2
    sharpen: float = Field(default=0.6, ge=0.0, le=2.0, description="classical engine only")
    prompt: str = Field(default="", max_length=2000, description="diffusion upscalers only")
    steps: int | None = Field(default=None, ge=1, le=200, description="diffusion upscalers only")
    seed: int = Field(default=0, ge=-1, le=2**32 - 1, json_schema_extra=SEED)

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return int(params.get("seed", 0)) >= 0

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        source = ctx.load_image(_require(self.image))
        params = self.model_dump(mode="json", exclude={"gpu", "image"})
        if self.engine.strip().lower() == CLASSICAL:
            from ..runtimes.creative.classical_upscale import upscale_lanczos

            out = upscale_lanczos(source, self.scale, sharpen=self.sharpen)
            return ImageOutput(image=ctx.save_image(out, Provenance(
                engine="classical-lanczos", ai_generated=False, scale=self.scale, sharpen=self.sharpen,
                params=params)))
        host = _host(ctx)
        info = host.resolve(self.engine, ("upscaler",))
        if info.format == "transformers":
            out, prov = self._transformers(ctx, host, info, source, params)
        else:
            out, prov = self._diffusers(ctx, host, info, source, params)
        return ImageOutput(image=ctx.save_image(out, prov))

    def _transformers(self, ctx: NodeContext, host: ModelHost, info: ModelInfo, source: Image.Image,
                      params: dict[str, Any]) -> tuple[Image.Image, Provenance]:
        from PIL import Image

        from ..runtimes.models.vision_models import lease_vision, super_resolve

        target = (source.width * self.scale, source.height * self.scale)
        image, passes, factor = source.convert("RGB"), 0, 1
        with _gpu(ctx, self.gpu) as gpu, lease_vision(host, info) as vm:
            while image.width < target[0]:
                gpu.check()
                image, step = super_resolve(vm, image)
                passes += 1
                factor *= step
                ctx.progress(min(0.95, image.width / target[0]), f"pass {passes}")
            device, loaded_now = vm.device, vm.loaded_now
        resized = image.size != target
        if resized:  # a 4x model asked for 2x: bring the model's output to the requested size
            image = image.resize(target, Image.Resampling.LANCZOS)
        prov = _ai_provenance(info, None, engine="transformers", scale=self.scale, model_passes=passes,
                              model_factor=factor, resized_to_scale=resized, device=device.device,
                              dtype=device.dtype, model_loaded_now=loaded_now, params=params)
        return image, prov

    def _diffusers(self, ctx: NodeContext, host: ModelHost, info: ModelInfo, source: Image.Image,
                   params: dict[str, Any]) -> tuple[Image.Image, Provenance]:
        from PIL import Image

        from ..runtimes.models.diffusion import generator, lease_pipeline, pick_seed, run_pipeline

        seed = pick_seed(self.seed)
        steps, _ = _steps_cfg(info, self.steps, None)
        target = (source.width * self.scale, source.height * self.scale)
        with _gpu(ctx, self.gpu) as gpu, lease_pipeline(host, info) as lease:
            result = run_pipeline(lease.pipe, ctx, gpu, steps, prompt=self.prompt, image=source.convert("RGB"),
                                  num_inference_steps=steps, generator=generator(seed), output_type="pil")
            image = result.images[0]
            prov = _ai_provenance(info, lease, engine="diffusers", prompt=self.prompt, seed=seed, steps=steps,
                                  scale=self.scale, model_loaded_now=lease.loaded_now, params=params)
        if image.size != target:
            image = image.resize(target, Image.Resampling.LANCZOS)
            prov["resized_to_scale"] = True
        return image, prov


# --------------------------------------------------------------------------- image to video
Motion = Literal["zoom_in", "zoom_out", "orbit_left", "orbit_right", "rise", "descend"]


def camera_move_for(motion: Motion, strength: float) -> tuple[float, float, float]:
    """(azimuth, elevation, distance) for a named motion at a strength 0..1."""
    s = max(0.0, min(1.0, strength))
    return {
        "zoom_in": (0.0, 0.0, 1.0 - 0.5 * s),
        "zoom_out": (0.0, 0.0, 1.0 + 1.0 * s),
        "orbit_left": (-40.0 * s, 0.0, 1.0),
        "orbit_right": (40.0 * s, 0.0, 1.0),
        "rise": (0.0, 30.0 * s, 1.0),
        "descend": (0.0, -30.0 * s, 1.0),
    }[motion]


def _frames_to_mp4(ctx: NodeContext, frames: list[Image.Image], fps: int, prov: Provenance) -> MediaRef:
    """A model's frames as an H.264 MP4 at ``fps``, the provenance written into the container."""
    from ..runtimes.media.ffmpeg import EVEN_DIMENSIONS, H264_ARGS, run_ffmpeg

    folder = ctx.work_path("-frames")
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.save(folder / f"{i:05d}.png", compress_level=1)
    out = ctx.work_path(".mp4")
    run_ffmpeg(ctx, ["-framerate", str(fps), "-i", str(folder / "%05d.png"), "-vf", EVEN_DIMENSIONS,
                     *H264_ARGS, "-movflags", "+faststart"], out, duration=len(frames) / fps, provenance=prov)
    return ctx.store_file(out, "video", prov)


@node("video.from_image", title="Image to Video", category="Generate", gpu=True, tags=("image-to-video",))
class VideoFromImage(Node):
    """Animate a first frame into a clip: an image-to-video model (e.g. Stable Video Diffusion), or the
    classical camera engine (Ken Burns / parallax, labelled classical in the metadata)."""

    image: ImageInput
    gpu: GpuInput = None
    engine: str = Field(default=CLASSICAL, description='"classical" or an image-to-video model id')
    fps: int = Field(default=12, ge=1, le=60)
    duration: float = Field(default=2.0, gt=0, le=30.0, description="seconds (used when frames is 0)")
    frames: int = Field(default=0, ge=0, le=600, description="0 = fps x duration")
    motion: Motion = "zoom_in"
    motion_strength: float = Field(default=0.5, ge=0.0, le=1.0)
    style: Literal["ken_burns", "parallax"] = Field(default="parallax", description="classical engine only")
    width: int = Field(default=0, ge=0, le=4096, description="0 = from the input")
    height: int = Field(default=0, ge=0, le=4096)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200, description="model engines only")

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return params.get("engine", CLASSICAL) == CLASSICAL or int(params.get("seed", -1)) >= 0

    def frame_count(self) -> int:
        return self.frames or max(2, round(self.fps * self.duration))

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        params = self.model_dump(mode="json", exclude={"gpu", "image"})
        if self.engine.strip().lower() == CLASSICAL:
            return self._classical(ctx, params)
        return self._model(ctx, params)

    def _classical(self, ctx: NodeContext, params: dict[str, Any]) -> VideoOutput:
        from ..runtimes.creative.camera_motion import CameraMove, render_camera_video
        from ..runtimes.media.ffmpeg import run_ffmpeg

        azimuth, elevation, distance = camera_move_for(self.motion, self.motion_strength)
        move = CameraMove(azimuth=azimuth, elevation=elevation, distance=distance)
        duration = self.frame_count() / self.fps
        rendered = render_camera_video(ctx, _require(self.image), style=self.style, move=move, duration=duration,
                                       fps=self.fps, cache=_host(ctx).cache, width=self.width or None,
                                       height=self.height or None)
        prov = Provenance(engine=f"classical-{self.style.replace('_', '-')}", ai_generated=False,
                          camera={"azimuth": azimuth, "elevation": elevation, "distance": distance},
                          params=params)
        tagged = ctx.work_path(".mp4")  # stream copy that adds the provenance to the container
        run_ffmpeg(ctx, ["-i", str(rendered), "-map", "0", "-c", "copy", "-movflags", "+faststart"], tagged,
                   duration=duration, provenance=prov)
        return VideoOutput(video=ctx.store_file(tagged, "video", prov))

    def _model(self, ctx: NodeContext, params: dict[str, Any]) -> VideoOutput:
        from ..runtimes.models.diffusion import (
            accepts,
            generator,
            lease_pipeline,
            native_size,
            pick_seed,
            run_pipeline,
            size_multiple,
            snap,
        )

        host = _host(ctx)
        info = host.resolve(self.engine, ("image_to_video",))
        seed = pick_seed(self.seed)
        steps, _ = _steps_cfg(info, self.steps, None)
        source = ctx.load_image(_require(self.image)).convert("RGB")
        count = self.frame_count()
        with _gpu(ctx, self.gpu) as gpu, lease_pipeline(host, info) as lease:
            pipe = lease.pipe
            multiple = size_multiple(pipe)
            if self.width and self.height:
                width, height = snap(self.width, multiple), snap(self.height, multiple)
            else:
                side = native_size(pipe)
                ratio = source.width / source.height
                width, height = snap(side * ratio**0.5, multiple), snap(side / ratio**0.5, multiple)
            kwargs: dict[str, Any] = {"image": source, "num_inference_steps": steps, "generator": generator(seed),
                                      "output_type": "pil"}
            optional = {"height": height, "width": width, "num_frames": count, "fps": self.fps,
                        "motion_bucket_id": 1 + round(254 * self.motion_strength), "decode_chunk_size": 8,
                        "prompt": f"camera {self.motion.replace('_', ' ')}"}
            used = {name: value for name, value in optional.items() if accepts(pipe, name)}
            result = run_pipeline(pipe, ctx, gpu, steps, **kwargs, **used)
            frames = list(result.frames[0])
            prov = _ai_provenance(info, lease, engine="diffusers", seed=seed, steps=steps, fps=self.fps,
                                  frames=len(frames), width=width, height=height,
                                  motion=self.motion, motion_strength=self.motion_strength,
                                  pipeline_args=sorted(used), model_loaded_now=lease.loaded_now, params=params)
        return VideoOutput(video=_frames_to_mp4(ctx, frames, self.fps, prov))


# --------------------------------------------------------------------------- text to video
@node("video.from_text", title="Text to Video", category="Generate", gpu=True, model_kinds=("text_to_video",),
      tags=("text-to-video", "diffusers"))
class VideoFromText(Node):
    """A clip from a prompt with an installed text-to-video model (e.g. ModelScope text-to-video),
    with a reproducible seed. Without one installed, make a first frame with Image Generation and
    animate it with Image to Video."""

    gpu: GpuInput = None
    prompt_text: PromptText = None
    model: str = Field(default="", description="installed model id or name; empty = first text-to-video model")
    prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    negative_prompt: str = Field(default="", max_length=4000, json_schema_extra=TEXTAREA)
    fps: int = Field(default=8, ge=1, le=60)
    duration: float = Field(default=2.0, gt=0, le=30.0, description="seconds (used when frames is 0)")
    frames: int = Field(default=0, ge=0, le=240, description="0 = fps x duration")
    aspect_ratio: AspectRatio = "16:9"
    width: int = Field(default=0, ge=0, le=2048, description="0 = from aspect ratio at the model's native size")
    height: int = Field(default=0, ge=0, le=2048)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, description="-1 = random (the seed used is stored)",
                      json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200, description="empty = the model's default (25)")
    cfg: float | None = Field(default=None, ge=0, le=30, description="guidance scale; empty = model default (7)")

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return int(params.get("seed", -1)) >= 0  # -1 draws a new seed on every run

    def frame_count(self) -> int:
        return self.frames or max(2, round(self.fps * self.duration))

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        from ..runtimes.models.diffusion import accepts, generator, lease_pipeline, output_size, pick_seed, run_pipeline

        host = _host(ctx)
        info = host.resolve(self.model, ("text_to_video",))
        prompt = (self.prompt_text or self.prompt).strip()
        if not prompt:
            raise NodeFailed("the prompt is empty", code="PROMPT_EMPTY")
        seed = pick_seed(self.seed)
        steps, cfg = _steps_cfg(info, self.steps, self.cfg)
        with _gpu(ctx, self.gpu) as gpu, lease_pipeline(host, info) as lease:
            pipe = lease.pipe
            width, height = output_size(pipe, self.aspect_ratio, self.width, self.height)
            optional = {"negative_prompt": self.negative_prompt or None, "guidance_scale": cfg, "width": width,
                        "height": height, "num_frames": self.frame_count(), "fps": self.fps,
                        "frame_rate": self.fps}
            used = {name: value for name, value in optional.items() if accepts(pipe, name)}
            result = run_pipeline(pipe, ctx, gpu, steps, prompt=prompt, num_inference_steps=steps,
                                  generator=generator(seed), output_type="pil", **used)
            frames = list(result.frames[0])
            prov = _ai_provenance(info, lease, engine="diffusers", prompt=prompt,
                                  negative_prompt=self.negative_prompt, seed=seed, steps=steps, cfg=cfg,
                                  fps=self.fps, frames=len(frames), duration=len(frames) / self.fps,
                                  width=frames[0].width, height=frames[0].height, aspect_ratio=self.aspect_ratio,
                                  pipeline_args=sorted(used), model_loaded_now=lease.loaded_now,
                                  params=self.model_dump(mode="json", exclude={"gpu", "prompt_text"}))
        return VideoOutput(video=_frames_to_mp4(ctx, frames, self.fps, prov))


# --------------------------------------------------------------------------- depth
@node("image.depth", title="Depth Map", category="Generate", gpu=True, tags=("depth", "transformers"),
      model_kinds=("depth",))
class ImageDepth(Node):
    """Estimate relative depth with an installed depth model (DPT): near is bright, far is dark."""

    image: ImageInput
    gpu: GpuInput = None
    model: str = Field(default="", description="installed depth model id or name; empty = first installed")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from ..runtimes.models.vision_models import estimate_depth, lease_vision

        host = _host(ctx)
        info = host.resolve(self.model, ("depth",))
        source = ctx.load_image(_require(self.image))
        with _gpu(ctx, self.gpu) as gpu, lease_vision(host, info) as vm:
            gpu.check()
            depth = estimate_depth(vm, source)
            prov = _ai_provenance(info, None, engine="transformers", architecture=type(vm.model).__name__,
                                  device=vm.device.device, dtype=vm.device.dtype, model_loaded_now=vm.loaded_now,
                                  params=self.model_dump(mode="json", exclude={"gpu", "image"}))
        return ImageOutput(image=ctx.save_image(depth, prov))


# --------------------------------------------------------------------------- dynamic camera
CAMERA_LORA_WORDS = ("angle", "camera")


def _camera_lora(host: ModelHost, ref: str, weight: float) -> ResolvedLora:
    from ..runtimes.models.model_host import DEFAULT_REPOS, model_not_installed

    if ref:
        return host.catalog.resolve_loras([(ref, weight)])[0]
    for info in host.catalog.models_of_kind("lora"):
        text = f"{info.id} {info.display_name} {info.path.name} {info.source or ''}".lower()
        if any(word in text for word in CAMERA_LORA_WORDS):
            return host.catalog.resolve_loras([(info.id, weight)])[0]
    raise model_not_installed(DEFAULT_REPOS["lora"], ("lora",))


@node("image.dynamic_camera", title="Dynamic Camera", category="Generate", gpu=True, tags=("camera", "lora"))
class DynamicCamera(Node):
    """Re-render the scene from another camera angle: an image-edit model with a camera-angle LoRA,
    or the classical parallax engine (labelled classical in the metadata).

    The model is driven by the exact prompt from ``camera_prompt(azimuth, elevation, distance)``."""

    image: ImageInput
    gpu: GpuInput = None
    azimuth: float = Field(default=45.0, ge=-180.0, le=180.0, description="degrees; + orbits to the right")
    elevation: float = Field(default=0.0, ge=-60.0, le=60.0, description="degrees; + looks down from above")
    distance: float = Field(default=1.0, ge=0.5, le=2.0, description="1 = unchanged, < 1 closer, > 1 farther")
    engine: str = Field(default=CLASSICAL, description='"classical" (parallax) or an image-edit model id')
    lora: str = Field(default="", description="camera-angle LoRA id or name; empty = the installed one")
    lora_weight: float = Field(default=1.0, ge=0.0, le=4.0)
    strength: float = Field(default=0.8, ge=0.0, le=1.0, description="img2img models only")
    image_guidance: float = Field(default=1.5, ge=0.0, le=10.0)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, json_schema_extra=SEED)
    steps: int | None = Field(default=None, ge=1, le=200)
    cfg: float | None = Field(default=None, ge=0, le=30)

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return params.get("engine", CLASSICAL) == CLASSICAL or int(params.get("seed", -1)) >= 0

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        params = self.model_dump(mode="json", exclude={"gpu", "image"})
        camera = {"azimuth": self.azimuth, "elevation": self.elevation, "distance": self.distance}
        source = ctx.load_image(_require(self.image))
        if self.engine.strip().lower() == CLASSICAL:
            from ..runtimes.creative.camera_motion import CameraMove, render_new_view

            out = render_new_view(source, CameraMove(**camera), cache=_host(ctx).cache)
            return ImageOutput(image=ctx.save_image(out, Provenance(
                engine="classical-parallax", ai_generated=False, camera=camera, params=params)))
        from ..runtimes.models.diffusion import pick_seed

        host = _host(ctx)
        info = host.resolve(self.engine, ("image_edit",))
        lora = _camera_lora(host, self.lora, self.lora_weight)
        prompt = camera_prompt(self.azimuth, self.elevation, self.distance)
        steps, cfg = _steps_cfg(info, self.steps, self.cfg)
        out, prov = _run_edit(ctx, host, info, self.gpu, source, prompt=prompt, negative_prompt="",
                              strength=self.strength, image_guidance=self.image_guidance, steps=steps, cfg=cfg,
                              seed=pick_seed(self.seed), loras=[lora], camera=camera, params=params)
        return ImageOutput(image=ctx.save_image(out, prov))
