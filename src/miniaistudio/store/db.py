"""Engine and session factory. SQLite gets WAL and a busy timeout so the CLI and the
server can write at the same time; other databases use their defaults."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


def make_engine(url: str, checkpoint_in_background: bool = False) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Checkpoints run on a background thread (Database.start_checkpointer), so no
            # request pays for copying the write-ahead log back into the database file.
            cur.execute("PRAGMA wal_autocheckpoint=0" if checkpoint_in_background else "PRAGMA wal_autocheckpoint=1000")
            cur.close()

    return engine


class Database:
    def __init__(self, url: str, *, background_checkpoints: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._background = background_checkpoints and self.is_sqlite
        self.engine = make_engine(url, self._background)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None

    def start_checkpointer(self, interval: float = 2.0) -> None:
        """SQLite only: fold the write-ahead log into the database every ``interval`` seconds."""
        if not self._background or self._checkpointer is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                self.checkpoint()

        self._checkpointer = threading.Thread(target=loop, name="sqlite-checkpoint", daemon=True)
        self._checkpointer.start()

    def checkpoint(self) -> None:
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # a busy database just waits for the next round
            log.debug("checkpoint skipped", exc_info=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with self._sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=5)
            self.checkpoint()
        self.engine.dispose()
