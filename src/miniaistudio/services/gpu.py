"""GPU Control as a use case: status, start, stop (who may, decided by the policy module), health."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.policy import Principal, require_gpu_stop
from ..runtimes.models.gpu import GpuHealth, GpuRuntime, GpuState, GpuStatus, StopMode

__all__ = ["GpuControl", "GpuHealth", "GpuStatus", "GpuStopped", "StopMode"]


@dataclass(frozen=True)
class GpuStopped(GpuStatus):
    """The runtime's status right after a stop was asked for, with the mode asked."""

    mode: StopMode


class GpuControl:
    def __init__(self, runtime: GpuRuntime) -> None:
        self.runtime = runtime

    def status(self) -> GpuStatus:
        return self.runtime.status()

    def start(self, principal: Principal) -> GpuStatus:
        return self.runtime.start(started_by=principal.user_id)

    def stop(self, principal: Principal, mode: StopMode) -> GpuStopped:
        require_gpu_stop(principal, running=self.runtime.state != GpuState.STOPPED,
                         started_by=self.runtime.started_by, immediate=mode == "immediate")
        return GpuStopped(**vars(self.runtime.stop(mode)), mode=mode)

    def health(self) -> GpuHealth:
        return self.runtime.health()
