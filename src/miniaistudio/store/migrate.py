"""Applying Alembic migrations from code (``make run``, ``serve``, tests)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from .db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision. 0010 (API keys) was written beside 0008-0011 and is applied after them, so
#: databases already at 0011 get it too: the chain is
#: 0006 → 0008 → 0009 → 0011 → 0010 → 0012 → 0014 → 0013 → 0015 → 0016 → 0017 → 0018 → 0019 → 0020
#: (0013, 0014 and 0015 were written side by side; the integrator re-chained them at merge).
HEAD = "0020"  # keep equal to the newest revision id; checked by a test
_MIGRATION_LOCK = 0x6D696E6961690001  # PostgreSQL advisory lock key held while migrating ("miniai" + 1)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def upgrade(db: Database) -> bool:
    """Bring the schema to head; cheap when already there. True if anything ran."""
    if current_revision(db) == HEAD:
        return False
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # API processes starting together migrate one after another
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True
