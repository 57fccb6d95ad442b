"""apps: sessions published as apps (a graph snapshot, its declared inputs and outputs), and their runs

An app's public id is the SQID of its integer row id (``services/apps.py``), so ids stay stable
for the app's life. ``app_runs`` ties a run (a job of the ``magnific`` dialect) to its app, for the
owner's analytics.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # a deleted app's id (and so its SQID) is never given to another
    )
    op.create_index("ix_apps_owner_id", "apps", ["owner_id"])
    op.create_index("ix_apps_visibility", "apps", ["visibility"])
    op.create_table(
        "app_runs",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("app_id", _BIG_ID, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_index("ix_app_runs_app_id", "app_runs", ["app_id"])


def downgrade() -> None:
    op.drop_index("ix_app_runs_app_id", table_name="app_runs")
    op.drop_table("app_runs")
    op.drop_index("ix_apps_visibility", table_name="apps")
    op.drop_index("ix_apps_owner_id", table_name="apps")
    op.drop_table("apps")
