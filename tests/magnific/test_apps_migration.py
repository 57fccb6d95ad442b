"""Migration 0014 on a database at 0012: the apps tables arrive, ids are never reused after a delete
(SQLite AUTOINCREMENT, so a deleted app's SQID never names another app), and it downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from old_databases import NOW, add_session, add_user, at_revision, downgraded, old_database


def test_0014_adds_apps_without_reusing_ids_and_downgrades(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0012") as conn:
        add_user(conn)
        add_session(conn)
    assert upgrade(db) and current_revision(db) == HEAD
    insert = text("INSERT INTO apps (owner_id, session_id, name, description, visibility, document, created_at, "
                  "updated_at) VALUES ('u1', 's1', 'A', '', 'private', '{}', :now, :now)")
    with db.engine.begin() as conn:
        first = conn.execute(insert, {"now": NOW}).lastrowid
        second = conn.execute(insert, {"now": NOW}).lastrowid
        conn.execute(text("DELETE FROM apps WHERE id = :id"), {"id": second})
        third = conn.execute(insert, {"now": NOW}).lastrowid
        assert (first, second, third) == (1, 2, 3)
        assert inspect(conn).has_table("app_runs")
    with downgraded(db, "0012") as conn:
        assert not inspect(conn).has_table("apps") and not inspect(conn).has_table("app_runs")
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
    db.dispose()
