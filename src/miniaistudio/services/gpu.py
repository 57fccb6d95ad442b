"""GPU Control as a use case: status, start, stop (who may, decided by the policy module), health."""

from __future__ import annotations

from typing import Any

from ..core.policy import Principal, require_gpu_stop
from ..runtimes.models.gpu import GpuRuntime, GpuState, StopMode

__all__ = ["GpuControl", "StopMode"]


class GpuControl:
    def __init__(self, runtime: GpuRuntime) -> None:
        self.runtime = runtime

    def status(self) -> dict[str, Any]:
        return self.runtime.status()

    def start(self, principal: Principal) -> dict[str, Any]:
        return self.runtime.start(started_by=principal.user_id)

    def stop(self, principal: Principal, mode: StopMode) -> dict[str, Any]:
        require_gpu_stop(principal, running=self.runtime.state != GpuState.STOPPED,
                         started_by=self.runtime.started_by, immediate=mode == "immediate")
        return {**self.runtime.stop(mode), "mode": mode}

    def health(self) -> dict[str, Any]:
        return self.runtime.health()
