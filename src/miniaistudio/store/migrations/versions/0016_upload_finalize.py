"""signed uploads that must be finalized

``pending_uploads.finalize_by``: an upload made through a door with a finalize step (Miraflow's
``/api/media/initialize`` → PUT → ``/api/media/finalize``) must be finalized before this time, or its
media are removed with it. NULL: no finalize step, or finalized.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pending_uploads", sa.Column("finalize_by", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("pending_uploads", "finalize_by")  # SQLite >= 3.35 drops a column in place
