"""What generation nodes reach for models: the installed-model catalog, the warm cache and the
GPU gate, built once per process by the composition root (``studio.py``) and handed to nodes
through their context (``ctx.models``, typed by :func:`host_of`).

Nodes only see :class:`ModelInfo` values and the :class:`ModelCatalog` protocol; the
database-backed catalog lives in ``services/models.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ...core.context import NodeContext
from ...core.errors import NodeFailed, NotFound, ToolMissing
from .gpu import GpuRuntime
from .model_cache import ModelCache

# What the studio suggests pulling when no model of a kind is installed.
DEFAULT_REPOS: dict[str, str] = {
    "text_to_image": "stabilityai/sd-turbo",
    "image_edit": "timbrooks/instruct-pix2pix",
    "inpaint": "stable-diffusion-v1-5/stable-diffusion-inpainting",
    "upscaler": "caidas/swin2SR-classical-sr-x2-64",
    "image_to_video": "stabilityai/stable-video-diffusion-img2vid",
    "text_to_video": "ali-vilab/text-to-video-ms-1.7b",
    "depth": "Intel/dpt-hybrid-midas",
    "lora": "fal/Qwen-Image-Edit-2511-Multiple-Angles-LoRA",
}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str
    kind: str
    format: str
    path: Path  # absolute
    size_bytes: int
    sha256: str
    default_params: dict[str, Any] = field(default_factory=dict)
    credits_per_generation: int = 0
    source: str | None = None

    def provenance(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.display_name, "kind": self.kind, "format": self.format,
                "sha256": self.sha256, "source": self.source}


class LoraNotFound(NotFound):
    code = "LORA_NOT_FOUND"


@dataclass(frozen=True)
class ResolvedLora:
    id: str
    name: str
    filename: str
    path: Path
    weight: float
    sha256: str

    def provenance(self) -> dict[str, Any]:
        """What a generated file records about the LoRA."""
        return {"id": self.id, "name": self.name, "filename": self.filename, "weight": self.weight,
                "sha256": self.sha256}


class ModelCatalog(Protocol):
    def find(self, ref: str) -> ModelInfo | None:
        """An installed model by id, display name, hub repo id or file name; None if absent."""

    def first_of_kind(self, kinds: Iterable[str]) -> ModelInfo | None:
        """The oldest installed model of the first kind that has one."""

    def models_of_kind(self, kind: str) -> list[ModelInfo]:
        """Installed models of one kind, oldest first."""

    def resolve_loras(self, chain: list[tuple[str, float]], *, by_filename: bool = False) -> list[ResolvedLora]:
        """Ordered LoRAs with weights; raises :class:`LoraNotFound` naming every unknown one."""


def install_command(ref: str, kinds: Iterable[str]) -> str:
    """The exact CLI command that installs what a node asked for."""
    kinds = list(kinds)
    if ref and ("/" in ref or "\\" in ref):
        if Path(ref).expanduser().exists() or ref.startswith((".", "/", "~")):
            return f"miniaistudio models import {ref}"
        return f"miniaistudio models pull {ref}"
    for kind in kinds:
        if kind in DEFAULT_REPOS:
            return f"miniaistudio models pull {DEFAULT_REPOS[kind]}"
    return "miniaistudio models import PATH"


def model_not_installed(ref: str, kinds: Iterable[str]) -> NodeFailed:
    kinds = list(kinds)
    command = install_command(ref, kinds)
    what = f"model {ref!r} is not installed" if ref else f"no {' or '.join(kinds)} model is installed"
    return NodeFailed(
        f"{what}; install it with `{command}` (or copy it here with `miniaistudio models import PATH`), "
        "then check `miniaistudio models list`",
        code="MODEL_NOT_INSTALLED", status=422,
        details={"model": ref, "kinds": kinds, "command": command},
    )


class ModelHost:
    def __init__(self, catalog: ModelCatalog, models_dir: Path, cache_budget_bytes: int) -> None:
        self.catalog = catalog
        self.models_dir = models_dir
        self.cache = ModelCache(cache_budget_bytes, on_evict=_free_device_memory)
        self.gpu = GpuRuntime(on_stopped=self.cache.clear)
        self.gpu.memory_in_use = lambda: int(self.cache.stats()["used_bytes"])

    def resolve(self, ref: str, kinds: Iterable[str]) -> ModelInfo:
        """The installed model ``ref`` (or the first of ``kinds`` when empty); MODEL_NOT_INSTALLED
        names the install command, MODEL_KIND_MISMATCH says which kinds fit."""
        kinds = tuple(kinds)
        info = self.catalog.find(ref) if ref else self.catalog.first_of_kind(kinds)
        if info is None:
            raise model_not_installed(ref, kinds)
        if info.kind not in kinds:
            raise NodeFailed(
                f"model {info.id!r} is a {info.kind} model; this node needs {' or '.join(kinds)}",
                code="MODEL_KIND_MISMATCH", details={"model": info.id, "kind": info.kind, "kinds": list(kinds)},
            )
        if not info.path.exists():
            raise NodeFailed(
                f"model {info.id!r} is registered but its files are missing at {info.path}; "
                f"run `miniaistudio models remove {info.id}` and install it again",
                code="MODEL_FILES_MISSING", details={"model": info.id, "path": str(info.path)},
            )
        return info

    def shutdown(self) -> None:
        self.cache.clear()


def _free_device_memory(_value: Any) -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def host_of(ctx: NodeContext) -> ModelHost:
    """The model host a node's context carries (the executor was given it by the composition root)."""
    host = ctx.models
    if not isinstance(host, ModelHost):
        raise ToolMissing("the model runtime is not configured in this process", code="MODEL_RUNTIME_MISSING")
    return host
