"""What is stored: secrets only as HMAC-SHA256 under the pepper; personal keys issued before the
``api_keys`` table moved there by migration 0010 and still valid; ``last_used_at`` written at most once
a minute; the spend cap's seam for the ledger."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update

import servers
from conftest import Api, make_settings
from miniaistudio.services.api_keys import SpendCapReached, api_key_pepper
from miniaistudio.store.db import Database
from miniaistudio.store.migrate import HEAD, current_revision
from miniaistudio.store.tables import ApiKey, User
from miniaistudio.studio import Studio
from old_databases import at_revision, downgraded

from .conftest import PROBE, app_client, bearer, create_key
from .test_key_access import statements


def _db_bytes(studio: Studio) -> bytes:
    """Everything the database holds: SQLite's files, or every PostgreSQL row as text."""
    if studio.db.is_sqlite:
        return b"".join(p.read_bytes() for p in sorted(studio.settings.data_dir.glob("studio.db*")) if p.is_file())
    with studio.db.engine.connect() as conn:
        return "".join(str(row) for table in inspect(conn).get_table_names()
                       for row in conn.execute(text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars()).encode()


async def test_secrets_are_stored_only_as_hmac(studio: Studio, api: Api) -> None:
    created = await create_key(api, scopes=["read", "webhooks"], ip_allowlist=["10.0.0.0/8"])
    aivs = created["key"]
    personal = (await api.post("/api/v2/account/api-key/regenerate")).json()["api_key"]
    assert aivs.startswith("avs_live_") and len(aivs) == len("avs_live_") + 38
    assert personal.startswith("mas_") and len(personal) == len("mas_") + 38
    assert aivs.startswith(created["prefix"]) and len(created["prefix"]) == len("avs_live_") + 4
    pepper = api_key_pepper(studio.settings.api_key_pepper, studio.settings.jwt_secret())
    with studio.db.session() as s:
        rows = {row.kind: row for row in s.scalars(select(ApiKey))}
        for kind, key in (("avs", aivs), ("mas", personal)):
            row = rows[kind]
            assert row.hash_scheme == "hmac-sha256"
            assert row.secret_hash == hmac.new(pepper, key.encode(), hashlib.sha256).hexdigest()
            stored = " ".join(str(value) for value in row.__dict__.values())
            assert key not in stored and key[len(row.prefix):] not in stored
    for key in (aivs, personal):
        assert key.encode() not in _db_bytes(studio)
    listed = await api.get("/api/v1/keys")
    assert aivs not in listed.text and personal not in listed.text and '"key"' not in listed.text


async def test_last_used_is_written_at_most_once_a_minute(studio: Studio, api: Api) -> None:
    created = await create_key(api)
    async with app_client(studio) as c:
        with statements(studio) as seen:
            for _ in range(5):
                assert (await c.get(f"{PROBE}/read", headers=bearer(created["key"]))).status_code == 200
        assert len([s for s in seen if s.lstrip().upper().startswith("UPDATE")]) == 1, seen
        with studio.db.session() as s:
            first = s.get(ApiKey, created["id"]).last_used_at  # type: ignore[union-attr]
            assert first is not None and datetime.now(UTC) - first < timedelta(seconds=30)
            s.execute(update(ApiKey).where(ApiKey.id == created["id"])
                      .values(last_used_at=first - timedelta(minutes=2)))  # two minutes pass
        assert (await c.get(f"{PROBE}/read", headers=bearer(created["key"]))).status_code == 200
    listed = (await api.get("/api/v1/keys")).json()["data"][0]
    assert listed["last_used_at"].endswith("Z")
    assert datetime.fromisoformat(listed["last_used_at"]) > first - timedelta(seconds=1)


def test_migration_moves_personal_keys_and_keeps_them_valid(tmp_path: Path) -> None:
    """A studio at revision 0006 with legacy personal keys (plain SHA-256 in ``users``) is upgraded."""
    settings = make_settings(tmp_path, database_url=servers.BACKEND.empty_database_url(tmp_path / "data" / "studio.db"))
    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    legacy_on = "mas_" + secrets.token_urlsafe(32)
    legacy_off = "mas_" + secrets.token_urlsafe(32)
    with at_revision(db, "0006") as conn:
        for user_id, email, key, enabled in (("u1", "on@example.com", legacy_on, True),
                                             ("u2", "off@example.com", legacy_off, False),
                                             ("u3", "none@example.com", None, False)):
            conn.execute(text(
                "INSERT INTO users (id, email, password_hash, is_admin, created_at, api_key_hash, api_key_prefix, "
                "api_key_enabled, api_key_created_at, token_generation) VALUES (:id, :email, 'x', FALSE, :now, :hash, "
                ":prefix, :enabled, :now, 0)"),
                {"id": user_id, "email": email, "now": datetime.now(UTC).isoformat(),
                 "hash": hashlib.sha256(key.encode()).hexdigest() if key else None,
                 "prefix": key[:12] if key else None, "enabled": enabled})
    db.dispose()
    studio = Studio(settings)  # upgrades to head
    try:
        assert current_revision(studio.db) == HEAD
        with studio.db.session() as s:
            assert s.scalars(select(User.api_key_hash).where(User.api_key_hash.is_not(None))).all() == []
            rows = {row.user_id: row for row in s.scalars(select(ApiKey))}
        assert set(rows) == {"u1", "u2"}
        assert rows["u1"].hash_scheme == "sha256" and rows["u1"].scopes == ["*"] and rows["u1"].enabled
        assert rows["u1"].prefix == legacy_on[:12] and not rows["u2"].enabled
        assert studio.accounts.principal_for(legacy_on).user_id == "u1"
        with pytest.raises(Exception) as disabled:
            studio.accounts.principal_for(legacy_off)
        assert getattr(disabled.value, "details", {}) == {"reason": "api_key_disabled"}
        status = studio.accounts.api_key_status("u1")
        assert status.enabled and status.prefix == legacy_on[:12]
        renewed = studio.accounts.regenerate_api_key("u1").api_key or ""
        assert renewed.startswith("mas_") and studio.accounts.principal_for(renewed).user_id == "u1"
        with pytest.raises(Exception) as replaced:
            studio.accounts.principal_for(legacy_on)
        assert getattr(replaced.value, "details", {}) == {"reason": "invalid_api_key"}
    finally:
        studio.close()
    # Downgrade: personal keys that still have their legacy digest go back to users (u1's was replaced).
    db = Database(settings.resolved_database_url)
    with downgraded(db, "0006") as conn:
        restored = conn.execute(text("SELECT id, api_key_hash, api_key_enabled FROM users ORDER BY id")).all()
        assert not inspect(conn).has_table("api_keys")
    db.dispose()
    assert [(uid, digest is not None, bool(enabled)) for uid, digest, enabled in restored] == [
        ("u1", False, False), ("u2", True, False), ("u3", False, False)]
    assert restored[1][1] == hashlib.sha256(legacy_off.encode()).hexdigest()


async def test_legacy_keys_work_through_the_app(tmp_path: Path, studio: Studio, api: Api) -> None:
    """A migrated row (legacy digest) authenticates on both doors like a new personal key."""
    legacy = "mas_" + secrets.token_urlsafe(32)
    with studio.db.session() as s:
        user_id = s.scalar(select(User.id).where(User.email == api.email))
        s.add(ApiKey(id="legacy-1", user_id=user_id, kind="mas", name="Personal key", prefix=legacy[:12],
                     secret_hash=hashlib.sha256(legacy.encode()).hexdigest(), hash_scheme="sha256", scopes=["*"],
                     ip_allowlist=[], enabled=True, spent=0, created_at=datetime.now(UTC)))
    async with app_client(studio) as c:
        r = await c.get("/api/v2/auth/me", headers=bearer(legacy))
        assert r.status_code == 200 and r.json()["email"] == api.email
        assert (await c.get(f"{PROBE}/generate:video", headers={"X-API-Key": legacy})).status_code == 200
    assert (await api.get("/api/v2/account/api-key")).json()["prefix"] == legacy[:12]


async def test_spend_cap_seam(studio: Studio, api: Api) -> None:
    capped = await create_key(api, spend_cap=10)
    free = await create_key(api)
    keys = studio.api_keys
    keys.check_spend_cap(capped["id"], 10)
    keys.add_spend(capped["id"], 6)
    with pytest.raises(SpendCapReached) as refused:
        keys.check_spend_cap(capped["id"], 5)
    assert refused.value.details == {"required": 5, "available": 4} and refused.value.status == 403
    with pytest.raises(SpendCapReached):
        keys.add_spend(capped["id"], 5)  # refused: nothing counted
    keys.add_spend(capped["id"], 4)
    keys.add_spend(free["id"], 10**12)
    listed = {k["id"]: k for k in (await api.get("/api/v1/keys")).json()["data"]}
    assert (listed[capped["id"]]["spent"], listed[capped["id"]]["spend_cap"]) == (10, 10)
    assert (listed[free["id"]]["spent"], listed[free["id"]]["spend_cap"]) == (10**12, None)

