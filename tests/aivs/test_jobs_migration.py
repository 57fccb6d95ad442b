"""Migration 0012 on a database with sessions and runs: nothing is lost (a plain ADD COLUMN, no table
rebuild that would cascade), existing sessions are visible, and the jobs table is there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from miniaistudio.store.db import Database
from miniaistudio.store.migrate import HEAD, MIGRATIONS, current_revision, upgrade


def test_0012_keeps_sessions_and_runs_and_downgrades(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)
    now = datetime.now(UTC).isoformat()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
        conn.execute(text("INSERT INTO users (id, email, password_hash, is_admin, created_at, api_key_enabled, "
                          "token_generation) VALUES ('u1', 'a@example.com', 'x', 0, :now, 0, 0)"), {"now": now})
        conn.execute(text("INSERT INTO sessions (id, owner_id, name, graph, version, viewport, tabs, created_at, "
                          "updated_at) VALUES ('s1', 'u1', 'n', '{}', 1, '{}', '[]', :now, :now)"), {"now": now})
        conn.execute(text("INSERT INTO runs (id, session_id, user_id, mode, status, nodes, created_at) "
                          "VALUES ('r1', 's1', 'u1', 'full', 'succeeded', '{}', 1.0)"))
    assert upgrade(db) and current_revision(db) == HEAD == "0012"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT hidden FROM sessions WHERE id = 's1'")).scalar_one() in (0, False)
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 1
        assert inspect(conn).has_table("jobs")
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with db.engine.connect() as conn:
        assert not inspect(conn).has_table("jobs")
        assert "hidden" not in {c["name"] for c in inspect(conn).get_columns("sessions")}
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 1
    db.dispose()
