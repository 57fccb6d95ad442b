"""GPU Control as a use case: status, start, stop (who may, decided by the policy module), health.

When several API processes share a database (``leases`` given), the GPU runtime's state is the
cluster's: the process whose runtime is up holds the GPU runtime lease (``store/gpu_leases.py``),
any process answers ``status`` from it, and a stop asked through another process is written onto
it for the holder to carry out (:meth:`GpuControl.keep`, called about every quarter lease).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

from ..core.policy import Principal, require_gpu_stop
from ..runtimes.models.gpu import GpuHealth, GpuMemory, GpuRuntime, GpuState, GpuStatus, StopMode
from ..store.gpu_leases import GpuLease, GpuLeases, LeaseTaken

__all__ = ["GpuControl", "GpuHealth", "GpuStatus", "GpuStopped", "StopMode"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpuStopped(GpuStatus):
    """The runtime's status right after a stop was asked for, with the mode asked."""

    mode: StopMode


def _status_of(lease: GpuLease, **changes: Any) -> GpuStatus:
    """The holder's runtime status as of its last heartbeat."""
    fields = {**lease.status, "memory": GpuMemory(**lease.status["memory"]),
              "uptime_seconds": round(max(0.0, time.time() - lease.started_at), 3), **changes}
    return GpuStatus(**fields)


class GpuControl:
    def __init__(self, runtime: GpuRuntime, leases: GpuLeases | None = None) -> None:
        self.runtime = runtime
        self.leases = leases

    def _elsewhere(self) -> GpuLease | None:
        """The lease of another process's running runtime, when this one's is stopped (shared mode)."""
        if self.leases is None or self.runtime.state != GpuState.STOPPED:
            return None
        lease = self.leases.current()
        return lease if lease is not None and lease.holder_id != self.leases.holder_id else None

    def status(self) -> GpuStatus:
        lease = self._elsewhere()
        return self.runtime.status() if lease is None else _status_of(lease)

    def start(self, principal: Principal) -> GpuStatus:
        lease = self._elsewhere()
        if lease is not None and lease.stop_mode is None:
            return _status_of(lease)  # already up on another process
        status = self.runtime.start(started_by=principal.user_id)
        self.keep()  # claimed now, so every process sees it at once
        return status

    def stop(self, principal: Principal, mode: StopMode) -> GpuStopped:
        lease = self._elsewhere()
        if lease is not None and self.leases is not None:
            require_gpu_stop(principal, running=True, started_by=lease.started_by, immediate=mode == "immediate")
            self.leases.request_stop(mode)
            stopping = _status_of(lease, state=GpuState.STOPPING.value, ready=False, accepting_tasks=False)
            return GpuStopped(**vars(stopping), mode=mode)
        require_gpu_stop(principal, running=self.runtime.state != GpuState.STOPPED,
                         started_by=self.runtime.started_by, immediate=mode == "immediate")
        stopped = GpuStopped(**vars(self.runtime.stop(mode)), mode=mode)
        self.keep()
        return stopped

    def keep(self) -> None:
        """Shared mode: hold the lease while this process's runtime is up (carrying out a stop asked
        through another process), release it once stopped. Blocking: call it off the event loop."""
        if self.leases is None:
            return
        status = self.runtime.status()
        if status.state == GpuState.STOPPED.value:
            self.leases.release()
            return
        if status.state == GpuState.STARTING.value:
            return  # claimed once ready, with who started it and since when
        try:
            stop_mode = self.leases.hold(self.runtime.started_by, status.started_at or time.time(),
                                         dataclasses.asdict(status))
        except LeaseTaken as taken:
            log.warning("the GPU runtime lease is held by %s; this process's runtime runs unlisted", taken)
            return
        if stop_mode in ("graceful", "immediate") and self.runtime.state == GpuState.READY:
            log.info("stopping the GPU runtime (%s), as asked through another process", stop_mode)
            self.runtime.stop("immediate" if stop_mode == "immediate" else "graceful")
            self.keep()

    def health(self) -> GpuHealth:
        return self.runtime.health()
