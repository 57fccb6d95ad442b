"""GPU Control: the process-wide gate GPU-heavy nodes pass through.

States: ``stopped → starting → ready → stopping → stopped``. Only ``ready`` accepts tasks.
Starting probes the device (CUDA when torch sees one, else the CPU, reported as such);
stopping is ``graceful`` (running tasks finish, new ones are refused) or ``immediate``
(running tasks are told to stop between denoising steps). When the last task leaves a
stopping runtime, warm models are unloaded and the state becomes ``stopped``.

A GPU node runs inside :meth:`GpuRuntime.task`: when the runtime is not ready it starts it
if the session's GPU Control node allows auto-start, else it fails with ``GPU_NOT_READY``.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from ...core.context import NodeContext
from ...core.errors import Canceled, Conflict, NodeFailed, StudioError

log = logging.getLogger(__name__)

StopMode = Literal["graceful", "immediate"]


class GpuState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    STOPPING = "stopping"


@dataclass(frozen=True)
class DeviceInfo:
    device: str  # "cuda" | "cpu"
    name: str
    total_memory_bytes: int | None
    dtype: str  # "float16" on CUDA, "float32" on CPU
    torch_version: str | None


@dataclass(frozen=True)
class GpuMemory:
    total_bytes: int | None  # the device's memory (the machine's RAM on CPU); None before start
    models_bytes: int  # what warm models hold


@dataclass(frozen=True)
class GpuStatus:
    state: str
    ready: bool
    accepting_tasks: bool
    device: str | None  # "cuda" | "cpu"; before start "cpu" when no NVIDIA driver is present, else None
    device_name: str | None
    dtype: str | None
    torch_version: str | None
    memory: GpuMemory
    running_tasks: int
    started_at: float | None  # epoch seconds
    uptime_seconds: float


@dataclass(frozen=True)
class GpuHealth:
    status: Literal["ok", "degraded"]
    state: str
    device: str | None
    accepting_tasks: bool
    running_tasks: int
    completed_tasks: int
    refused_tasks: int
    last_error: str | None


@dataclass(eq=False)
class GpuTask:
    """One running GPU node; :meth:`check` raises Canceled after cancel or an immediate stop."""

    ctx: NodeContext
    started: float = field(default_factory=time.monotonic)
    aborted: threading.Event = field(default_factory=threading.Event)

    @property
    def should_stop(self) -> bool:
        return self.ctx.canceled or self.aborted.is_set()

    def check(self) -> None:
        if self.aborted.is_set():
            raise Canceled("the GPU runtime was stopped", details={"reason": "gpu_stopped"})
        self.ctx.check_canceled()


class GpuObserver(Protocol):
    """Told of the runtime's life (GPU billing, ``services/gpu_billing.py``). ``starting`` may refuse
    the start by raising a :class:`StudioError`; the others must not raise. Called without the
    runtime's lock held."""

    def starting(self, started_by: str | None) -> None: ...

    def start_failed(self) -> None: ...

    def task_finished(self) -> None: ...

    def stopped(self) -> None: ...


def no_gpu_hardware() -> bool:
    """True when no NVIDIA driver is present: CUDA is impossible, without importing torch."""
    return not Path("/proc/driver/nvidia").exists() and not any(Path("/dev").glob("nvidia[0-9]*"))


def probe_device() -> DeviceInfo:
    """The device models run on. Imports torch (only called when the runtime starts)."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return DeviceInfo("cuda", str(props.name), int(props.total_memory), "float16", torch.__version__)
    return DeviceInfo("cpu", _cpu_name(), _ram_bytes(), "float32", torch.__version__)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def _ram_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


class GpuRuntime:
    def __init__(
        self,
        *,
        on_stopped: Callable[[], Any] | None = None,
        probe: Callable[[], DeviceInfo] = probe_device,
    ) -> None:
        self._cond = threading.Condition()
        self._state = GpuState.STOPPED
        self._device: DeviceInfo | None = None
        self._tasks: set[GpuTask] = set()
        self._started_at: float | None = None
        self._started_by: str | None = None  # the user who started it (None: the studio itself)
        self._on_stopped = on_stopped
        self._probe = probe
        self._completed = 0
        self._refused = 0
        self._last_error: str | None = None
        self.memory_in_use: Callable[[], int] = lambda: 0
        self.observer: GpuObserver | None = None

    @property
    def state(self) -> GpuState:
        return self._state

    @property
    def started_by(self) -> str | None:
        """The user id that brought the runtime up (by the API or a node's auto-start)."""
        return self._started_by

    @property
    def running_tasks(self) -> int:
        return len(self._tasks)

    @property
    def device(self) -> DeviceInfo | None:
        return self._device

    # ----------------------------------------------------------------- control
    def start(self, timeout: float = 120.0, *, started_by: str | None = None) -> GpuStatus:
        """Bring the runtime to ``ready`` (waits for a stop in progress to finish first)."""
        with self._cond:
            deadline = time.monotonic() + timeout
            while self._state in (GpuState.STOPPING, GpuState.STARTING):
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise Conflict("the GPU runtime is busy changing state; try again",
                                   code="GPU_BUSY", details={"state": self._state.value})
            if self._state == GpuState.READY:
                return self._status_locked()
            self._state = GpuState.STARTING
            self._cond.notify_all()
        try:
            if self.observer is not None:
                self.observer.starting(started_by)
        except StudioError:  # e.g. INSUFFICIENT_BALANCE: the runtime stays stopped
            with self._cond:
                self._state = GpuState.STOPPED
                self._cond.notify_all()
            raise
        try:
            device = self._probe()
        except Exception as exc:
            with self._cond:
                self._state = GpuState.STOPPED
                self._last_error = f"{type(exc).__name__}: {exc}"
                self._cond.notify_all()
            if self.observer is not None:
                self.observer.start_failed()
            raise NodeFailed(f"the GPU runtime could not start: {exc}", code="GPU_START_FAILED",
                             status=503) from exc
        with self._cond:
            self._device = device
            self._state = GpuState.READY
            self._started_at = time.time()
            self._started_by = started_by
            self._last_error = None
            self._cond.notify_all()
            log.info("GPU runtime ready on %s (%s)", device.device, device.name)
            return self._status_locked()

    def stop(self, mode: StopMode = "graceful") -> GpuStatus:
        with self._cond:
            if self._state == GpuState.STOPPED:
                self._unload_models()  # CPU nodes keep models warm while the runtime is stopped
                return self._status_locked()
            self._state = GpuState.STOPPING
            if mode == "immediate":
                for task in self._tasks:
                    task.aborted.set()
            self._cond.notify_all()
            if self._tasks:
                return self._status_locked()
        self._finish_stop()
        with self._cond:
            return self._status_locked()

    def wait_stopped(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._state == GpuState.STOPPED, timeout)

    def _unload_models(self) -> None:
        if self._on_stopped is not None:
            try:
                self._on_stopped()
            except Exception:
                log.exception("unloading models on GPU stop failed")

    def _finish_stop(self) -> None:
        self._unload_models()
        with self._cond:
            stopped = self._state == GpuState.STOPPING and not self._tasks
            if stopped:
                self._state = GpuState.STOPPED
                self._started_at = None
                self._started_by = None
                self._cond.notify_all()
        if stopped and self.observer is not None:
            self.observer.stopped()

    # ------------------------------------------------------------------- tasks
    @contextmanager
    def task(self, ctx: NodeContext, *, auto_start: bool) -> Iterator[GpuTask]:
        """Run GPU work: auto-starts or refuses with GPU_NOT_READY; tracks the running task."""
        handle = GpuTask(ctx)
        while True:
            with self._cond:
                if self._state == GpuState.READY:
                    self._tasks.add(handle)
                    break
                state = self._state
                if state == GpuState.STARTING:
                    self._cond.wait(1.0)
                    continue
                if not auto_start or state == GpuState.STOPPING:
                    self._refused += 1
                    reason = ("it is stopping" if state == GpuState.STOPPING
                              else "it is stopped and the GPU Control node does not allow auto-start")
                    raise NodeFailed(
                        f"the GPU runtime is not ready ({reason}); start it with the GPU Control node, "
                        "POST /api/v2/gpu/start, or enable auto_start",
                        code="GPU_NOT_READY", status=503, details={"state": state.value},
                    )
            ctx.progress(0.0, "starting the GPU runtime")
            self.start(started_by=ctx.user_id)
        try:
            handle.check()
            yield handle
        finally:
            with self._cond:
                self._tasks.discard(handle)
                self._completed += 1
                finish = self._stopping_idle()
                self._cond.notify_all()
            if self.observer is not None:
                self.observer.task_finished()
            if finish:
                self._finish_stop()

    def _stopping_idle(self) -> bool:
        return self._state == GpuState.STOPPING and not self._tasks

    # ------------------------------------------------------------------ status
    def status(self) -> GpuStatus:
        with self._cond:
            return self._status_locked()

    def _status_locked(self) -> GpuStatus:
        dev = self._device
        if dev is not None:
            device: str | None = dev.device
        else:  # not started: say what we know without importing torch
            device = "cpu" if no_gpu_hardware() else None
        return GpuStatus(
            state=self._state.value,
            ready=self._state == GpuState.READY,
            accepting_tasks=self._state == GpuState.READY,
            device=device,
            device_name=dev.name if dev else None,
            dtype=dev.dtype if dev else None,
            torch_version=dev.torch_version if dev else None,
            memory=GpuMemory(total_bytes=dev.total_memory_bytes if dev else None,
                             models_bytes=self.memory_in_use()),
            running_tasks=len(self._tasks),
            started_at=self._started_at,
            uptime_seconds=round(time.time() - self._started_at, 3) if self._started_at else 0.0,
        )

    def health(self) -> GpuHealth:
        with self._cond:
            status = self._status_locked()
            return GpuHealth(
                status="degraded" if self._last_error else "ok",
                state=status.state,
                device=status.device,
                accepting_tasks=status.accepting_tasks,
                running_tasks=status.running_tasks,
                completed_tasks=self._completed,
                refused_tasks=self._refused,
                last_error=self._last_error,
            )
