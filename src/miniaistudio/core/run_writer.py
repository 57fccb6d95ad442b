"""Recording one active run: periodic writes of what changed, and one last write at its end.

The engine marks nodes dirty and hands over new cache entries and media; the writer flushes
them through the :class:`~miniaistudio.core.ports.RunRecorder` every ``interval`` seconds, and
waits at least :data:`FLUSH_DUTY` times as long as the previous write took, so recording a
large run costs a bounded share of the time however big its state is.

New media is announced only once its rows are committed: a client fetches an announced media id
at once, and must never meet a 404. While the run goes on, a node's result with media asks for a
flush at once (results arriving meanwhile join it) and its announcement runs after that flush; the
engine goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from .ports import CacheEntry, MediaRecord, RunRecorder
from .run import RunState

log = logging.getLogger(__name__)

#: A periodic flush waits at least this many times as long as the previous write took.
FLUSH_DUTY = 9.0


class RunWriter:
    def __init__(self, recorder: RunRecorder, run: RunState, interval: float, dirty_nodes: Iterable[str] = ()) -> None:
        self._recorder = recorder
        self._run = run
        self._interval = interval
        self._pending_cache: list[CacheEntry] = []
        self._pending_media: list[tuple[str, MediaRecord]] = []
        self._dirty = True
        self._dirty_nodes: set[str] = set(dirty_nodes)  # nodes changed since the last flush
        self._lock = asyncio.Lock()  # the periodic and the final flush must not interleave
        self._closing = asyncio.Event()
        self._wake = asyncio.Event()  # set by close and by results that wait to be announced
        self._announcements: list[Callable[[], None]] = []  # run after their records are committed
        self._loop: asyncio.Task[None] | None = None

    # ------------------------------------------------------------- marking
    def touch(self) -> None:
        """The run's own fields changed (status, error, times)."""
        self._dirty = True

    def node_changed(self, node_id: str) -> None:
        self._dirty = True
        self._dirty_nodes.add(node_id)

    def nodes_changed(self, node_ids: Iterable[str]) -> None:
        self._dirty = True
        self._dirty_nodes.update(node_ids)

    def add_results(
        self, entry: CacheEntry, media: Iterable[tuple[str, MediaRecord]], announce: Callable[[], None] | None = None,
    ) -> None:
        """A node's new cache entry and media rows, written with the next flush. ``announce`` tells the
        world about them: with new media it runs once they are committed (see :meth:`flush_soon`), else
        right away."""
        rows = list(media)
        self._pending_cache.append(entry)
        self._pending_media.extend(rows)
        if announce is None:
            return
        if not rows:
            announce()
            return
        self._announcements.append(announce)
        self._dirty = True

    def flush_soon(self) -> None:
        """The run goes on: flush now (within the duty bound) if results wait to be announced. A run
        about to end does not ask; its last flush announces them, so a small run costs no extra write."""
        if self._announcements:
            self._wake.set()

    # ------------------------------------------------------------- writing
    def start(self) -> None:
        self._loop = asyncio.create_task(self._flush_periodically(), name=f"writer-{self._run.id}")

    async def close(self) -> None:
        """Stop the periodic writes and record the run's final state."""
        # Never cancel a flush in flight: its database thread would commit anyway and the
        # records put back for a retry would be written twice. Ask the loop to end instead.
        self._closing.set()
        self._wake.set()
        if self._loop is not None:
            await asyncio.gather(self._loop, return_exceptions=True)
        try:
            await self.flush()
        except Exception:
            log.exception("could not record the end of run %s", self._run.id)
        self._announce(self._announcements)  # never withheld past the run's end, even if not recorded
        self._announcements = []

    async def _flush_periodically(self) -> None:
        interval, calm_until = self._interval, 0.0
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            rest = calm_until - time.monotonic()
            if rest > 0 and not self._closing.is_set():  # woken early: the duty bound still holds
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), rest)
            self._wake.clear()
            if self._dirty and not self._closing.is_set():
                started = time.monotonic()
                try:
                    await self.flush()
                except Exception:
                    log.exception("could not record progress of run %s", self._run.id)
                took = time.monotonic() - started
                calm_until = time.monotonic() + FLUSH_DUTY * took
                interval = max(self._interval, FLUSH_DUTY * took)

    async def flush(self) -> None:
        """Record the run: its summary, the nodes changed since the last flush, new cache entries and media."""
        async with self._lock:
            cache, self._pending_cache = self._pending_cache, []
            media, self._pending_media = self._pending_media, []
            changed, self._dirty_nodes = self._dirty_nodes, set()
            announcements, self._announcements = self._announcements, []
            self._dirty = False
            try:
                await self._recorder.save_run(self._run, cache, media, changed)
            except Exception:  # rolled back: keep the records for the next flush
                self._pending_cache[:0] = cache
                self._pending_media[:0] = media
                self._dirty_nodes |= changed
                self._announcements[:0] = announcements
                self._dirty = True
                raise
        self._announce(announcements)

    def _announce(self, announcements: list[Callable[[], None]]) -> None:
        for announce in announcements:
            try:
                announce()
            except Exception:
                log.exception("could not announce a result of run %s", self._run.id)
