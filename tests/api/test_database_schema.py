"""The migrations are the schema on either database (SQLite, or PostgreSQL in the ``--backend=postgres`` pass):
0001 → head on an empty database gives exactly the tables, columns, types, indexes and constraints the models
declare, and every revision goes down to nothing and up again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from miniaistudio.store.tables import Base
from old_databases import downgraded, old_database


def schema_drift(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def test_migrations_build_the_models_schema_and_go_down_and_up(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    try:
        assert upgrade(db) and current_revision(db) == HEAD
        with db.engine.connect() as conn:
            assert schema_drift(conn) == []
        with downgraded(db, "base") as conn:
            assert [t for t in inspect(conn).get_table_names() if t != "alembic_version"] == []
        assert upgrade(db) and current_revision(db) == HEAD
        with db.engine.connect() as conn:
            assert schema_drift(conn) == []
    finally:
        db.dispose()
