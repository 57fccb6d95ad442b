"""Write-behind for node images: encode and store them on worker threads while the next nodes run.

A node's image is kept in the image memo at once, so the nodes that read it start without waiting
for its PNG; the encoding (with its provenance) and the file write happen here, in parallel. The
task that made the image ends (and its media rows and cache entry are recorded) only once its files
are written, so a restart finds every recorded output. A reader that misses the memo waits for the
file (:meth:`WriteBehind.wait_for`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ..store.media_store import MediaStore


class WriteBehind:
    def __init__(self, store: MediaStore, workers: int = 2) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media-write")
        self._pending: dict[str, Future[int]] = {}  # media id -> its write, until written
        self._lock = threading.Lock()

    def submit(self, media_id: str, key: str, encode: Callable[[], bytes]) -> Future[int]:
        """Encode and store one file under ``key``; the future answers its size in bytes."""
        future = self._pool.submit(self._write, key, encode)
        with self._lock:
            self._pending[media_id] = future
        future.add_done_callback(lambda _: self._done(media_id, future))
        return future

    def _write(self, key: str, encode: Callable[[], bytes]) -> int:
        return self._store.put_bytes(key, encode())

    def _done(self, media_id: str, future: Future[int]) -> None:
        with self._lock:
            if self._pending.get(media_id) is future:
                del self._pending[media_id]

    def wait_for(self, media_id: str) -> None:
        """Block until ``media_id``'s file is written, if it is being written (raises what the write raised)."""
        with self._lock:
            future = self._pending.get(media_id)
        if future is not None:
            future.result()

    def close(self) -> None:
        """Finish the writes under way (their tasks wait for them) and stop the threads."""
        self._pool.shutdown(wait=True)
