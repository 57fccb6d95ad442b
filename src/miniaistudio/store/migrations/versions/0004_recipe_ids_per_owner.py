"""recipe ids unique per owner (scope), so publishing reveals nothing about other users' ids

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SHARED = "*"  # the scope of admin recipes (store.tables.SHARED_RECIPE_SCOPE)
COLUMNS = "id, owner_id, source, name, description, version, document, created_at, updated_at"


def _columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
    ]


def upgrade() -> None:
    # A new table, a copy and a rename: portable where changing a primary key in place is not.
    op.create_table("recipes_scoped", sa.Column("scope", sa.String(length=36), nullable=False), *_columns(),
                    sa.PrimaryKeyConstraint("scope", "id", name="pk_recipes_scoped"))
    op.execute(f"INSERT INTO recipes_scoped (scope, {COLUMNS}) "
               f"SELECT COALESCE(owner_id, '{SHARED}'), {COLUMNS} FROM recipes")
    op.drop_table("recipes")
    op.rename_table("recipes_scoped", "recipes")


def downgrade() -> None:
    # Ids become global again: shared recipes and ids only one owner used survive.
    op.create_table("recipes_global", *_columns(), sa.PrimaryKeyConstraint("id", name="pk_recipes_global"))
    op.execute(f"INSERT INTO recipes_global ({COLUMNS}) SELECT {COLUMNS} FROM recipes "
               f"WHERE scope = '{SHARED}' OR (id NOT IN (SELECT id FROM recipes WHERE scope = '{SHARED}') "
               "AND id IN (SELECT id FROM recipes GROUP BY id HAVING COUNT(*) = 1))")
    op.drop_table("recipes")
    op.rename_table("recipes_global", "recipes")
