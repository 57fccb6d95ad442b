"""miraflow_avatars: avatars users make from their photos (the Miraflow door)

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-03 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miraflow_avatars",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_id", sa.String(length=36), nullable=False),
        sa.Column("voice_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_miraflow_avatars_user_created", "miraflow_avatars", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_miraflow_avatars_user_created", table_name="miraflow_avatars")
    op.drop_table("miraflow_avatars")
