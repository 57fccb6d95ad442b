"""session_shares: sessions shared with collaborators by e-mail, with a role and credit limits

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("monthly_credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("total_credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("invited_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "email", name="uq_session_shares_session_email"),
    )
    op.create_index("ix_session_shares_user_status", "session_shares", ["user_id", "status"])
    op.create_index("ix_session_shares_email", "session_shares", ["email"])


def downgrade() -> None:
    op.drop_index("ix_session_shares_email", table_name="session_shares")
    op.drop_index("ix_session_shares_user_status", table_name="session_shares")
    op.drop_table("session_shares")
