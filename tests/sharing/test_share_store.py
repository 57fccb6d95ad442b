"""The session_shares table: migration 0007 up and down on a database with sessions, the unique
(session, e-mail) under concurrent invites, and cascades when a session goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text

from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from miniaistudio.store.tables import SessionShare
from miniaistudio.studio import Studio
from old_databases import add_session, add_user, at_revision, downgraded, old_database

from .conftest import invite


def test_migration_0007_up_and_down(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0006") as conn:
        add_user(conn)
        add_session(conn)
    assert upgrade(db) and current_revision(db) == HEAD
    with db.session() as s:
        s.add(SessionShare(id="sh1", session_id="s1", email="b@example.com", user_id=None, role="viewer",
                           status="pending", monthly_credit_limit=None, total_credit_limit=3, invited_by="u1"))
    with db.session() as s:
        row = s.get(SessionShare, "sh1")
        assert row is not None and row.created_at.tzinfo is not None and row.total_credit_limit == 3
    with downgraded(db, "0006") as conn:
        assert not inspect(conn).has_table("session_shares")
        assert conn.execute(text("SELECT name FROM sessions")).scalar() == "n"
    assert upgrade(db) and current_revision(db) == HEAD
    db.dispose()


async def test_concurrent_invites_of_one_address_make_one_share(studio: Studio,
                                                               make_user: Callable[..., Any]) -> None:
    owner = await make_user()
    sid = (await owner.new_session())["id"]
    answers = await asyncio.gather(*(owner.post(f"/api/v2/session/{sid}/share",
                                                json={"email": "busy@example.com", "role": role})
                                     for role in ("viewer", "runner", "editor") * 3))
    assert sorted(r.status_code for r in answers) == [200] * 8 + [201], [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert len((await owner.get(f"/api/v2/session/{sid}/shares")).json()["items"]) == 1


async def test_deleting_a_session_removes_its_shares(studio: Studio, make_user: Callable[..., Any]) -> None:
    owner, guest = await make_user(), await make_user()
    sid = (await owner.new_session())["id"]
    share = await invite(owner, sid, guest.email, "viewer")
    assert (await guest.post(f"/api/v2/invitations/{share['id']}/accept")).status_code == 200
    assert (await owner.request("DELETE", f"/api/v2/sessions/{sid}")).status_code == 204
    assert (await guest.get("/api/v2/invitations")).json()["items"] == []
    with studio.db.session() as s:
        assert s.scalars(select(SessionShare)).all() == []


async def test_credits_used_come_from_the_usage_reader(studio: Studio, make_user: Callable[..., Any]) -> None:
    """The list's credits_used_* are read from one seam (the ledger's reader, wired by the studio);
    an invitee without an account is not asked about."""
    owner, ana = await make_user("owner-of-usage@example.com"), await make_user("ana@example.com")
    sid = (await owner.new_session())["id"]
    await invite(owner, sid, ana.email, "runner")
    await invite(owner, sid, "nobody-yet@example.com", "viewer")
    asked: list[tuple[str, str]] = []

    def usage(session_id: str, user_id: str) -> tuple[int, int]:
        asked.append((session_id, user_id))
        return 7, 42

    from miniaistudio.core.policy import Principal
    from miniaistudio.services.sharing import Sharing

    owner_id = (await owner.get("/api/v2/auth/me")).json()["id"]
    ana_id = (await ana.get("/api/v2/auth/me")).json()["id"]
    shares = Sharing(studio.db, usage=usage).shares(Principal(owner_id, owner.email), sid)
    used = {share.email: (share.credits_used_this_month, share.credits_used_total) for share in shares}
    assert used == {ana.email: (7, 42), "nobody-yet@example.com": (0, 0)}
    assert asked == [(sid, ana_id)]
