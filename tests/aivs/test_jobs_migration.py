"""Migration 0012 on a database with sessions and runs: nothing is lost (a plain ADD COLUMN, no table
rebuild that would cascade), existing sessions are visible, and the jobs table is there."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from old_databases import add_session, add_user, at_revision, downgraded, old_database


def test_0012_keeps_sessions_and_runs_and_downgrades(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0010") as conn:
        add_user(conn)
        add_session(conn)
        conn.execute(text("INSERT INTO runs (id, session_id, user_id, mode, status, nodes, created_at) "
                          "VALUES ('r1', 's1', 'u1', 'full', 'succeeded', '{}', 1.0)"))
    assert upgrade(db) and current_revision(db) == HEAD
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT hidden FROM sessions WHERE id = 's1'")).scalar_one() in (0, False)
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 1
        assert inspect(conn).has_table("jobs")
    with downgraded(db, "0010") as conn:
        assert not inspect(conn).has_table("jobs")
        assert "hidden" not in {c["name"] for c in inspect(conn).get_columns("sessions")}
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 1
    db.dispose()
