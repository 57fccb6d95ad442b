"""Warm models: one memory-budgeted LRU of every loaded model, shared by concurrent runs.

Diffusion pipelines, transformers vision models, llama.cpp language models, faster-whisper,
Piper voices, mediapipe graphs and ONNX sessions all live here, so one budget sees them and
one :meth:`ModelCache.clear` (GPU stop, shutdown) unloads them.

- A model loads at most once at a time: a per-key lock makes the second caller wait for the
  first load and then use it (no double loading).
- Entries in use (leased) are never evicted; the least recently used idle entries go first
  when a load would exceed the budget (RAM on CPU, VRAM on CUDA).
- One pipeline object runs one job at a time (:attr:`Lease.run_lock`): diffusers schedulers
  and LoRA adapter state are per pipeline, so concurrent runs share the weights and queue.
- An entry may carry its own ``close`` (llama.cpp, mediapipe), called when it is unloaded and,
  for what is still warm, when the process exits (llama.cpp's finaliser fails during
  interpreter shutdown).
- Counters (loads per key, hits, evictions) are exposed for ``GET /api/v2/models/runtime``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    key: str
    value: Any
    size_bytes: int
    loaded_at: float
    load_seconds: float
    last_used: float
    users: int = 0
    run_lock: threading.Lock = field(default_factory=threading.Lock)
    extras: dict[str, Any] = field(default_factory=dict)  # derived pipelines, loaded adapters
    close: Callable[[Any], None] | None = None
    discarded: bool = False


@dataclass
class Lease:
    """A loaded model held for one job; release by leaving :meth:`ModelCache.lease`."""

    key: str
    value: Any
    run_lock: threading.Lock
    extras: dict[str, Any]
    loaded_now: bool  # this call loaded it (cold) rather than finding it warm
    _entry: _Entry = field(repr=False)

    def discard(self) -> None:
        """Unload this model once the lease ends (it may be in a bad state); the next lease loads it again."""
        self._entry.discarded = True


Loader = Callable[[], tuple[Any, int]]  # returns (value, size in bytes)


def path_bytes(path: Path) -> int:
    """Bytes of a weights file, or of every file in a model folder: the size estimate of a CPU model."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size if path.exists() else 0


def _close_all(entries: OrderedDict[str, _Entry]) -> None:
    for entry in list(entries.values()):
        if entry.close is not None and entry.value is not None:
            entry.close(entry.value)
    entries.clear()


class ModelCache:
    def __init__(self, budget_bytes: int, on_evict: Callable[[Any], None] | None = None) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._on_evict = on_evict
        self.loads: dict[str, int] = {}
        self.hits = 0
        self.evictions: list[str] = []
        weakref.finalize(self, _close_all, self._entries)  # at exit: close what is still warm

    # ------------------------------------------------------------------ leasing
    @contextmanager
    def lease(self, key: str, loader: Loader, *, estimate_bytes: int = 0,
              close: Callable[[Any], None] | None = None) -> Iterator[Lease]:
        """The model ``key``, loaded by ``loader`` on first use; ``close(value)`` runs when it is unloaded."""
        entry, loaded_now = self._acquire(key, loader, estimate_bytes, close)
        try:
            yield Lease(key, entry.value, entry.run_lock, entry.extras, loaded_now, entry)
        finally:
            with self._lock:
                entry.users -= 1
                entry.last_used = time.monotonic()
                if entry.discarded:
                    self._discard(entry)
                self._evict_over_budget(keep=None)

    def _discard(self, entry: _Entry) -> None:
        """Forget a spoiled entry now (new leases load afresh); unload it once nobody uses it."""
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
        if entry.users == 0 and entry.value is not None:
            self._release(entry)

    def _acquire(self, key: str, loader: Loader, estimate_bytes: int,
                 close: Callable[[Any], None] | None) -> tuple[_Entry, bool]:
        with self._lock:
            entry = self._take(key)
            if entry is not None:
                self.hits += 1
                return entry, False
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:  # someone else may have loaded it while we waited
                entry = self._take(key)
                if entry is not None:
                    self.hits += 1
                    return entry, False
                self._make_room(estimate_bytes)
            started = time.perf_counter()
            value, size = loader()
            seconds = time.perf_counter() - started
            now = time.monotonic()
            entry = _Entry(key=key, value=value, size_bytes=size, loaded_at=time.time(),
                           load_seconds=seconds, last_used=now, users=1, close=close)
            with self._lock:
                self._entries[key] = entry
                self.loads[key] = self.loads.get(key, 0) + 1
                self._evict_over_budget(keep=key)
            log.info("loaded model %s (%.1f MiB) in %.2f s", key, size / 2**20, seconds)
            return entry, True

    def _take(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            entry.users += 1
            entry.last_used = time.monotonic()
            self._entries.move_to_end(key)
        return entry

    # ----------------------------------------------------------------- eviction
    def _used(self) -> int:
        return sum(e.size_bytes for e in self._entries.values())

    def _make_room(self, incoming: int) -> None:
        """Before a load: evict idle entries so the estimate fits (caller holds the lock)."""
        while self._entries and self._used() + incoming > self.budget_bytes:
            if not self._evict_one(keep=None):
                return

    def _evict_over_budget(self, keep: str | None) -> None:
        while self._used() > self.budget_bytes:
            if not self._evict_one(keep=keep):
                return

    def _evict_one(self, keep: str | None) -> bool:
        for key, entry in self._entries.items():  # oldest first
            if entry.users == 0 and key != keep:
                del self._entries[key]
                self.evictions.append(key)
                self._release(entry)
                log.info("evicted model %s (%.1f MiB)", key, entry.size_bytes / 2**20)
                return True
        return False

    def _release(self, entry: _Entry) -> None:
        value = entry.value
        entry.value = None
        entry.extras.clear()
        if entry.close is not None:
            try:
                entry.close(value)
            except Exception:
                log.exception("closing model %s failed", entry.key)
        if self._on_evict is not None:
            self._on_evict(value)
        del value
        gc.collect()

    def clear(self) -> int:
        """Unload every idle model (GPU stop, shutdown); returns how many were unloaded."""
        with self._lock:
            idle = [k for k, e in self._entries.items() if e.users == 0]
            for key in idle:
                entry = self._entries.pop(key)
                self._release(entry)
            return len(idle)

    # -------------------------------------------------------------------- stats
    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "budget_bytes": self.budget_bytes,
                "used_bytes": self._used(),
                "loads": dict(self.loads),
                "total_loads": sum(self.loads.values()),
                "hits": self.hits,
                "evictions": list(self.evictions),
                "entries": [
                    {"key": e.key, "size_bytes": e.size_bytes, "in_use": e.users,
                     "load_seconds": round(e.load_seconds, 4), "loaded_at": e.loaded_at}
                    for e in reversed(self._entries.values())  # most recently used first
                ],
            }
