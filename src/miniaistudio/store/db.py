"""Engine and session factory, per dialect. SQLite gets WAL and a busy timeout so the CLI and the
server can write at the same time; PostgreSQL (``postgresql+psycopg://``, psycopg 3) gets a
bounded connection pool that checks a connection before handing it out (a restarted server or
a dropped connection costs a retry, not a failed request)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolSize:
    """Connections a PostgreSQL engine keeps (``size``) and may add under load (``overflow``)."""

    size: int = 10
    overflow: int = 20


def make_engine(url: str, checkpoint_in_background: bool = False, pool: PoolSize | None = None) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif url.startswith("postgresql"):
        pool = pool or PoolSize()
        kwargs.update(pool_size=pool.size, max_overflow=pool.overflow, pool_pre_ping=True,
                      pool_recycle=3600, connect_args={"connect_timeout": 10})
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


def _private_sqlite_file(url: str) -> None:
    """Create (or restrict) the SQLite file as 0600 before SQLite opens it.

    SQLite gives its -wal and -shm files the database file's mode, so this covers all three,
    whatever the umask of the process (the server sets 077; a CLI command may not).
    """
    raw = make_url(url).database
    if not raw or raw == ":memory:" or raw.startswith("file:"):
        return
    path = Path(raw)
    try:
        if path.parent.is_dir():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for item in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if item.is_file() and not item.is_symlink() and item.stat().st_uid == os.geteuid() \
                    and item.stat().st_mode & 0o077:
                item.chmod(0o600)
    except OSError as exc:
        log.warning("could not make the database file private: %s", exc)


class Database:
    def __init__(self, url: str, *, background_checkpoints: bool = False, pool: PoolSize | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _private_sqlite_file(url)
        self._background = background_checkpoints and self.is_sqlite
        self.engine = make_engine(url, self._background, pool)
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
