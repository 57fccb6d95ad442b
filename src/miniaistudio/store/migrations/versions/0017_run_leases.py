"""run leases: one active run per session across every API process

``run_leases``: the process running a session's run (``holder_id``) holds its row and refreshes
``heartbeat_at`` (epoch seconds); a row not refreshed for the lease time belongs to a process that
died, and any other process takes it back (the run ends interrupted). ``stop_requested`` and
``cancel_nodes`` carry a stop or node cancel asked through another process to the holder.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 14:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_leases",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("holder_id", sa.String(100), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("stop_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("cancel_nodes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_run_leases_holder", "run_leases", ["holder_id"])


def downgrade() -> None:
    op.drop_index("ix_run_leases_holder", table_name="run_leases")
    op.drop_table("run_leases")
