"""Databases as an older release left them: migrate to a revision, add rows with plain SQL (the tables
of that time, not today's models), then let the studio's upgrade take them to the head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

import servers
from miniaistudio.store.db import Database
from miniaistudio.store.migrate import MIGRATIONS

NOW = datetime.now(UTC).isoformat()


def old_database(tmp_path: Path) -> Database:
    """An empty database of the test's backend (SQLite file, or a new PostgreSQL database)."""
    return Database(servers.BACKEND.empty_database_url(tmp_path / "old.db"))


def _config(db: Database, conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)
    cfg.attributes["connection"] = conn
    return cfg


@contextmanager
def at_revision(db: Database, revision: str) -> Iterator[Connection]:
    """The database migrated (up) to ``revision``, in one transaction for the rows the block adds."""
    with db.engine.begin() as conn:
        command.upgrade(_config(db, conn), revision)
        yield conn


@contextmanager
def downgraded(db: Database, revision: str) -> Iterator[Connection]:
    """The database migrated down to ``revision``, and a look inside in the same transaction."""
    with db.engine.begin() as conn:
        command.downgrade(_config(db, conn), revision)
        yield conn


def add_user(conn: Connection, user_id: str = "u1", email: str = "a@example.com") -> None:
    conn.execute(text("INSERT INTO users (id, email, password_hash, is_admin, created_at, api_key_enabled, "
                      "token_generation) VALUES (:id, :email, 'x', FALSE, :now, FALSE, 0)"),
                 {"id": user_id, "email": email, "now": NOW})


def add_session(conn: Connection, session_id: str = "s1", owner_id: str = "u1", name: str = "n") -> None:
    conn.execute(text("INSERT INTO sessions (id, owner_id, name, graph, version, viewport, tabs, created_at, "
                      "updated_at) VALUES (:id, :owner, :name, '{}', 1, '{}', '[]', :now, :now)"),
                 {"id": session_id, "owner": owner_id, "name": name, "now": NOW})
