"""plans on users, and signed uploads

``users.plan`` (pro | team | business; NULL: the studio's default, ``services/plans.py``) decides
the Studii tools a user may run and their keys' rate limit. ``pending_uploads`` holds signed uploads
(``services/signed_uploads.py``): one file of a declared type, PUT once to a signed URL.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of ``users`` on SQLite would cascade-delete everything a user owns.
    op.add_column("users", sa.Column("plan", sa.String(length=16), nullable=True))
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_key"),
    )
    op.create_index("ix_pending_uploads_owner_id", "pending_uploads", ["owner_id"])
    op.create_index("ix_pending_uploads_status_expires", "pending_uploads", ["status", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_uploads_status_expires", table_name="pending_uploads")
    op.drop_index("ix_pending_uploads_owner_id", table_name="pending_uploads")
    op.drop_table("pending_uploads")
    op.drop_column("users", "plan")  # SQLite >= 3.35 drops a column in place
