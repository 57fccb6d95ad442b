"""The v2 door's public models of the model library, LoRAs, the GPU runtime and voices (see
``schemas.py`` for the conventions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import Field

from ...services.gpu import GpuHealth, GpuStatus, GpuStopped
from ...services.model_files import ImportCandidate
from ...services.models import ImportedModel, InstalledModel, ResolvedLora
from ...services.voices import LlmModelInfo, LlmModelList, Voice, VoiceList
from .schemas import Public


# -- models, LoRAs, GPU, voices ------------------------------------------------------------------
class ModelPublic(Public):
    id: str
    display_name: str
    kind: str
    format: str
    path: str = Field(description="Inside the models folder")
    size_bytes: int
    sha256: str | None
    default_params: dict[str, Any]
    credits_per_generation: int | None
    source: str | None
    filename: str
    installed: bool
    created_at: datetime | None
    detected: dict[str, Any] | None = Field(default=None, description="Only on import: what the files were found to be")

    @classmethod
    def of(cls, model: InstalledModel) -> ModelPublic:
        detected = {"detected": model.detected} if isinstance(model, ImportedModel) else {}  # named only on import
        return cls(id=model.id, display_name=model.display_name, kind=model.kind, format=model.format,
                   path=model.path, size_bytes=model.size_bytes, sha256=model.sha256,
                   default_params=model.default_params, credits_per_generation=model.credits_per_generation,
                   source=model.source, filename=model.filename, installed=model.installed,
                   created_at=model.created_at, **detected)


class ImportCandidatePublic(Public):
    path: str = Field(description="Where it is on the server (send it to POST /models/import)")
    name: str
    folder: str = Field(description="The import folder it is in")
    kind: str | None = Field(description="What detection found it to be; null when it cannot be imported")
    format: str | None
    size_bytes: int
    problem: str | None = Field(description="Why it cannot be imported, if it cannot")

    @classmethod
    def of(cls, c: ImportCandidate) -> Self:
        return cls(path=c.path, name=c.name, folder=c.folder, kind=c.kind, format=c.format,
                   size_bytes=c.size_bytes, problem=c.problem)


class ImportCandidatesPublic(Public):
    folders: list[str] = Field(description="The import folders' names")
    candidates: list[ImportCandidatePublic]


class ModelsPublic(Public):
    models: list[ModelPublic]
    kinds: list[str]


class ModelRemovedPublic(Public):
    removed: ModelPublic


class CacheEntryPublic(Public):
    key: str
    size_bytes: int
    in_use: int
    load_seconds: float
    loaded_at: float


class ModelCachePublic(Public):
    """The warm model cache's counters (``ModelCache.stats``)."""

    budget_bytes: int
    used_bytes: int
    loads: dict[str, int]
    total_loads: int
    hits: int
    evictions: list[str]
    entries: list[CacheEntryPublic] = Field(description="Most recently used first")


class GpuMemoryPublic(Public):
    total_bytes: int | None
    models_bytes: int


class GpuStatusPublic(Public):
    state: str
    ready: bool
    accepting_tasks: bool
    device: str | None
    device_name: str | None
    dtype: str | None
    torch_version: str | None
    memory: GpuMemoryPublic
    running_tasks: int
    started_at: float | None
    uptime_seconds: float

    @classmethod
    def of(cls, status: GpuStatus, **more: Any) -> Self:
        """``more``: the fields a subclass adds."""
        return cls(state=status.state, ready=status.ready, accepting_tasks=status.accepting_tasks,
                   device=status.device, device_name=status.device_name, dtype=status.dtype,
                   torch_version=status.torch_version,
                   memory=GpuMemoryPublic(total_bytes=status.memory.total_bytes,
                                          models_bytes=status.memory.models_bytes),
                   running_tasks=status.running_tasks, started_at=status.started_at,
                   uptime_seconds=status.uptime_seconds, **more)


class GpuStopPublic(GpuStatusPublic):
    mode: str

    @classmethod
    def of_stopped(cls, stopped: GpuStopped) -> GpuStopPublic:
        return cls.of(stopped, mode=stopped.mode)


class GpuHealthPublic(Public):
    status: str
    state: str
    device: str | None
    accepting_tasks: bool
    running_tasks: int
    completed_tasks: int
    refused_tasks: int
    last_error: str | None

    @classmethod
    def of(cls, health: GpuHealth) -> GpuHealthPublic:
        return cls(status=health.status, state=health.state, device=health.device,
                   accepting_tasks=health.accepting_tasks, running_tasks=health.running_tasks,
                   completed_tasks=health.completed_tasks, refused_tasks=health.refused_tasks,
                   last_error=health.last_error)


class ModelRuntimePublic(Public):
    cache: ModelCachePublic
    gpu: GpuStatusPublic


class LoraPublic(Public):
    id: str
    name: str
    filename: str
    weight: float
    sha256: str | None

    @classmethod
    def of(cls, lora: ResolvedLora) -> LoraPublic:
        return cls(id=lora.id, name=lora.name, filename=lora.filename, weight=lora.weight, sha256=lora.sha256)


class LorasPublic(Public):
    loras: list[ModelPublic]


class LoraChainPublic(Public):
    loras: list[LoraPublic]


class VoicePublic(Public):
    id: str
    engine: str
    name: str
    language: str | None
    gender: str | None
    default: bool

    @classmethod
    def of(cls, voice: Voice) -> VoicePublic:
        return cls(id=voice.id, engine=voice.engine, name=voice.name, language=voice.language,
                   gender=voice.gender, default=voice.default)


class VoicesPublic(Public):
    voices: list[VoicePublic]
    engines: list[str]
    default: str

    @classmethod
    def of(cls, found: VoiceList) -> VoicesPublic:
        return cls(voices=[VoicePublic.of(v) for v in found.voices], engines=found.engines, default=found.default)


class LlmModelPublic(Public):
    id: str
    name: str
    size_bytes: int | None = Field(description="None while the default model is installable but not placed")
    default: bool
    placed: bool

    @classmethod
    def of(cls, model: LlmModelInfo) -> LlmModelPublic:
        return cls(id=model.name, name=model.name, size_bytes=model.size_bytes, default=model.default,
                   placed=model.placed)


class LlmModelsPublic(Public):
    models: list[LlmModelPublic]
    default: str
    folder: str = Field(description="Where .gguf files go, inside the studio's models folder")
    hint: str

    @classmethod
    def of(cls, found: LlmModelList) -> LlmModelsPublic:
        return cls(models=[LlmModelPublic.of(m) for m in found.models], default=found.default, folder=found.folder,
                   hint=found.hint)
