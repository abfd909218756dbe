"""Accounts carry their unpaid principal (loans: all of it; lines: billed and unbilled).

Revision ID: 0004_balances
Revises: 0003_overdue
Create Date: 2026-11-28

Kept by the repository on every save, so month-end facts and reports read a balance that
includes a line's purchases not yet billed, without decoding every account's state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_balances"
down_revision = "0003_overdue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add accounts.principal_balance."""
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("principal_balance", sa.BigInteger, nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop accounts.principal_balance."""
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("principal_balance")
