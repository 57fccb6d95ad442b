"""GPU Control over HTTP: GetGPUStatus, StartGPU, StopGPU, GetGPUSchedulerHealth."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ...services.gpu import StopMode
from ..common.deps import CurrentUser, StudioDep
from .model_schemas import GpuHealthPublic, GpuStatusPublic, GpuStopPublic

router = APIRouter(prefix="/gpu", tags=["gpu"])


@router.get("/status", summary="GetGPUStatus: state, device, memory, whether tasks are accepted",
            response_model=GpuStatusPublic, response_model_exclude_unset=True)
def gpu_status(_: CurrentUser, studio: StudioDep) -> GpuStatusPublic:
    return GpuStatusPublic.of(studio.gpu.status())


@router.post("/start", summary="StartGPU: bring the runtime to ready",
             response_model=GpuStatusPublic, response_model_exclude_unset=True)
async def gpu_start(user: CurrentUser, studio: StudioDep) -> GpuStatusPublic:
    return GpuStatusPublic.of(await asyncio.to_thread(studio.gpu.start, user))


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: StopMode = "graceful"


@router.post("/stop", summary="StopGPU: graceful (running tasks finish) or immediate (they are canceled)",
             response_model=GpuStopPublic, response_model_exclude_unset=True)
def gpu_stop(user: CurrentUser, studio: StudioDep, body: StopBody | None = None) -> GpuStopPublic:
    return GpuStopPublic.of_stopped(studio.gpu.stop(user, body.mode if body is not None else "graceful"))


@router.get("/scheduler/health", summary="GetGPUSchedulerHealth",
            response_model=GpuHealthPublic, response_model_exclude_unset=True)
def gpu_scheduler_health(_: CurrentUser, studio: StudioDep) -> GpuHealthPublic:
    return GpuHealthPublic.of(studio.gpu.health())
