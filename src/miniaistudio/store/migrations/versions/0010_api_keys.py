"""api_keys: every API key of every door, with scopes, IP allowlist, expiry, spend cap and rate limit

Each user's personal ``mas_`` key moves here from ``users`` (hash, prefix, enabled, created).
Those keys were stored as a plain SHA-256 of the key; the row keeps that digest with
``hash_scheme = 'sha256'`` so existing keys keep working (new keys are HMAC-SHA256 under the
server pepper). The ``users.api_key_*`` columns are emptied, not dropped (dropping rebuilds the
table on SQLite); nothing reads them any more.

Downgrade moves the personal keys that still have their legacy digest back to ``users``;
keys issued after this migration cannot be expressed there and are dropped with the table.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from miniaistudio.store.utc_datetime import UtcDateTime

revision = "0010"
down_revision = "0011"  # written beside 0008-0011, applied after them (see store/migrate.py)
branch_labels = None
depends_on = None

_users = sa.table("users", sa.column("id", sa.String()), sa.column("api_key_hash", sa.String()),
                  sa.column("api_key_prefix", sa.String()), sa.column("api_key_enabled", sa.Boolean()),
                  sa.column("api_key_created_at", UtcDateTime()))
_keys = sa.table("api_keys", sa.column("id", sa.String()), sa.column("user_id", sa.String()),
                 sa.column("kind", sa.String()), sa.column("name", sa.String()), sa.column("prefix", sa.String()),
                 sa.column("secret_hash", sa.String()), sa.column("hash_scheme", sa.String()),
                 sa.column("scopes", sa.JSON()), sa.column("ip_allowlist", sa.JSON()),
                 sa.column("enabled", sa.Boolean()), sa.column("spent", sa.BigInteger()),
                 sa.column("created_at", UtcDateTime()), sa.column("revoked_at", UtcDateTime()))


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("hash_scheme", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("ip_allowlist", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spend_cap", sa.BigInteger(), nullable=True),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    conn = op.get_bind()
    now = datetime.now(UTC)
    personal = conn.execute(sa.select(_users.c.id, _users.c.api_key_hash, _users.c.api_key_prefix,
                                      _users.c.api_key_enabled, _users.c.api_key_created_at)
                            .where(_users.c.api_key_hash.is_not(None))).all()
    rows = [{"id": str(uuid.uuid4()), "user_id": user_id, "kind": "mas", "name": "Personal key",
             "prefix": prefix or "mas_", "secret_hash": digest, "hash_scheme": "sha256", "scopes": ["*"],
             "ip_allowlist": [], "enabled": bool(enabled), "spent": 0, "created_at": created or now}
            for user_id, digest, prefix, enabled, created in personal]
    for start in range(0, len(rows), 500):
        conn.execute(sa.insert(_keys), rows[start:start + 500])
    conn.execute(sa.update(_users).values(api_key_hash=None, api_key_prefix=None, api_key_enabled=False,
                                          api_key_created_at=None))


def downgrade() -> None:
    conn = op.get_bind()
    legacy = conn.execute(sa.select(_keys.c.user_id, _keys.c.secret_hash, _keys.c.prefix, _keys.c.enabled,
                                    _keys.c.created_at)
                          .where(_keys.c.kind == "mas", _keys.c.hash_scheme == "sha256",
                                 _keys.c.revoked_at.is_(None))).all()
    for user_id, digest, prefix, enabled, created in legacy:
        conn.execute(sa.update(_users).where(_users.c.id == user_id).values(
            api_key_hash=digest, api_key_prefix=prefix, api_key_enabled=enabled, api_key_created_at=created))
    op.drop_index("ix_api_keys_user_id", table_name="api_keys")
    op.drop_table("api_keys")
