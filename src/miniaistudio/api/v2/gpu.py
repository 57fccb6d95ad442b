"""GPU Control over HTTP: GetGPUStatus, StartGPU, StopGPU, GetGPUSchedulerHealth."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ...core.policy import require_gpu_stop
from ...runtimes.models.gpu import GpuState, StopMode
from ..common.deps import CurrentUser, StudioDep
from .schemas import GpuHealthPublic, GpuStatusPublic, GpuStopPublic

router = APIRouter(prefix="/gpu", tags=["gpu"])


@router.get("/status", summary="GetGPUStatus: state, device, memory, whether tasks are accepted",
            response_model=GpuStatusPublic, response_model_exclude_unset=True)
def gpu_status(_: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return studio.model_host.gpu.status()


@router.post("/start", summary="StartGPU: bring the runtime to ready",
             response_model=GpuStatusPublic, response_model_exclude_unset=True)
async def gpu_start(user: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return await asyncio.to_thread(studio.model_host.gpu.start, started_by=user.user_id)


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: StopMode = "graceful"


@router.post("/stop", summary="StopGPU: graceful (running tasks finish) or immediate (they are canceled)",
             response_model=GpuStopPublic, response_model_exclude_unset=True)
def gpu_stop(user: CurrentUser, studio: StudioDep, body: StopBody | None = None) -> dict[str, Any]:
    mode: StopMode = body.mode if body is not None else "graceful"
    gpu = studio.model_host.gpu
    require_gpu_stop(user, running=gpu.state != GpuState.STOPPED, started_by=gpu.started_by,
                     immediate=mode == "immediate")
    return {**gpu.stop(mode), "mode": mode}


@router.get("/scheduler/health", summary="GetGPUSchedulerHealth",
            response_model=GpuHealthPublic, response_model_exclude_unset=True)
def gpu_scheduler_health(_: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return studio.model_host.gpu.health()
