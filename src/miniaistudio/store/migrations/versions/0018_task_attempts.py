"""task_attempts: deliveries and ends of node tasks run by Celery workers

Celery redelivers the task of a worker that died (late acks, reject on worker lost) but counts
nothing; this table bounds redelivery (a task that kills its worker every time fails after N
deliveries) and keeps each task's end, so a redelivered task that already ended is not run again.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 14:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_attempts",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("node_type", sa.String(length=120), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_task_attempts_run_id", "task_attempts", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_task_attempts_run_id", table_name="task_attempts")
    op.drop_table("task_attempts")
