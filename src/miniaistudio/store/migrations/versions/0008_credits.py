"""credits: accounts, the append-only ledger, holds, collaborator usage, GPU billing sessions

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 16:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "credit_accounts",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("available >= 0", name="ck_credit_accounts_available"),
        sa.CheckConstraint("reserved >= 0", name="ck_credit_accounts_reserved"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reserved_delta", sa.BigInteger(), nullable=False),
        sa.Column("available_after", sa.BigInteger(), nullable=False),
        sa.Column("reserved_after", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("gpu_session_id", sa.String(length=36), nullable=True),
        sa.Column("hold_id", sa.String(length=36), nullable=True),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("ref_type", sa.String(length=32), nullable=True),
        sa.Column("ref_id", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_ledger_entries_user_id", "ledger_entries", ["user_id", "id"])
    op.create_index("ix_ledger_entries_run_id", "ledger_entries", ["run_id"])
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("gpu_session_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("captured", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("usage_month", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_holds_user_id", "credit_holds", ["user_id"])
    op.create_index("ix_credit_holds_run_id", "credit_holds", ["run_id"])
    op.create_index("ix_credit_holds_status", "credit_holds", ["status", "purpose"])
    op.create_table(
        "collaborator_usage",
        sa.Column("payer_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("used_month", sa.BigInteger(), nullable=False),
        sa.Column("used_total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["payer_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("payer_id", "session_id", "actor_id"),
    )
    op.create_table(
        "gpu_billing_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_per_minute", sa.BigInteger(), nullable=False),
        sa.Column("block_minutes", sa.Integer(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.Column("paid_seconds", sa.BigInteger(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=True),
        sa.Column("refunded", sa.BigInteger(), nullable=True),
        sa.Column("used_seconds", sa.BigInteger(), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gpu_billing_sessions_user", "gpu_billing_sessions", ["user_id", "started_at"])
    op.create_index("ix_gpu_billing_sessions_status", "gpu_billing_sessions", ["status"])


def downgrade() -> None:
    op.drop_table("gpu_billing_sessions")
    op.drop_table("collaborator_usage")
    op.drop_table("credit_holds")
    op.drop_table("ledger_entries")
    op.drop_table("credit_accounts")
