"""Diffusers pipelines: lazy loading from the models dir, warm sharing, steps, cancel, LoRAs.

- Pipelines load with ``from_pretrained(<local folder>, local_files_only=True)`` on first use and
  stay warm in the host's :class:`~.model_cache.ModelCache` (key: model id + hash + device + dtype).
- Device is CUDA when present, else CPU; dtype float16 on CUDA, float32 on CPU.
- Derived pipelines (img2img / inpaint from a text-to-image model) are made with ``from_pipe``:
  they share the loaded weights and add nothing to the memory budget.
- Every step reports progress; a cancel, a stop or an immediate GPU stop interrupts between
  denoising steps (the step callback raises :class:`Canceled` and sets ``pipe._interrupt``).

torch and diffusers are imported inside functions only: the node catalog loads at start-up.
"""

from __future__ import annotations

import inspect
import math
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from ...core.context import NodeContext
from ...core.errors import Canceled, NodeFailed
from .gpu import DeviceInfo, GpuTask
from .model_host import ModelHost, ModelInfo, ResolvedLora

Role = Literal["base", "img2img", "inpaint"]
MAX_SEED = 2**32 - 1
# from_pretrained builds models under accelerate's init_empty_weights, a process-global patch of
# torch.nn.Module: two loads in parallel threads leave meta tensors behind. Loads take turns.
LOAD_LOCK = threading.Lock()


def pick_seed(seed: int) -> int:
    """The seed actually used: ``seed`` itself, or a fresh random one when it is -1."""
    return secrets.randbelow(MAX_SEED) if seed < 0 else seed


def torch_dtype(device: DeviceInfo) -> Any:
    import torch

    return getattr(torch, device.dtype)


def module_bytes(obj: Any) -> int:
    """Bytes of parameters and buffers of every torch module a pipeline (or model) holds."""
    import torch

    modules: list[torch.nn.Module] = []
    if isinstance(obj, torch.nn.Module):
        modules.append(obj)
    components = getattr(obj, "components", None)
    if isinstance(components, dict):
        modules.extend(v for v in components.values() if isinstance(v, torch.nn.Module))
    seen: set[int] = set()
    total = 0
    for module in modules:
        for tensor in (*module.parameters(), *module.buffers()):
            if id(tensor) not in seen:
                seen.add(id(tensor))
                total += tensor.numel() * tensor.element_size()
    return total


def cache_key(info: ModelInfo, device: DeviceInfo) -> str:
    return f"{info.id}@{info.sha256[:12]}:{device.device}:{device.dtype}"


def load_pipeline(info: ModelInfo, device: DeviceInfo) -> tuple[Any, int]:
    """A diffusers pipeline from the models dir, on the device, never touching the network."""
    with LOAD_LOCK:
        return _load_pipeline(info, device)


def _load_pipeline(info: ModelInfo, device: DeviceInfo) -> tuple[Any, int]:
    from diffusers import DiffusionPipeline

    dtype = torch_dtype(device)
    try:
        if info.format == "diffusers":
            from_pretrained: Any = DiffusionPipeline.from_pretrained  # untyped library boundary
            pipe = from_pretrained(str(info.path), dtype=dtype, local_files_only=True)
        elif info.format == "safetensors" and info.kind == "text_to_image":
            from diffusers import StableDiffusionPipeline

            pipe = StableDiffusionPipeline.from_single_file(str(info.path), dtype=dtype,
                                                            local_files_only=True)
        else:
            raise NodeFailed(f"model {info.id!r} ({info.format}) is not a diffusers pipeline",
                             code="MODEL_FORMAT_UNSUPPORTED", details={"model": info.id, "format": info.format})
    except NodeFailed:
        raise
    except (OSError, ValueError) as exc:
        raise NodeFailed(f"model {info.id!r} could not be loaded from {info.path}: {exc}",
                         code="MODEL_LOAD_FAILED", details={"model": info.id}) from exc
    pipe.to(device.device)
    pipe.set_progress_bar_config(disable=True)
    return pipe, module_bytes(pipe)


@dataclass
class PipelineLease:
    pipe: Any
    info: ModelInfo
    device: DeviceInfo
    loaded_now: bool
    extras: dict[str, Any]


@contextmanager
def lease_pipeline(host: ModelHost, info: ModelInfo, role: Role = "base") -> Iterator[PipelineLease]:
    """The warm pipeline for ``info`` (loading it once if needed), locked for one job."""
    device = host.gpu.device
    if device is None:
        raise NodeFailed("the GPU runtime is not started", code="GPU_NOT_READY", status=503)
    with host.cache.lease(cache_key(info, device), lambda: load_pipeline(info, device),
                          estimate_bytes=info.size_bytes) as lease, lease.run_lock:
        pipe = lease.value
        if role != "base":
            pipe = _derived(lease.extras, pipe, role, info)
        yield PipelineLease(pipe, info, device, lease.loaded_now, lease.extras)


def _derived(extras: dict[str, Any], pipe: Any, role: Role, info: ModelInfo) -> Any:
    key = f"derived:{role}"
    if key not in extras:
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

        auto = AutoPipelineForImage2Image if role == "img2img" else AutoPipelineForInpainting
        try:
            derived = auto.from_pipe(pipe)
        except (ValueError, KeyError) as exc:
            raise NodeFailed(f"model {info.id!r} ({type(pipe).__name__}) has no {role} variant",
                             code="MODEL_KIND_MISMATCH", details={"model": info.id, "role": role}) from exc
        derived.set_progress_bar_config(disable=True)
        extras[key] = derived
    return extras[key]


def apply_loras(lease: PipelineLease, loras: list[ResolvedLora]) -> None:
    """Activate exactly ``loras`` (in order, with weights) on the shared pipeline; adapters load once."""
    pipe = lease.pipe
    loaded: dict[str, str] = lease.extras.setdefault("adapters", {})
    if not loras:
        if loaded:
            pipe.disable_lora()
        return
    if not hasattr(pipe, "load_lora_weights"):
        raise NodeFailed(f"{type(pipe).__name__} does not take LoRAs", code="LORA_UNSUPPORTED")
    weights: dict[str, float] = {}  # adapter name -> weight, in chain order; a repeated LoRA adds up
    for lora in loras:
        name = f"lora_{lora.sha256[:16]}"
        weights[name] = weights.get(name, 0.0) + lora.weight
        if name not in loaded:
            try:
                pipe.load_lora_weights(str(lora.path.parent), weight_name=lora.path.name, adapter_name=name,
                                       local_files_only=True)
            except (ValueError, KeyError, RuntimeError, OSError) as exc:
                raise NodeFailed(f"LoRA {lora.id!r} does not fit model {lease.info.id!r}: {exc}",
                                 code="LORA_INCOMPATIBLE", details={"lora": lora.id, "model": lease.info.id}) from exc
            loaded[name] = lora.id
    pipe.enable_lora()
    pipe.set_adapters(list(weights), adapter_weights=list(weights.values()))


def accepts(pipe: Any, name: str) -> bool:
    return name in inspect.signature(pipe.__call__).parameters


def run_pipeline(pipe: Any, ctx: NodeContext, gpu: GpuTask, steps: int, **kwargs: Any) -> Any:
    """Call the pipeline with per-step progress and cancel between denoising steps (through the
    step-end callback, or the per-step ``callback`` of pipelines that have no other)."""

    def on_step_end(p: Any, step: int, _timestep: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        total = int(getattr(p, "_num_timesteps", 0) or steps) or 1
        ctx.progress(min(0.98, (step + 1) / total), f"step {step + 1}/{total}")
        if gpu.should_stop:
            p._interrupt = True
            gpu.check()
            raise Canceled("canceled by user")
        return callback_kwargs

    def on_step(step: int, timestep: Any, _latents: Any) -> None:
        on_step_end(pipe, step, timestep, {})

    gpu.check()
    if accepts(pipe, "callback_on_step_end"):
        kwargs["callback_on_step_end"] = on_step_end
    elif accepts(pipe, "callback"):  # older pipelines (TextToVideoSDPipeline): callback(step, timestep, latents)
        kwargs.update(callback=on_step, callback_steps=1)
    return pipe(**kwargs)


def generator(seed: int) -> Any:
    """A CPU generator: the same seed gives the same noise on every device."""
    import torch

    return torch.Generator(device="cpu").manual_seed(seed)


def size_multiple(pipe: Any) -> int:
    """Pixel sizes must be multiples of this (VAE scale times UNet downsampling, and of 8, which the
    diffusers pipelines check whatever the VAE: a small VAE's factor alone gave e.g. 84 x 48 for 16:9)."""
    vae_scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    unet = getattr(pipe, "unet", None)
    blocks = len(getattr(getattr(unet, "config", None), "block_out_channels", ()) or ())
    return math.lcm(8, vae_scale * (2 ** max(0, blocks - 1)) if blocks else vae_scale * 8)


def native_size(pipe: Any) -> int:
    """The model's native square side in pixels (e.g. 512 for SD 1.5, 64 for a tiny test model)."""
    vae_scale = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    for name in ("unet", "transformer"):
        module = getattr(pipe, name, None)
        sample = getattr(getattr(module, "config", None), "sample_size", None)
        if isinstance(sample, int) and sample > 0:
            return sample * vae_scale
        if isinstance(sample, (list, tuple)) and sample:
            return int(sample[0]) * vae_scale
    return 512


def snap(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def output_size(pipe: Any, aspect_ratio: str, width: int, height: int) -> tuple[int, int]:
    """Explicit width/height win; else the aspect ratio at the model's native pixel area."""
    multiple = size_multiple(pipe)
    if width > 0 and height > 0:
        return snap(width, multiple), snap(height, multiple)
    side = native_size(pipe)
    a, _, b = aspect_ratio.partition(":")
    ratio = float(a) / float(b)
    area = side * side
    w = (area * ratio) ** 0.5
    return snap(w, multiple), snap(w / ratio, multiple)
