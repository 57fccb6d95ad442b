"""Models and LoRAs: ``GET /models``, the warm-cache view, admin import/remove, and the SDK's
ListLoRAs / ResolveLoRAChain / ResolveLoRAChainByFilename."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...core.policy import StudioAction, require_studio
from ...services.model_files import KINDS, allowed_import_path, import_candidates
from ...services.models import MAX_CREDITS_PER_GENERATION
from ..common.deps import CurrentUser, StudioDep
from .model_schemas import (
    GpuStatusPublic,
    ImportCandidatePublic,
    ImportCandidatesPublic,
    LoraChainPublic,
    LoraPublic,
    LorasPublic,
    ModelCachePublic,
    ModelPublic,
    ModelRemovedPublic,
    ModelRuntimePublic,
    ModelsPublic,
)

router = APIRouter(tags=["models"])


@router.get("/models", summary="Installed models, optionally of one kind (type)",
            response_model=ModelsPublic, response_model_exclude_unset=True)
def list_models(_: CurrentUser, studio: StudioDep,
                type: str | None = Query(default=None, description=f"one of {', '.join(KINDS)}")) -> ModelsPublic:
    return ModelsPublic(models=[ModelPublic.of(m) for m in studio.models.installed(kind=type)], kinds=list(KINDS))


@router.get("/models/runtime", summary="Warm model cache and GPU runtime: loads, hits, evictions",
            response_model=ModelRuntimePublic, response_model_exclude_unset=True)
def model_runtime(_: CurrentUser, studio: StudioDep) -> ModelRuntimePublic:
    host = studio.model_host
    return ModelRuntimePublic(cache=ModelCachePublic.model_validate(host.cache.stats()),
                              gpu=GpuStatusPublic.of(host.gpu.status()))


@router.get("/models/importable", summary="What the server's import folders hold, ready to import (admin)",
            response_model=ImportCandidatesPublic, response_model_exclude_unset=True)
async def importable_models(user: CurrentUser, studio: StudioDep) -> ImportCandidatesPublic:
    require_studio(user, StudioAction.MANAGE_MODELS)
    roots = studio.settings.resolved_model_import_dirs
    found = await asyncio.to_thread(import_candidates, roots)
    return ImportCandidatesPublic(folders=[r.name for r in roots],
                                  candidates=[ImportCandidatePublic.of(c) for c in found])


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, description="a folder or file on the server")
    kind: str | None = None
    name: str | None = Field(default=None, max_length=200)
    default_params: dict[str, Any] = Field(default_factory=dict)
    credits_per_generation: int = Field(default=0, ge=0, le=MAX_CREDITS_PER_GENERATION)


@router.post("/models/import", status_code=201, summary="Import a model folder or file on the server (admin)",
             response_model=ModelPublic, response_model_exclude_unset=True)
async def import_model(body: ImportBody, user: CurrentUser, studio: StudioDep) -> ModelPublic:
    require_studio(user, StudioAction.MANAGE_MODELS)
    roots = studio.settings.resolved_model_import_dirs
    source = await asyncio.to_thread(allowed_import_path, body.path, roots)
    imported = await asyncio.to_thread(studio.models.import_path, source, kind=body.kind, name=body.name,
                                       default_params=body.default_params,
                                       credits_per_generation=body.credits_per_generation, confine_to=roots)
    return ModelPublic.of(imported)


@router.get("/models/{model_id}", summary="One installed model",
            response_model=ModelPublic, response_model_exclude_unset=True)
def get_model(model_id: str, _: CurrentUser, studio: StudioDep) -> ModelPublic:
    return ModelPublic.of(studio.models.entry(studio.models.get(model_id)))


@router.delete("/models/{model_id}", summary="Remove an installed model and its files (admin)",
               response_model=ModelRemovedPublic, response_model_exclude_unset=True)
def remove_model(model_id: str, user: CurrentUser, studio: StudioDep) -> ModelRemovedPublic:
    require_studio(user, StudioAction.MANAGE_MODELS)
    return ModelRemovedPublic(removed=ModelPublic.of(studio.models.remove(model_id)))


@router.get("/loras", summary="ListLoRAs: installed LoRAs",
            response_model=LorasPublic, response_model_exclude_unset=True)
def list_loras(_: CurrentUser, studio: StudioDep) -> LorasPublic:
    return LorasPublic(loras=[ModelPublic.of(m) for m in studio.models.loras()])


class ChainItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    name: str | None = None
    weight: float = Field(default=1.0, ge=-4.0, le=4.0)

    @model_validator(mode="after")
    def _one_ref(self) -> ChainItem:
        if not (self.id or self.name):
            raise ValueError("each LoRA needs an id or a name")
        return self


class ChainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chain: list[ChainItem] = Field(max_length=16)


class FilenameItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=-4.0, le=4.0)


class FilenameChainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chain: list[FilenameItem] = Field(max_length=16)


@router.post("/loras/resolve", summary="ResolveLoRAChain: ordered LoRAs with weights from ids or names",
             response_model=LoraChainPublic, response_model_exclude_unset=True)
def resolve_chain(body: ChainBody, _: CurrentUser, studio: StudioDep) -> LoraChainPublic:
    chain = [(item.id or item.name or "", item.weight) for item in body.chain]
    return LoraChainPublic(loras=[LoraPublic.of(lora) for lora in studio.models.resolve_loras(chain)])


@router.post("/loras/resolve-by-filename",
             summary="ResolveLoRAChainByFilename: ordered LoRAs with weights from file names",
             response_model=LoraChainPublic, response_model_exclude_unset=True)
def resolve_chain_by_filename(body: FilenameChainBody, _: CurrentUser, studio: StudioDep) -> LoraChainPublic:
    chain = [(item.filename, item.weight) for item in body.chain]
    return LoraChainPublic(loras=[LoraPublic.of(lora) for lora in studio.models.resolve_loras(chain, by_filename=True)])
