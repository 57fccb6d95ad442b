"""topups, stripe_events, invoice_counters, invoices: Stripe Checkout top-ups and their invoices

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_utc = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "topups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("pack", sa.String(length=64), nullable=False),
        sa.Column("pack_name", sa.String(length=200), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _utc, nullable=False),
        sa.Column("paid_at", _utc, nullable=True),
        sa.Column("payment_reference", sa.String(length=255), nullable=True),
        sa.Column("receipt_url", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkout_session_id"),
    )
    op.create_index("ix_topups_user_created", "topups", ["user_id", "created_at"])
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", _utc, nullable=False),
        sa.Column("processed_at", _utc, nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("topup_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at", _utc, nullable=False),
        sa.Column("buyer_email", sa.String(length=320), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_label", sa.String(length=40), nullable=True),
        sa.Column("tax_rate", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_reference", sa.String(length=255), nullable=True),
        sa.Column("receipt_url", sa.String(length=2000), nullable=True),
        sa.Column("seller", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topup_id"], ["topups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("topup_id"),
        sa.UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
    )
    op.create_index("ix_invoices_user_issued", "invoices", ["user_id", "issued_at"])


def downgrade() -> None:
    op.drop_index("ix_invoices_user_issued", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
    op.drop_table("stripe_events")
    op.drop_index("ix_topups_user_created", table_name="topups")
    op.drop_table("topups")
