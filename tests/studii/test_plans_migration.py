"""Migration 0013 on a database with users and their sessions: nothing is lost (a plain ADD COLUMN on
``users``, no table rebuild that would cascade), users have no plan stored (the studio's default
applies), the signed uploads table is there, and the downgrade removes both."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from miniaistudio.services.plans import Plan, effective_plan
from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from old_databases import add_session, add_user, at_revision, downgraded, old_database


def test_0013_keeps_users_and_sessions_and_downgrades(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0012") as conn:
        add_user(conn)
        add_session(conn)
    assert upgrade(db) and current_revision(db) == HEAD
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT plan FROM users WHERE id = 'u1'")).scalar_one()
        assert stored is None
        assert effective_plan(stored, billing_on=True) == Plan.PRO and effective_plan(stored, billing_on=False) is None
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
        assert inspect(conn).has_table("pending_uploads")
    with downgraded(db, "0012") as conn:
        assert not inspect(conn).has_table("pending_uploads")
        assert "plan" not in {c["name"] for c in inspect(conn).get_columns("users")}
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
    db.dispose()
