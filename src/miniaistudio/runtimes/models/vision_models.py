"""Transformers vision models: depth estimation (DPT and friends) and super-resolution (Swin2SR).

Loaded from the models dir with ``local_files_only=True``, kept warm in the same LRU as the
diffusion pipelines. Slow (PIL/numpy) image processors are used so torchvision is not needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.errors import NodeFailed
from .diffusion import LOAD_LOCK, cache_key, module_bytes, torch_dtype
from .gpu import DeviceInfo
from .model_host import ModelHost, ModelInfo

if TYPE_CHECKING:
    from PIL import Image


@dataclass
class VisionModel:
    model: Any
    processor: Any
    device: DeviceInfo
    loaded_now: bool


def _load(info: ModelInfo, device: DeviceInfo) -> tuple[tuple[Any, Any], int]:
    with LOAD_LOCK:
        return _load_unlocked(info, device)


def _load_unlocked(info: ModelInfo, device: DeviceInfo) -> tuple[tuple[Any, Any], int]:
    from transformers import AutoImageProcessor

    dtype = torch_dtype(device)
    try:
        if info.kind == "depth":
            from transformers import AutoModelForDepthEstimation

            model = AutoModelForDepthEstimation.from_pretrained(str(info.path), dtype=dtype, local_files_only=True)
        elif info.kind == "upscaler":
            from transformers import Swin2SRForImageSuperResolution

            model = Swin2SRForImageSuperResolution.from_pretrained(str(info.path), dtype=dtype,
                                                                   local_files_only=True)
        else:
            raise NodeFailed(f"model {info.id!r} ({info.kind}) is not a vision model", code="MODEL_KIND_MISMATCH")
        processor_from: Any = AutoImageProcessor.from_pretrained  # untyped library boundary
        processor = processor_from(str(info.path), backend="pil", local_files_only=True)
    except NodeFailed:
        raise
    except (OSError, ValueError) as exc:
        raise NodeFailed(f"model {info.id!r} could not be loaded from {info.path}: {exc}",
                         code="MODEL_LOAD_FAILED", details={"model": info.id}) from exc
    model.to(device.device)
    model.eval()
    return (model, processor), module_bytes(model)


@contextmanager
def lease_vision(host: ModelHost, info: ModelInfo) -> Iterator[VisionModel]:
    device = host.gpu.device
    if device is None:
        raise NodeFailed("the GPU runtime is not started", code="GPU_NOT_READY", status=503)
    if info.format != "transformers":
        raise NodeFailed(f"model {info.id!r} ({info.format}) is not a transformers model",
                         code="MODEL_FORMAT_UNSUPPORTED", details={"model": info.id, "format": info.format})
    with host.cache.lease(cache_key(info, device), lambda: _load(info, device),
                          estimate_bytes=info.size_bytes) as lease, lease.run_lock:
        model, processor = lease.value
        yield VisionModel(model, processor, device, lease.loaded_now)


def estimate_depth(vm: VisionModel, image: Image.Image) -> Image.Image:
    """A grayscale depth map at the input's size: near is bright, far is dark (relative depth)."""
    import numpy as np
    import torch
    from PIL import Image

    rgb = image.convert("RGB")
    inputs = vm.processor(images=rgb, return_tensors="pt")
    pixel_values = inputs["pixel_values"].to(vm.device.device, dtype=next(vm.model.parameters()).dtype)
    with torch.inference_mode():
        predicted = vm.model(pixel_values=pixel_values).predicted_depth
    depth = torch.nn.functional.interpolate(predicted.unsqueeze(1).float(), size=(rgb.height, rgb.width),
                                            mode="bicubic", align_corners=False)[0, 0]
    arr = depth.cpu().numpy()
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    scaled = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return Image.fromarray((scaled * 255.0).clip(0, 255).astype(np.uint8), mode="L")


def super_resolve(vm: VisionModel, image: Image.Image) -> tuple[Image.Image, int]:
    """One Swin2SR pass; returns the image and the model's scale factor."""
    import numpy as np
    import torch
    from PIL import Image

    rgb = image.convert("RGB")
    factor = int(getattr(vm.model.config, "upscale", 2) or 2)
    inputs = vm.processor(images=rgb, return_tensors="pt")
    pixel_values = inputs["pixel_values"].to(vm.device.device, dtype=next(vm.model.parameters()).dtype)
    with torch.inference_mode():
        out = vm.model(pixel_values=pixel_values).reconstruction
    arr = out[0].float().clamp(0, 1).cpu().numpy()
    arr = np.moveaxis(arr, 0, -1)[: rgb.height * factor, : rgb.width * factor]  # drop window padding
    return Image.fromarray((arr * 255.0).round().astype(np.uint8), mode="RGB"), factor
