"""run_nodes: one row per node state of a run, so recording a run writes only what changed

Existing runs are moved out of ``runs.nodes`` here, a few runs per batch, and that column is
left ``{}`` (it stays NOT NULL: altering it would rebuild ``runs`` on SQLite). One read path
then serves every run.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 20  # runs per batch: one large run's states are held in memory at a time, not all runs'

_runs = sa.table("runs", sa.column("id", sa.String()), sa.column("nodes", sa.JSON()))
_run_nodes = sa.table("run_nodes", sa.column("run_id", sa.String()), sa.column("node_id", sa.String()),
                      sa.column("status", sa.String()), sa.column("state", sa.JSON()))


def upgrade() -> None:
    op.create_table(
        "run_nodes",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "node_id"),
    )
    conn = op.get_bind()
    after = ""
    while True:
        ids = conn.execute(sa.select(_runs.c.id).where(_runs.c.id > after)
                           .order_by(_runs.c.id).limit(_BATCH)).scalars().all()
        if not ids:
            break
        for run_id, nodes in conn.execute(sa.select(_runs.c.id, _runs.c.nodes).where(_runs.c.id.in_(ids))):
            rows = [{"run_id": run_id, "node_id": nid, "status": str(state.get("status", "")), "state": state}
                    for nid, state in (nodes or {}).items()]
            for start in range(0, len(rows), 1000):
                conn.execute(sa.insert(_run_nodes), rows[start:start + 1000])
        conn.execute(sa.update(_runs).where(_runs.c.id.in_(ids)).values(nodes={}))
        after = ids[-1]


def downgrade() -> None:
    conn = op.get_bind()
    after = ""
    while True:
        ids = conn.execute(sa.select(_runs.c.id).where(_runs.c.id > after)
                           .order_by(_runs.c.id).limit(_BATCH)).scalars().all()
        if not ids:
            break
        for run_id in ids:
            nodes = {nid: state for nid, state in conn.execute(
                sa.select(_run_nodes.c.node_id, _run_nodes.c.state).where(_run_nodes.c.run_id == run_id))}
            conn.execute(sa.update(_runs).where(_runs.c.id == run_id).values(nodes=nodes))
        after = ids[-1]
    op.drop_table("run_nodes")
