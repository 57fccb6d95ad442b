"""GPU runtime lease and GPU billing session holders: GPU state shared across API processes

``gpu_runtime_leases``: the one row (``name`` "default") of the API process whose GPU runtime is up:
its ``holder_id``, who started it and since when, a snapshot of its status, and ``heartbeat_at``
(epoch seconds); ``stop_mode`` carries a stop asked through another process to the holder.
``gpu_billing_sessions.holder_id`` / ``heartbeat_at``: the process ticking an open session; a
session whose holder stopped heartbeating is closed by another process, once.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 15:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gpu_runtime_leases",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder_id", sa.String(100), nullable=False),
        sa.Column("started_by", sa.String(36), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("stop_mode", sa.String(16), nullable=True),
        sa.Column("status", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("gpu_billing_sessions") as batch:
        batch.add_column(sa.Column("holder_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gpu_billing_sessions") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("holder_id")
    op.drop_table("gpu_runtime_leases")
