"""Servicing tables: borrowers, products, accounts (state documents), obligations.

Revision ID: 0002_servicing
Revises: 0001_core
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_servicing"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False)


def upgrade() -> None:
    """Create the servicing tables."""
    op.create_table(
        "borrowers",
        sa.Column("borrower_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("national_id_enc", sa.Text, nullable=True),
        sa.Column("national_id_fp", sa.Text, nullable=True, unique=True),
        sa.Column("national_id_masked", sa.Text, nullable=True),
        sa.Column("phone_enc", sa.Text, nullable=True),
        sa.Column("phone_masked", sa.Text, nullable=True),
        sa.Column("created_on", sa.Date, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("borrower_id", sa.Text, sa.ForeignKey("borrowers.borrower_id"), nullable=False),
        sa.Column("product", sa.Text, sa.ForeignKey("products.name"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("line_ref", sa.Text, nullable=True),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", _JSON, nullable=False),
    )
    op.create_index("ix_accounts_borrower", "accounts", ["borrower_id"])
    op.create_table(
        "obligations",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("original_due_date", sa.Date, nullable=False),
        *[
            _money(f"{side}_{component}")
            for side in ("due", "paid", "waived")
            for component in ("principal", "interest", "fee", "penalty")
        ],
        _money("minimum"),
        sa.PrimaryKeyConstraint("account_id", "field", "ref"),
    )
    op.create_index("ix_obligations_due_date", "obligations", ["due_date"])


def downgrade() -> None:
    """Drop the servicing tables."""
    op.drop_index("ix_obligations_due_date", "obligations")
    op.drop_table("obligations")
    op.drop_index("ix_accounts_borrower", "accounts")
    op.drop_table("accounts")
    op.drop_table("products")
    op.drop_table("borrowers")
