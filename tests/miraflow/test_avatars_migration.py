"""Migration 0015 adds ``miraflow_avatars`` to a database the jobs release left, and removes it again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from old_databases import add_session, add_user, at_revision, downgraded, old_database


def test_0015_adds_the_avatars_table_and_downgrades(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0012") as conn:
        add_user(conn)
        add_session(conn)
    assert upgrade(db) and current_revision(db) == HEAD
    with db.engine.connect() as conn:
        assert inspect(conn).has_table("miraflow_avatars")
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
    with downgraded(db, "0012") as conn:
        assert not inspect(conn).has_table("miraflow_avatars")
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
    db.dispose()
